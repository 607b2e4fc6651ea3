"""What the phone page shows: each app's settings, as text to copy and as a QR code the app reads.

OwnTracks imports a configuration from ``owntracks:///config?inline=<base64 JSON>`` (HTTP mode,
basic auth with the token as password); Overland from ``overland://setup?url=…&token=…``. The
QR codes are SVG drawn on the server (``segno``), so the page needs no script to show them.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import segno
from django.utils.safestring import SafeString, mark_safe


def owntracks_link(url: str, user: str, token: str, device: str) -> str:
    config = {
        "_type": "configuration",
        "mode": 3,  # HTTP
        "url": url,
        "auth": True,
        "username": user,
        "password": token,
        "deviceId": device,
    }
    packed = base64.urlsafe_b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()
    return f"owntracks:///config?inline={packed}"


def overland_link(url: str, token: str, device: str) -> str:
    return "overland://setup?" + urlencode({"url": url, "token": token, "device_id": device})


def qr_svg(data: str, title: str) -> SafeString:
    """The QR code of ``data`` as inline SVG, scaled by CSS (a viewBox, no fixed size)."""
    svg = segno.make(data, error="m").svg_inline(scale=4, omitsize=True, light="#fff", title=title)
    return mark_safe(svg)  # noqa: S308 - segno writes the markup; the title is escaped by segno
