"""A chat from a phone in any language: its dates and times read right, or the file is refused.

Phones write a chat's dates in their language's short date and time (Android: short time;
iOS: a time with seconds). CLDR, through Babel, gives every language's layout, so each of its
locales is a phone here: a chat of eight messages over a year is written in its layout (in its
own digits where the language has them), read, and compared with the instants it was written
from. A layout may be refused by name ("Dates like … are in a layout Ownerhub cannot read
yet"), and a time whose clock word two lesser-written languages use for different hours is
reported unreadable; no message may be read to another instant or lost unreported, and no
question may be asked that the dates answer. The languages most owners write in are read
whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel import Locale, localedata
from babel.dates import format_date, format_time, get_datetime_format, get_time_format

from connections.connectors.base import ArtifactRejected
from tests.connectors.whatsapp.helpers import chat_file, read

# Eight messages over a year, in time order: every half of the day, noon and midnight, days
# above 12, two month ends and a year end (a chat's dates tell its day/month order that way).
SENT = [
    datetime(2023, 12, 31, 21, 40, 5),
    datetime(2024, 1, 2, 9, 5, 30),
    datetime(2024, 1, 31, 0, 15, 44),
    datetime(2024, 3, 18, 12, 30, 0),
    datetime(2024, 3, 19, 13, 7, 0),
    datetime(2024, 6, 30, 5, 45, 12),
    datetime(2024, 11, 5, 18, 20, 59),
    datetime(2024, 11, 30, 23, 59, 1),
]

# Languages whose phones may write their own digits, and those digits.
NATIVE_DIGITS = {
    "ar": "٠١٢٣٤٥٦٧٨٩",
    "fa": "۰۱۲۳۴۵۶۷۸۹",
    "bn": "০১২৩৪৫৬৭৮৯",
    "mr": "०१२३४५६७८९",
    "ne": "०१२३४५६७८९",
    "my": "၀၁၂၃၄၅၆၇၈၉",
    "th": "๐๑๒๓๔๕๖๗๘๙",
}

# Languages with many WhatsApp users, and the layouts a reader got wrong before: each of these
# is read, not refused, with the date and time joined by a comma or in the language's own way.
MUST_READ = [
    "af", "am", "ar", "ar_EG", "ar_SA", "bg", "bn", "ca", "cs", "da", "de", "de_AT", "de_CH", "el",
    "en", "en_AU", "en_CA", "en_GB", "en_IN", "en_NG", "en_ZA", "es", "es_419", "es_AR", "es_MX",
    "et", "eu", "fa", "fi", "fil", "fr", "fr_CA", "gu", "ha", "he", "hi", "hr", "hu", "id", "it",
    "ja", "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mr", "ms", "my", "nb", "ne", "nl", "pa", "pl",
    "ps", "pt", "pt_PT", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sr_Latn", "sv", "sw", "ta",
    "te", "th", "tr", "tr_CY", "uk", "ur", "uz", "vi", "yue", "zh", "zh_Hant", "zh_Hant_HK", "zu",
]


def _written(locale: str, at: datetime, ios: bool, digits: str | None, glued: bool = False) -> str:
    date = format_date(at, "short", locale=locale)
    time = format_time(at, "medium" if ios else "short", locale=locale)
    stamp = f"{date}, {time}"
    if glued:  # the language's own joint of date and time: "{1} {0}", Chinese a thin space
        stamp = get_datetime_format("short", locale=locale).replace("{1}", date).replace("{0}", time)
    if digits:
        stamp = "".join(digits[int(c)] if c.isascii() and c.isdigit() else c for c in stamp)
    return f"[{stamp}] Ana Souza: hello {at:%d %b}" if ios else f"{stamp} - Ana Souza: hello {at:%d %b}"


def _expected(at: datetime, locale: str, ios: bool) -> datetime:
    pattern = get_time_format("medium" if ios else "short", locale=locale).pattern
    return at.replace(tzinfo=UTC, second=at.second if "s" in pattern else 0)


def _cases():
    for locale in sorted(localedata.locale_identifiers()):
        for ios in (False, True):
            yield pytest.param(locale, ios, None, id=f"{locale}-{'ios' if ios else 'android'}")
        digits = NATIVE_DIGITS.get(Locale.parse(locale).language)
        if digits:
            yield pytest.param(locale, False, digits, id=f"{locale}-android-own-digits")


def _outcome(tmp_path, locale: str, ios: bool, digits: str | None, glued: bool = False):
    lines = [_written(locale, at, ios, digits, glued) for at in SENT]
    name = "_chat.txt" if ios else "WhatsApp Chat with Ana Souza.txt"
    try:
        records, facts = read(chat_file(tmp_path, lines, name=name))
    except ArtifactRejected as refused:
        return lines, refused, None, None
    return lines, None, records, facts


@pytest.mark.parametrize(("locale", "ios", "digits"), list(_cases()))
def test_a_chat_in_any_language_is_read_to_its_instants_or_refused_by_name(tmp_path, locale, ios, digits):
    lines, refused, records, facts = _outcome(tmp_path, locale, ios, digits)

    if refused is not None:
        assert refused.reason == "unsupported", lines[0]
        assert "layout Ownerhub cannot read yet" in refused.detail
        return
    assert facts.needs_answer is None, lines[:3]
    sent = {f"hello {at:%d %b}": _expected(at, locale, ios) for at in SENT}
    read_texts = {r.payload["text"] for r in records}
    assert [(r.payload["text"], r.event_at) for r in records] == [
        (text, at) for text, at in sent.items() if text in read_texts
    ], lines
    assert len(records) + facts.failed == len(SENT), lines
    assert len(facts.warnings) == facts.failed, lines


@pytest.mark.parametrize("locale", MUST_READ)
@pytest.mark.parametrize("ios", [False, True], ids=["android", "ios"])
@pytest.mark.parametrize("glued", [False, True], ids=["comma", "own-joint"])
def test_chats_in_the_languages_of_most_owners_are_read(tmp_path, locale, ios, glued):
    lines, refused, records, facts = _outcome(tmp_path, locale, ios, None, glued)

    assert refused is None, f"{lines[0]!r}: {refused}"
    assert [r.event_at for r in records] == [_expected(at, locale, ios) for at in SENT], lines
    assert facts.failed == 0 and not facts.warnings
