"""What the owner API answers when it cannot do what was asked, in owner words (``coverage.api_words``).

Every refusal has one shape, ``{"detail": ..., "code": ..., "errors": [...]}``: ``detail`` one or
more plain sentences, ``code`` a word for scripts (``token_unknown``, ``invalid_values``,
``not_found``, ``conflict``...), ``errors`` (only for values the API does not accept) one
``{"field", "message"}`` per refused parameter. ``answer_problems`` registers the handlers that
give it on the API, in one place; ``problems`` lists the statuses for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404, HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from connections.zones import owner_zone

from . import api_words as words
from .api_auth import TooManyFailures
from .gone import gone_sentence
from .models import GonePreview

# Any endpoint: 401 without a valid credential, 429 after too many wrong tokens from one place.
EVERY_ENDPOINT = (401, 429)

# A value the API does not accept is a 400 (422 is a rejected file's receipt, which scripts tell apart by status).
INVALID = 400

# Django refuses a multipart part whose headers pass 1,024 bytes: in practice a file name of
# about a thousand characters.
TOO_LONG_PART = "Request max total header size exceeded."
TOO_LONG_NAME = "The file name is too long to read. Rename the file to something shorter and upload it again."
UNREADABLE_UPLOAD = "The upload could not be read. Send the file as a multipart form field named file."


class FieldProblem(Schema):
    field: str
    message: str


class Problem(Schema):
    detail: str
    code: str | None = None
    errors: list[FieldProblem] | None = None
    # 410 ``preview_gone``: the batch that took a gone preview's place (a newer upload of the file, or its import)
    newer_batch_id: int | None = None


class PreviewGone(Exception):
    """A preview asked for by its id went without being imported (``coverage.gone``)."""

    def __init__(self, gone: GonePreview):
        super().__init__(gone.batch_id)
        self.gone = gone


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """``{status: Problem}`` for ``statuses`` plus the ones every endpoint can answer."""
    return {status: Problem for status in sorted({*statuses, *EVERY_ENDPOINT})}


def problem(status: int, detail: str | None = None, code: str | None = None, **headers: str) -> JsonResponse:
    """A refusal: ``detail`` (default: the status's sentence) and ``code`` (default: the status's word)."""
    default_code, default_detail = words.STATUSES.get(status, words.STATUSES[500 if status >= 500 else 400])
    body = Problem(detail=detail or default_detail, code=code or default_code)
    return JsonResponse(body.model_dump(exclude_none=True), status=status, headers=headers or None)


def refuse_fields(*refused: dict) -> ValidationError:
    """A ValidationError for values an endpoint checks itself, answered like ninja's own.

    Each ``refused`` is ``{"loc": (source, name), "type": ...}``; type ``extra_forbidden``
    takes ``known``, the fields the address does take; any other may take ``accepts``, what the
    field takes here when it is narrower than its row in ``api_words.FIELDS`` (this source's streams).
    """
    return ValidationError([{"msg": "", **r} for r in refused])


def _credential(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if not header.strip():
        return "token_missing"
    scheme, _, token = header.strip().partition(" ")
    return "token_unknown" if scheme.lower() == "bearer" and token.strip() else "token_not_bearer"


def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    """401 that says what is wrong with the credential: none, not a bearer token, or not a live one."""
    code = _credential(request)
    return problem(401, words.CREDENTIALS[code], code, **{"WWW-Authenticate": 'Bearer realm="Ownerhub"'})


def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    """ninja's own refusals (its CSRF check for a browser session's POST) in owner words."""
    if exc.status_code == 403 and "CSRF" in str(exc):
        return problem(403, words.CSRF_FAILED, "csrf_failed")
    return problem(exc.status_code)


def not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
    """404 named by what the address asked for; another owner's and a missing one read the same."""
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    for name, sentence in words.NOT_YOURS.items():
        if name in kwargs and (shown := _shown(kwargs[name])) is not None:
            return problem(404, sentence.format(value=shown), "not_found")
    return problem(404, code="not_found")


