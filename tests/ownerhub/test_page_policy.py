"""The page policy lets a map's tiles in from the tile server the installation names, and
from nowhere else."""

import pytest


@pytest.mark.parametrize(
    ("tiles", "allowed", "refused"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org", None),
        ("https://{s}.tiles.example.net/{z}/{x}/{y}.png", "https://*.tiles.example.net", "tile.openstreetmap.org"),
        ("", None, "tile.openstreetmap.org"),
    ],
)
def test_a_map_page_allows_images_only_from_the_tile_server_named(client, settings, tiles, allowed, refused):
    settings.OWNERHUB_MAP_TILES = tiles
    policy = client.get("/login/")["Content-Security-Policy"]
    images = next(part for part in policy.split(";") if part.strip().startswith("img-src")).split()
    assert images[:3] == ["img-src", "'self'", "data:"]
    assert images[3:] == ([allowed] if allowed else [])
    if refused:
        assert refused not in policy
    assert "script-src 'self';" in policy  # scripts stay our own whatever the tiles
