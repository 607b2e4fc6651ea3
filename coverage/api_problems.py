"""What the owner API answers when it cannot do what was asked: ``{"detail": ...}`` in owner words.

One schema for every refusal, and the statuses every endpoint shares, so the OpenAPI schema lists
each status an endpoint can really return.
"""

from __future__ import annotations

from ninja import Schema

# Any endpoint: 401 without a valid credential, 429 after too many wrong tokens from one place.
EVERY_ENDPOINT = (401, 429)


class Problem(Schema):
    detail: str
    errors: list[dict] | None = None


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """``{status: Problem}`` for ``statuses`` plus the ones every endpoint can answer."""
    return {status: Problem for status in sorted({*statuses, *EVERY_ENDPOINT})}
