"""The connector registry: one module per connector, each exporting ``MANIFEST``."""

from __future__ import annotations

from .manifest import Manifest

_REGISTRY: dict[str, Manifest] = {}


def register(manifest: Manifest) -> Manifest:
    _REGISTRY[manifest.id] = manifest
    return manifest


def get(connector_id: str) -> Manifest:
    _load()
    try:
        return _REGISTRY[connector_id]
    except KeyError:
        raise LookupError(f"unknown connector {connector_id!r}") from None


def all_manifests() -> list[Manifest]:
    _load()
    return list(_REGISTRY.values())


def _load() -> None:
    if _REGISTRY:
        return
    from . import apple_health, google_timeline, gpx, ical_feed, owntracks, whatsapp

    for module in (whatsapp, google_timeline, apple_health, owntracks, ical_feed, gpx):
        register(module.MANIFEST)
