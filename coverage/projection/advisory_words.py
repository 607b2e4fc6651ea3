"""Advisories in owner words: the actions each kind offers, and what the owner can do about it (``verdict``)."""

from __future__ import annotations

from connections.connectors.manifest import MEDIA_HINT, Manifest

# advisory kind -> its actions (kind, label, page part); the first carries the advisory's severity
ADVISORY_ACTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "stale_owner_artifact": (("add_artifact", "Upload a newer export", "upload/"),),
    "stale_pull": (("retry", "Collect now", "retry/"),),
    "missing_media": (("add_media", "Add the missing media", "upload/"),),
    "partial_artifact": (("add_artifact", "Upload a newer export", "upload/"),),
    "coverage_hole": (("add_artifact", "Fill the gap", "upload/"),),
    "parser_warning": (("review_import", "Review the import", ""),),
    "failed_import": (("retry", "Try again now", "import/retry/"),),
    "cut_off": (("add_artifact", "Upload a newer export", "upload/"),),
    "outdated_reader": (("reread", "Read again with the improved reader", "coverage:reread"),),
    "misordered_dates": (("reread", "Read again in the right day/month order", "coverage:reread"),),
    "other_device": (("check_settings", "Check the phone's settings", "#connect"),),
    "wrong_clock": (("check_device", "Check the phone's clock", "#connect"),),
}
OTHER_GAP = (("add_artifact", "Upload a newer export", "upload/"),)  # a gap kind a connector declares blocking

# advisory kind -> what the owner can do about it (a stale export says the connector's own hint)
ADVISORY_FORWARD = {
    "stale_owner_artifact": "Export the data again to add newer records.",
    "stale_pull": "Ownerhub collects this source only when you ask: collect it now to bring it up to date, "
                  "or choose a schedule on its collections page.",
    "partial_artifact": "The last export looked cut short: export it again to get everything.",
    "missing_media": MEDIA_HINT,
    "coverage_hole": "Upload an export that covers the gap to fill it.",
    "failed_import": "Nothing from it was saved. Try again now, or upload the file again.",
    "parser_warning": "Review the last import: some items could not be read.",
    "cut_off": "The last export was cut off: export it again and upload the whole file. What was read is kept.",
    "outdated_reader": "Read your imports again with the improved reader to see what it finds.",
    "misordered_dates": "Read those imports again to put their messages on the right days.",
    "other_device": "Check the user and device names in the phone's settings. Its points are kept.",
    "wrong_clock": "Set the phone's date and time to automatic: points it dates impossibly are left out, "
                   "the others are kept.",
}


def advisory_actions(kind: str, manifest: Manifest | None = None) -> tuple[tuple[str, str, str], ...]:
    """The actions of an advisory; missing media named as the source's files are ("Add the missing routes")."""
    if kind == "missing_media" and manifest is not None and manifest.media_word != "media":
        return (("add_media", f"Add the missing {manifest.media_word}", "upload/"),)
    return ADVISORY_ACTIONS.get(kind, OTHER_GAP)


def forward_for(advisory_kind: str, manifest: Manifest, *, blocking: bool = False) -> str:
    text = ADVISORY_FORWARD.get(advisory_kind, ADVISORY_FORWARD["cut_off" if blocking else "parser_warning"])
    if advisory_kind == "stale_owner_artifact":
        text = manifest.re_export_hint or text
    if advisory_kind == "missing_media":
        text = manifest.media_hint or text
    if not blocking:
        return text
    if manifest.is_manual:  # an export is not collected: what is blocked is trusting its coverage
        return f"{text} Until then this source counts as incomplete; what was read is kept."
    return f"{text} Collection is blocked until then."
