"""Apple's dates, numbers and digests, read fast for the common shapes."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

_fromisoformat = datetime.fromisoformat


def _utc(text: str) -> datetime:
    """``2024-05-01 09:00:00 +0200`` (Apple's fixed format) as an aware UTC datetime.

    The C ISO parser reads the text without the space before the offset;
    anything else falls back to a tolerant ISO read that still requires an
    offset. Raises ValueError (or OverflowError) when unreadable.
    """
    if len(text) == 25 and text[19] == " ":
        return _fromisoformat(text[:19] + text[20:]).astimezone(UTC)
    value = _fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError("no offset")
    return value.astimezone(UTC)


# Offsets of whole hours keep minutes and seconds when converted to UTC, so the
# UTC hour of each "YYYY-MM-DD HH: ... +HH00" prefix is computed once and the
# minutes and seconds are appended (most samples share an hour with others).
_MINUTE_SECOND = {
    f"{m:02d}:{s:02d}": timedelta(minutes=m, seconds=s) for m in range(60) for s in range(60)
}
# "MM:SS" -> "MMSS-", the end of a key's time prefix (a lookup beats slicing per sample).
_KEY_MINUTE_SECOND = {text: text[:2] + text[3:] + "-" for text in _MINUTE_SECOND}
# "MM:SS" -> "MM:SS+00:00", the end of a UTC ISO time (one lookup instead of two joins).
_ISO_MINUTE_SECOND = {text: text + "+00:00" for text in _MINUTE_SECOND}
HOUR_CACHE_SIZE = 4096


def _compact(iso: str) -> str:
    """``2023-05-08T06:00:00...`` as ``20230508T060000``: the time prefix of a key."""
    return iso[:4] + iso[5:7] + iso[8:10] + "T" + iso[11:13] + iso[14:16] + iso[17:19]


def _when_slow(text: str, hours: dict[str, tuple[datetime, str, str]]) -> tuple[datetime, str]:
    """(UTC datetime, its ISO text) of an Apple date, remembering its hour for the fast path.

    The hour is remembered as (UTC datetime, ``YYYY-MM-DDTHH:``, ``YYYYMMDDTHH``).
    """
    at = _utc(text)
    iso = at.isoformat()
    step = _MINUTE_SECOND.get(text[14:19])
    if (
        step is not None
        and len(text) == 25
        and text[13] == ":"
        and text[16] == ":"
        and text[23:] == "00"
        and at.microsecond == 0
    ):
        hour = at - step
        head = hour.isoformat()[:14]
        if head + text[14:19] + "+00:00" == iso:
            if len(hours) >= HOUR_CACHE_SIZE:
                hours.clear()
            hours[text[:14] + text[19:]] = (hour, head, _compact(head + "00:00")[:11])
    return at, iso


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0 else None


# An empty 16-byte blake2b, copied for each key: a copy costs less than a new hash object.
_DIGEST = hashlib.blake2b(digest_size=16)


def _digest(*parts: str) -> str:
    """The 32 hex digits of a key: blake2b (16 bytes) of the parts joined by U+001F."""
    digest = _DIGEST.copy()
    digest.update("\x1f".join(parts).encode())
    return digest.hexdigest()


def _short(text: object, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TYPE_PREFIXES = re.compile(
    r"^HK(?:Quantity|Category|Correlation|Characteristic)TypeIdentifier|^HKWorkoutActivityType|^HKDataType"
)
_WORD_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Z][a-z])")


def type_words(typ: str) -> str:
    """A HealthKit type as an owner reads it: 'HKQuantityTypeIdentifierStepCount' -> 'Step count',
    'HKQuantityTypeIdentifierHeartRateVariabilitySDNN' -> 'Heart rate variability SDNN',
    'HKWorkoutActivityTypeRunning' -> 'Running'. A name of another shape is kept as written."""
    name = _TYPE_PREFIXES.sub("", typ or "")
    if not name or name == typ:
        return typ
    words = _WORD_BREAK.sub(" ", name).split()
    return " ".join([words[0], *(w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in words[1:])])
