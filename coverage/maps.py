"""Maps of the owner's places: the tile server the installation names, and points ready to draw.

``OWNERHUB_MAP_TILES`` is a tile URL template (``{z}/{x}/{y}``); the empty string means no tiles
(offline installations and tests): the points are then drawn on a blank background.
``OWNERHUB_MAP_ATTRIBUTION`` is the text the tile server asks to be shown. The map itself is drawn
by ``static/js/map.js`` (vendored Leaflet), from data a page puts in a ``json_script`` element.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION = "© OpenStreetMap contributors"


def tiles() -> str:
    """The tile URL template, or "" for none (setting, else the environment, else OpenStreetMap)."""
    return getattr(settings, "OWNERHUB_MAP_TILES", os.environ.get("OWNERHUB_MAP_TILES", DEFAULT_TILES))


def attribution() -> str:
    return getattr(settings, "OWNERHUB_MAP_ATTRIBUTION", os.environ.get("OWNERHUB_MAP_ATTRIBUTION",
                                                                        DEFAULT_ATTRIBUTION))


def tile_origin() -> str:
    """The tile server's origin (``https://tile.openstreetmap.org``), "" when there are no tiles.

    The one host a page's Content-Security-Policy must allow images from, besides its own.
    """
    url = tiles()
    if not url:
        return ""
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        return ""
    # "{s}" is Leaflet's rotating subdomain (a, b, c): allow them all with one wildcard.
    host = parts.netloc.replace("{s}.", "*.").replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def point(lat, lon, time: str, label: str = "") -> dict | None:
    """One point to draw, or None when its coordinates are not numbers on the globe."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": round(lat, 6), "lon": round(lon, 6), "time": time, "label": label}


def config(points: list[dict], *, title: str) -> dict:
    """What ``map.js`` reads: the points, the tiles and the words for the map's label."""
    return {"points": points, "tiles": tiles(), "attribution": attribution(), "title": title}


def has_map(manifest) -> bool:
    """Whether a connector declares a stream of places (a ``points`` view) to draw on a map."""
    return any(view.kind == "points" for view in manifest.views.values())


def place_streams(manifest) -> list[str]:
    return [stream for stream, view in manifest.views.items() if view.kind == "points"]
