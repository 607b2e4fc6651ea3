"""Connector manifests: what a kind of source is, declared in code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from .base import Parser

Method = Literal["provider_api", "owner_artifact", "device_sync", "device_backup", "browser_polyfill"]
METHODS: tuple[str, ...] = (
    "provider_api",
    "owner_artifact",
    "device_sync",
    "device_backup",
    "browser_polyfill",
)
METHOD_LABELS = {
    "provider_api": "Feed",
    "owner_artifact": "Export",
    "device_sync": "Phone",
    "device_backup": "Backup",
    "browser_polyfill": "Browser",
}
Trigger = Literal["manual", "scheduled", "push"]


@dataclass(frozen=True)
class AcquisitionPath:
    """One way a connector's data reaches us, presented to the owner as a job."""

    method: Method
    job: str  # owner words: "Import history from an export"
    trigger: Trigger
    instructions: tuple[str, ...]  # steps to get the file or set up the device
    accepted_formats: tuple[str, ...] = ()  # file extensions for an upload picker
    needs_credential: bool = False
    recommended: bool = False
    parser: Parser | None = None


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    record_noun: tuple[str, str]  # ("message", "messages")
    paths: tuple[AcquisitionPath, ...]
    streams: tuple[str, ...]
    record_key_rule: str  # owner-readable statement of the stable key
    expected_refresh: timedelta  # how old covered data may be before it is stale
    blocking_gaps: frozenset[str] = frozenset()
    recovery: str = ""  # what to do when a file is rejected
    re_export_hint: str = ""  # the forward sentence when coverage is stale
    hole_after: timedelta | None = None  # empty span inside coverage that counts as a hole
    summary: str = ""
    extra: dict = field(default_factory=dict)

    def path(self, method: str) -> AcquisitionPath | None:
        return next((p for p in self.paths if p.method == method), None)

    @property
    def is_manual(self) -> bool:
        """A source whose only paths need the owner to act (no schedule, no push)."""
        return all(p.trigger == "manual" for p in self.paths)
