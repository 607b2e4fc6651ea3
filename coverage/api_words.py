"""The owner API's refusals in owner words: what is wrong and what to send instead.

Data, not branches: one sentence per credential problem and per status, and one row per
parameter saying what it accepts. ``coverage.api_problems`` picks the row; the middleware
(``ownerhub.middleware``) uses the status sentences for what Django answers before the API runs.
"""

from __future__ import annotations

from typing import NamedTuple

SETTINGS_PAGE = "/settings/"
HOW_TO_SEND = "Authorization: Bearer <token>"

# Why a request without a usable credential is refused (401), by ``code``.
CREDENTIALS = {
    "token_missing": (
        f"This request carries no access token and comes from no signed-in browser: send “{HOW_TO_SEND}” "
        f"with a token made on the settings page ({SETTINGS_PAGE})."
    ),
    "token_not_bearer": (
        f"The Authorization header does not hold a bearer token: send “{HOW_TO_SEND}” with a token made "
        f"on the settings page ({SETTINGS_PAGE})."
    ),
    "token_unknown": (
        f"This access token is not known or was revoked: make a new one on the settings page ({SETTINGS_PAGE}) "
        f"and send it as “{HOW_TO_SEND}”."
    ),
}

CSRF_FAILED = (
    "This request comes from a signed-in browser but carries no CSRF token: send the csrftoken cookie's "
    f"value as the X-CSRFToken header, or send an access token (“{HOW_TO_SEND}”) instead."
)

TOO_MANY_ATTEMPTS = "Too many attempts with a token that is not accepted; wait a few minutes and try again."

# What is answered for a status when nothing more specific is known: (code, sentence).
STATUSES = {
    400: ("unreadable_request", "The request could not be read."),
    401: ("token_missing", CREDENTIALS["token_missing"]),
    403: ("not_allowed", "This request is not allowed."),
    404: ("no_such_address", "There is nothing at this address; /api/owner/docs lists the owner API's addresses."),
    405: ("method_not_allowed", "This address does not take that method; its Allow header lists the ones it takes."),
    409: ("conflict", "This cannot be done now."),
    410: ("expired", "This is no longer here."),
    413: ("too_large", "The request is larger than this installation accepts."),
    429: ("too_many_attempts", TOO_MANY_ATTEMPTS),
    500: ("server_error", "Something went wrong on our side. Nothing was changed; try again later."),
}

METHOD_NOT_ALLOWED = "This address does not take {method}; it takes {allowed}."

# 404 for an address naming something the owner does not have (missing, or another owner's:
# the same answer, so an id says nothing about other accounts), by the address's parameter.
NOT_YOURS = {
    "slug": "You have no source “{value}”: GET /api/owner/connections lists yours, each with its slug.",
    "batch_id": "You have no import {value}: its number is the batch_id of the receipt its upload answered.",
    "export_id": "You have no export {value} (an expired one is removed): ask for a new one with POST /api/owner/exports.",
}


class Accepts(NamedTuple):
    """What a parameter accepts, and how a value that is not one is named ("is neither", "is not one")."""

    what: str
    miss: str = "is not one"


EITHER = "is neither"

# One row per parameter of the owner API (query, path, form or body).
FIELDS = {
    "since": Accepts(
        "give a date (2024-03-05, from the start of the owner's day) or a time with its zone (2024-03-05T09:00:00+01:00)",
        EITHER,
    ),
    "until": Accepts(
        "give a date (2024-03-05, up to the end of the owner's day) or a time with its zone (2024-03-05T18:00:00+01:00)",
        EITHER,
    ),
    "limit": Accepts("give a whole number of records from 1 to 500"),
    "stream": Accepts("give a stream's name as the records' stream field holds it, such as messages"),
    "method": Accepts("give how records arrived, such as owner_artifact or device_sync"),
    "cursor": Accepts("give the next_cursor of the page before"),
    "batch_id": Accepts("give an import's number, the batch_id of its receipt"),
    "export_id": Accepts("give an export's id, as POST /api/owner/exports answered it"),
    "date_order": Accepts("give dmy (the day comes first) or mdy (the month comes first)", EITHER),
    "confirm_other_account": Accepts("give true or false", EITHER),
    "as_it_reads": Accepts("give true or false", EITHER),
    "file": Accepts("send the export as a multipart form field named file"),
    "authors": Accepts(
        'send no body, or {"authors": {"name in this file": "name the source knows them by"}}'
    ),
}

# What a source's records take, from its manifest: a filter naming what the source does not have
# (a typo, another kind of source's stream) is refused with these, not answered as "no records".
SOURCE_STREAMS = "give a stream this source holds ({names})"
SOURCE_METHODS = "give a way this source's records arrive ({names})"

UNKNOWN_FIELD = "this address takes no field of that name (only {known}); leave it out"
NO_FIELDS = "this address takes no fields; leave it out"
ANY_FIELD = Accepts("give a value /api/owner/docs describes for it")

MISSING = "none was sent"
CONTROL_CHARACTER = "the value sent holds a control character"
SHAPELESS = "the body sent is not that shape"
LONGEST_SHOWN = 40  # characters of a refused value quoted back


def listed(names: tuple[str, ...] | list[str], last: str = "or") -> str:
    """``names`` in a sentence: "a", "a or b", "a, b or c"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"
