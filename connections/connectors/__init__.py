"""The connector registry: one module per connector, each exporting ``MANIFEST``.

Adding a connector is one module and one line in ``CONNECTORS``.
"""

from __future__ import annotations

from . import apple_health, google_timeline, gpx, ical_feed, owntracks, whatsapp
from .manifest import AcquisitionPath, Manifest, PushEndpoint

CONNECTORS = (whatsapp, google_timeline, apple_health, owntracks, ical_feed, gpx)

_REGISTRY: dict[str, Manifest] = {}


def register(manifest: Manifest) -> Manifest:
    _REGISTRY[manifest.id] = manifest
    return manifest


for _module in CONNECTORS:
    register(_module.MANIFEST)


def get(connector_id: str) -> Manifest:
    try:
        return _REGISTRY[connector_id]
    except KeyError:
        raise LookupError(f"unknown connector {connector_id!r}") from None


def all_manifests() -> list[Manifest]:
    return list(_REGISTRY.values())


def push_endpoint(name: str) -> tuple[Manifest, AcquisitionPath, PushEndpoint] | None:
    """The connector, path and endpoint that ``/ingest/<name>`` serves, or None."""
    for manifest in _REGISTRY.values():
        for path in manifest.paths:
            for endpoint in path.endpoints:
                if endpoint.name == name:
                    return manifest, path, endpoint
    return None
