"""Owner API: import an export (preview, commit, poll the receipt).

Mounted by ``coverage.api`` on the owner API (``/api/owner/``, session or personal access
token). Every endpoint is scoped to the authenticated owner: another owner's slug or batch id
is a 404. Responses are the one receipt JSON (``coverage.serializers.receipt_json``).
"""

from __future__ import annotations

from typing import Literal, get_args

import orjson
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from connections.models import Connection

from .api_problems import PreviewGone, problem, problems, refuse_fields
from .evidence import load_receipt
from .gone import gone_preview
from .models import AcquisitionBatch
from .pipeline import (
    DATE_ORDERS,
    CommitRefused,
    NotAnArtifactSource,
    answer_preview,
    read_as_same_people,
    retry_commit,
    start_commit,
    start_preview,
)
from .pipeline.accounts import confirm_other_account as confirm_account
from .pipeline.other_phone import import_as_it_reads
from .pipeline.undo import RemovalRefused, remove_import
from .receipts import Receipt
from .serializers import receipt_json
from .views_read_again import NOT_WAITING, read_again_now

router = Router(tags=["imports"])

Status = AcquisitionBatch.Status

DateOrder = Literal["dmy", "mdy"]
"""How the file writes its dates: day first or month first (the schema's enum)."""
assert set(get_args(DateOrder)) == set(DATE_ORDERS), "the API's enum must list the pipeline's date orders"



def _closed_form(media_type: str, **properties: dict) -> dict:
    """OpenAPI extra: the form takes only the fields it declares (``_unknown_fields`` refuses others)."""
    schema = {"additionalProperties": False, **({"properties": properties} if properties else {})}
    return {"requestBody": {"content": {media_type: {"schema": schema}}}}


def _unknown_fields(request: HttpRequest, *known: str) -> None:
    unknown = sorted({*request.POST, *request.FILES} - set(known))
    if unknown:
        raise refuse_fields(*({"loc": ("form", name), "type": "extra_forbidden", "known": known} for name in unknown))


def _owner(request: HttpRequest):
    # Both auth callables of owner_auth resolve to the owner (the session user or the token's).
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _batch(request: HttpRequest, batch_id: int) -> AcquisitionBatch:
    """The owner's batch; a preview that went answers 410 with what became of it (``api_problems``), any other
    missing or another owner's batch 404."""
    owner = _owner(request)
    batch = (AcquisitionBatch.objects.for_owner(owner).select_related("connection", "duplicate_of")
             .filter(pk=batch_id).first())
    if batch is None:
        gone = gone_preview(owner, batch_id)
        raise PreviewGone(gone) if gone is not None else Http404
    return batch


def _receipt(status: int, batch: AcquisitionBatch) -> JsonResponse:
    """The receipt JSON exactly as ``receipt_json`` made it (byte-equal to the CLI's ``--json``).

    Returned as a ready response so ninja does not re-encode it (its encoder would cut the
    timestamps to milliseconds); the declared response schema still documents it.
    """
    batch = AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk)
    return JsonResponse(receipt_json(load_receipt(batch)), status=status)


def _poll_url(batch_id: int) -> str:
    try:
        return reverse("owner_api:batch_receipt", kwargs={"batch_id": batch_id})
    except NoReverseMatch:  # mounted elsewhere (tests mount the router alone)
        return f"/api/owner/batches/{batch_id}"


def _accepted(batch: AcquisitionBatch):
    """202: the batch's receipt so far, and where to poll (``Location``) until its work is done."""
    response = _receipt(202, batch)
    response["Location"] = _poll_url(batch.pk)
    return response


def _running_or_done(batch: AcquisitionBatch, running: tuple[str, ...]):
    """202 while the batch is in one of the ``running`` states, else 200: its receipt."""
    return _accepted(batch) if batch.status in running else _receipt(200, batch)


@router.post(
    "/connections/{slug}/previews",
    response={200: Receipt, 201: Receipt, 202: Receipt, 413: Receipt, 422: Receipt, **problems(400, 403, 404)},
    url_name="create_preview",
    # An empty file is never an export (it is rejected, 422), so the schema asks for a byte at least.
    openapi_extra=_closed_form("multipart/form-data", file={"minLength": 1}),
)
def create_preview(
    request,
    slug: str,
    file: File[UploadedFile],
    date_order: Form[DateOrder] = None,  # optional, never null: omit it unless answering the question
):
    """Upload an export and get its preview receipt; nothing is imported yet.

    201 with ``status: preview`` (it may carry a ``question`` to answer); 202 with
    ``status: preview`` while a large file is read in the background (its ``phases`` hold only
    ``received`` and ``progress`` counts what is read so far): poll the ``Location``
    (``/api/owner/batches/{id}``) until ``phases`` has ``deduplicated`` or the status changes; 200 with
    ``status: duplicate`` when this connection already imported the same file, 413 with
    ``status: rejected`` when the file is over the upload limit (reading stops at the limit),
    422 with ``status: rejected`` and the reason when the file cannot be imported. 400 when
    the request is malformed or this source takes no uploads.
    """
    connection = get_object_or_404(Connection.objects.for_owner(_owner(request)), slug=slug)
    _unknown_fields(request, "file", "date_order")
    try:
        batch = start_preview(
            connection, file, file.name or "upload", options={"date_order": date_order} if date_order else None
        )
    except NotAnArtifactSource as exc:
        return problem(400, str(exc), "no_uploads")
    if batch.status == Status.REJECTED:
        # 413 when the upload itself passed the limit (coverage.pipeline.uploads.UploadCapHandler stopped reading it).
        return _receipt(413 if getattr(file, "over_limit", False) else 422, batch)
    if batch.is_reading:
        return _accepted(batch)
    return _receipt(200 if batch.status == Status.DUPLICATE else 201, batch)


