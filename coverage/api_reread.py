"""Owner API: read an import again with today's reader or in a new zone.

``POST /api/owner/batches/{id}/reread`` reads a committed import again into a preview and answers
the difference it would make, with the preview's receipt; the preview is committed like any other,
``POST /api/owner/previews/{id}/commit`` (``coverage.pipeline.commit.start_commit`` lands a re-read
in its own transaction). Owner-scoped: another owner's batch is a 404.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from ninja import Query, Router, Schema

from .api_problems import problem, problems
from .evidence import load_receipt
from .models import AcquisitionBatch
from .pipeline.reread import RereadRefused, preview_reread
from .receipts import Receipt
from .reread_words import difference_lines, previewed
from .serializers import receipt_json

router = Router(tags=["imports"])


class DifferenceOut(Schema):
    added: int
    going: int
    kept: int
    moved: int
    reclassified: int
    updated: int
    unchanged: int
    reader_from: str
    reader_to: str
    zone_from: str
    zone_to: str


class RereadOut(Schema):
    reread_of: int
    difference: DifferenceOut | None  # null when the file could not be read again (see the receipt)
    sentences: list[str]
    commit_url: str | None
    receipt: Receipt


def _owner(request: HttpRequest):
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _commit_url(batch_id: int) -> str:
    try:
        return reverse("owner_api:commit_preview", kwargs={"batch_id": batch_id})
    except NoReverseMatch:  # mounted elsewhere
        return f"/api/owner/previews/{batch_id}/commit"


@router.post(
    "/batches/{batch_id}/reread",
    response={201: RereadOut, **problems(400, 403, 404, 409)},
    url_name="reread_batch",
)
def reread(request, batch_id: int, zone: Query[str | None] = None):
    """Read a committed import again from its stored file: a preview of the difference, nothing changed yet.

    ``zone`` (query, optional): an IANA zone to read times that carry no zone in (a chat's); by
    default the owner's zone.

    ``difference`` counts records added, records that would go (only this import delivered them),
    records kept although this reading no longer gives them (a push or another import delivered
    them), records whose time moves (another zone) and records reclassified. Commit the preview
    with ``commit_url``. 409 when the import cannot be read again (read again already, no file).
    """
    old = get_object_or_404(AcquisitionBatch.objects.for_owner(_owner(request)), pk=batch_id)
    try:
        batch = preview_reread(old, zone=zone)
    except RereadRefused as exc:
        return problem(409, str(exc))
    batch = AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk)
    measured = batch.status == AcquisitionBatch.Status.PREVIEW and not batch.question
    diff = previewed(batch) if measured else None
    body = {
        "reread_of": old.pk,
        "difference": diff.as_dict() if diff else None,
        "sentences": difference_lines(diff, batch.connection.manifest.record_noun, done=False) if diff else [],
        "commit_url": _commit_url(batch.pk) if measured else None,
        "receipt": receipt_json(load_receipt(batch)),
    }
    return JsonResponse(body, status=201)