def preview_gone(request: HttpRequest, exc: PreviewGone) -> JsonResponse:
    """410: the preview went (replaced, imported from another preview, cancelled, cleared), said as the web says it."""
    said = gone_sentence(exc.gone, owner_zone(exc.gone.connection.owner_id), timezone.now())
    body = Problem(detail=said, code="preview_gone", newer_batch_id=exc.gone.newer_id)
    return JsonResponse(body.model_dump(exclude_none=True), status=410)


def too_many_failures(request: HttpRequest, exc: TooManyFailures) -> JsonResponse:
    return problem(429, words.TOO_MANY_ATTEMPTS, "too_many_attempts", **{"Retry-After": str(exc.wait)})


def unreadable_upload(request: HttpRequest, exc: MultiPartParserError) -> JsonResponse:
    """A body Django cannot read as a form is a 400 that says what to change."""
    if str(exc) == TOO_LONG_PART:
        return problem(400, TOO_LONG_NAME, "file_name_too_long")
    return problem(400, UNREADABLE_UPLOAD, "unreadable_upload")


def invalid_values(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    """400 with one sentence per refused parameter: its name, what it accepts, what was sent."""
    errors = [FieldProblem(field=f, message=m) for f, m in _messages(request, exc.errors)]
    if not errors:
        errors = [FieldProblem(field="request", message="request: send what /api/owner/docs describes.")]
    body = Problem(detail=" ".join(e.message for e in errors), code="invalid_values", errors=errors)
    return JsonResponse(body.model_dump(), status=INVALID)


def _messages(request: HttpRequest, errors: Iterable[dict]) -> Iterable[tuple[str, str]]:
    said: set[str] = set()
    for error in errors:
        source, field = _where(error.get("loc") or ())
        if field in said:  # a value refused by each branch of "a date or a time" is one refusal
            continue
        said.add(field)
        if error.get("type") == "extra_forbidden":
            yield field, f"{field}: {_unknown(error)}."
        else:
            what = error.get("accepts") or words.FIELDS.get(field, words.ANY_FIELD).what
            yield field, f"{field}: {what}; {_why(request, source, field, error)}."


def _where(loc: Iterable) -> tuple[str, str]:
    """(source, parameter) of an error's ``loc``: ("query", "filters", "since", "datetime") is since's."""
    source, *names = [str(part) for part in loc] or ["request"]
    known = [name for name in names if name in words.FIELDS]
    return source, (known[-1] if known else (names[-1] if names else source))


def _unknown(error: dict) -> str:
    known = error.get("known") or ()
    return words.UNKNOWN_FIELD.format(known=words.listed(known, "and")) if known else words.NO_FIELDS


def _why(request: HttpRequest, source: str, field: str, error: dict) -> str:
    if error.get("type") == "missing":
        return words.MISSING
    sent = _sent(request, source, field)
    if sent is None:
        return words.SHAPELESS
    shown = _shown(sent)
    if shown is None:
        return words.CONTROL_CHARACTER
    return f"“{shown}” {words.FIELDS.get(field, words.ANY_FIELD).miss}"


def _sent(request: HttpRequest, source: str, field: str) -> str | None:
    """The text the request sent for ``field`` (ninja drops it from its errors), None if not text."""
    if source == "query":
        return request.GET.get(field)
    if source == "path" and request.resolver_match:
        return request.resolver_match.kwargs.get(field)
    if source in ("form", "file"):
        return request.POST.get(field) if field in request.POST else (field if field in request.FILES else None)
    return None


def _shown(value: object) -> str | None:
    """``value`` as quoted back to the owner: shortened, and None when it holds a control character."""
    text = str(value)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    return text if len(text) <= words.LONGEST_SHOWN else text[: words.LONGEST_SHOWN - 1] + "…"


def answer_problems(api: NinjaAPI) -> None:
    """Every refusal of ``api`` in owner words: the one place its exception handlers are set."""
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PreviewGone, preview_gone)
    api.add_exception_handler(TooManyFailures, too_many_failures)
    api.add_exception_handler(MultiPartParserError, unreadable_upload)
    api.add_exception_handler(ValidationError, invalid_values)
