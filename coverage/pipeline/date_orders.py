"""The day/month order of a source's chats: what the owner answered, against what a file proved.

A WhatsApp export whose dates could be either way (01/02/2026) asks the owner which order the
phone writes (``options["date_order"]``). A later export of the same chat that holds a date only
one order reads (13/02/2026) proves it (``options["date_order_seen"]``, from
``BatchFacts.date_order_seen``). When the proof and an earlier answer differ, the earlier import
put its ambiguous messages on the wrong days, and the later one brought them again on the right
days. The preview says so (``contradicted``), and reading the earlier import again
(``pipeline.reread``) reads it in the proven order (``proven_order``), which moves its messages
to the right days and drops the copies (``misordered_imports`` are the imports to read again).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from connections.models import Connection

from ..models import AcquisitionBatch
from ..words import day

Status = AcquisitionBatch.Status
ORDER_WORDS = {
    "dmy": "the day first (31/12)",
    "mdy": "the month first (12/31)",
    "ymd": "the year first (23/12/31)",
}
_EVIDENCE = (Status.PREVIEW, Status.COMMITTING, Status.COMMITTED)


def proven_order(connection_id: int) -> str | None:
    """The order the source's files proved, when they agree; None when none proved one."""
    seen = set(
        AcquisitionBatch.objects.filter(connection_id=connection_id, status__in=_EVIDENCE,
                                        options__has_key="date_order_seen")
        .values_list("options__date_order_seen", flat=True)
    )
    return seen.pop() if len(seen) == 1 else None


def _answered() -> QuerySet[AcquisitionBatch]:
    """Committed uploads, not read again and still holding their file, read in an order the owner answered."""
    return (
        AcquisitionBatch.objects.filter(status=Status.COMMITTED, method="owner_artifact", options__has_key="date_order")
        .exclude(options__has_key="date_order_seen")
        .exclude(options__has_key="superseded_by")
        .exclude(artifact_name="")
    )


def answered_otherwise(connections: QuerySet[Connection] | list[Connection], order: str) -> QuerySet[AcquisitionBatch]:
    """Those uploads (``_answered``) read in an answered order that is not ``order``."""
    return (
        _answered().filter(connection__in=connections).exclude(options__date_order=order)
        .select_related("connection")
        .order_by("created_at", "pk")
    )


def misordered_of(connection: OuterRef) -> QuerySet[AcquisitionBatch]:
    """``misordered_imports`` as a subquery of each connection (the evidence loader's): answered uploads of
    the source whose answer some file of it contradicts and none confirms."""
    proofs = AcquisitionBatch.objects.filter(connection=OuterRef("connection"), status__in=_EVIDENCE,
                                             options__has_key="date_order_seen")
    return (
        _answered().filter(connection=connection)
        .filter(Exists(proofs.exclude(options__date_order_seen=OuterRef("options__date_order"))))
        .exclude(Exists(proofs.filter(options__date_order_seen=OuterRef("options__date_order"))))
    )


def misordered_imports(connections: QuerySet[Connection]) -> list[AcquisitionBatch]:
    """Imports read in an answered order that a file of their source proved wrong."""
    found = []
    for connection in connections:
        order = proven_order(connection.pk)
        if order is not None:
            found += list(answered_otherwise([connection], order))
    return found


def contradicted(batch: AcquisitionBatch, seen: str | None, tz) -> list[dict]:
    """The preview's warning when ``seen`` (the order this file proves) contradicts an earlier answer."""
    if seen is None:
        return []
    olds = list(answered_otherwise([batch.connection], seen)[:3])
    if not olds:
        return []
    names = ", ".join(f"{old.artifact_filename or 'an upload'} of {day(old.created_at, tz)}" for old in olds)
    return [{
        "kind": "date_order_contradicted",
        "detail": (f"This file shows the phone writes {ORDER_WORDS[seen]}, but you answered otherwise for {names}: "
                   "dates of that import that could be read either way are on the wrong days. "
                   "Read it again on the source's page to put them right."),
        "position": None,
    }]