@router.post(
    "/previews/{batch_id}/answer",
    response={200: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="answer_preview",
    openapi_extra=_closed_form("application/x-www-form-urlencoded"),
)
def answer(request, batch_id: int, date_order: Form[DateOrder]):
    """Answer a preview's question (``date_order``: ``dmy`` or ``mdy``); returns the new preview.

    409 when the batch is no longer a preview waiting for an answer.
    """
    batch = _batch(request, batch_id)
    _unknown_fields(request, "date_order")
    try:
        batch = answer_preview(batch, date_order)
    except CommitRefused as exc:
        return problem(409, str(exc))
    return _receipt(200, batch)


def _pairing(request: HttpRequest) -> dict[str, str] | None | bool:
    """The body's ``authors`` (None: no body, the pairs found); False when the body is not that shape."""
    try:
        body = orjson.loads(request.body) if request.content_type == "application/json" and request.body else {}
    except orjson.JSONDecodeError:
        return False
    if not isinstance(body, dict) or set(body) - {"authors"}:
        return False
    authors = body.get("authors")
    if authors is None:
        return None
    names_only = isinstance(authors, dict) and all(isinstance(v, str) for v in [*authors, *authors.values()])
    return authors if names_only else False


@router.post(
    "/previews/{batch_id}/same-people",
    response={200: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="same_people_preview",
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"authors": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}},
)
def same_people(request, batch_id: int):
    """Read a preview again as the same people as the source: the names its ``other_phone`` warning pairs
    (another phone's export of the same chat names its people otherwise), or the owner's own pairing in the
    body, ``{"authors": {"name in this file": "name the source knows them by", ...}}`` (the receipt's
    ``who_is_who`` lists both sides; "" pairs a name with nobody); returns the new preview.

    409 when the batch is not a preview with that warning, or a name is not one the warning lists.
    """
    batch = _batch(request, batch_id)
    authors = _pairing(request)
    if authors is False:
        raise refuse_fields({"loc": ("body", "authors"), "type": "shapeless"})
    try:
        batch = read_as_same_people(batch, names=authors)
    except CommitRefused as exc:
        return problem(409, str(exc))
    return _receipt(200, batch)


@router.post(
    "/previews/{batch_id}/commit",
    response={200: Receipt, 202: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="commit_preview",
)
def commit(request, batch_id: int, confirm_other_account: bool = False, as_it_reads: bool = False):
    """Import a previewed batch.

    A preview from another account than earlier imports (a warning of kind ``other_account``)
    is imported only with ``?confirm_other_account=true``; without it the answer is 409.
    A preview of the same chat from another phone (a warning of kind ``other_phone``) is imported
    as it reads only with ``?as_it_reads=true`` (or read first with ``/previews/{id}/same-people``).

    202 while the import runs in the background (poll the ``Location``, ``/api/owner/batches/{id}``);
    200 once it is committed, or when it turned out to be a duplicate. 409 for a rejected file or
    a preview still waiting for an answer.
    """
    batch = _batch(request, batch_id)
    try:
        if confirm_other_account:
            confirm_account(batch)
        if as_it_reads:
            import_as_it_reads(batch)
        batch = start_commit(batch)
    except CommitRefused as exc:
        return problem(409, str(exc))
    return _running_or_done(batch, (Status.COMMITTING, Status.PREVIEW))


@router.post(
    "/batches/{batch_id}/retry",
    response={200: Receipt, 202: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="retry_batch",
)
def retry(request, batch_id: int):
    """Try an import that failed (``status: failed``) again: 202 while it runs, like a commit.

    Any other batch is answered as it is (200). 409 when the same file is being imported already.
    """
    batch = _batch(request, batch_id)
    try:
        batch = retry_commit(batch)
    except CommitRefused as exc:
        return problem(409, str(exc))
    return _running_or_done(batch, (Status.COMMITTING,))


@router.post(
    "/batches/{batch_id}/read-again",
    response={202: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="read_again_batch",
)
def read_again(request, batch_id: int):
    """Read a stored file once more: a file set aside after its reading stopped too often (its
    file was kept), or a preview whose ``next_action`` is ``read_in_zone`` (it read times without
    a zone in another zone than the owner's now).

    202 with the preview to poll (``Location``), read from the start by the worker; 409 for
    any other batch.
    """
    batch = _batch(request, batch_id)
    read = read_again_now(batch)
    if read is None:
        return problem(409, NOT_WAITING)
    return _accepted(read)


@router.get(
    "/batches/{batch_id}",
    response={200: Receipt, **problems(400, 404, 410)},
    url_name="batch_receipt",
)
def batch_receipt(request, batch_id: int):
    """The receipt of a batch: a preview, an import in progress (``phases``, ``progress``) or done."""
    return _receipt(200, _batch(request, batch_id))


@router.post(
    "/batches/{batch_id}/remove",
    response={200: Receipt, **problems(400, 403, 404, 409, 410)},
    url_name="remove_batch",
)
def remove(request, batch_id: int):
    """Undo a committed import: its records go unless another import or a push also delivered them.

    200 with ``status: removed``; the receipt's sentence says what went and what stayed. 409 when
    the batch is not a committed import (a preview, a push, one already removed).
    """
    batch = _batch(request, batch_id)
    try:
        batch = remove_import(batch)
    except RemovalRefused as exc:
        return problem(409, str(exc))
    return _receipt(200, batch)
