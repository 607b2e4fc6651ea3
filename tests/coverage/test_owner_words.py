"""Owner words: one module writes every day, span, count, "ago" and size an owner reads (UI.md, "Words")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import override_settings

from coverage import words

MESSAGE = ("message", "messages")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 1, 9, 41, tzinfo=UTC)


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, MESSAGE, "0 messages"),
        (1, MESSAGE, "1 message"),
        (3, MESSAGE, "3 messages"),
        (12_000, MESSAGE, "12,000 messages"),
        (1, ("media file", "media files"), "1 media file"),
        (2, ("lane", "lanes"), "2 lanes"),
    ],
)
def test_a_count_agrees_with_its_noun(n, noun, expected):
    assert words.count(n, noun) == expected


@pytest.mark.parametrize(("n", "expected"), [(0, "need"), (1, "needs"), (2, "need")])
def test_a_verb_agrees_with_its_count(n, expected):
    assert words.pick(n, ("needs", "need")) == expected


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        (datetime(2023, 3, 12, 9, 15, tzinfo=UTC), None, "12 Mar 2023"),
        (date(2023, 3, 12), None, "12 Mar 2023"),
        ("2024-05-02", None, "2 May 2024"),
        ("2024-05-02T23:00:00+00:00", None, "2 May 2024"),
        ("not a date", None, "not a date"),
        (None, None, "an unknown date"),
        (datetime(2026, 11, 30, 23, 30), AUCKLAND, "30 Nov 2026"),  # naive: as written
        # The owner's zone decides the day: late evening in UTC is the next morning in Auckland.
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), AUCKLAND, "1 Dec 2026"),
        (datetime(2026, 12, 1, 5, 0, tzinfo=UTC), LOS_ANGELES, "30 Nov 2026"),
    ],
)
def test_a_day_is_written_in_the_zone_asked_for(value, tz, expected):
    assert words.day(value, tz) == expected


def test_a_missing_day_can_say_nothing():
    assert words.day(None, missing="") == ""
    assert words.day("", missing="") == ""


@pytest.mark.parametrize(
    ("start", "end", "tz", "expected"),
    [
        pytest.param(datetime(2023, 3, 12, 9, 15, tzinfo=UTC), datetime(2023, 3, 25, 22, 10, tzinfo=UTC), None,
                     "12 Mar to 25 Mar 2023", id="same_year_says_it_once"),
        pytest.param(datetime(2022, 12, 28, tzinfo=UTC), datetime(2023, 1, 3, tzinfo=UTC), None,
                     "28 Dec 2022 to 3 Jan 2023", id="across_a_new_year_says_both"),
        pytest.param(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 20, 0, tzinfo=UTC), None,
                     "1 Dec 2026", id="a_single_day_is_one_date"),
        pytest.param(datetime(2026, 11, 30, 8, 0, tzinfo=UTC), datetime(2026, 11, 30, 20, 0, tzinfo=UTC), AUCKLAND,
                     "30 Nov to 1 Dec 2026", id="one_utc_day_is_two_in_auckland"),
        pytest.param(datetime(2026, 11, 30, 20, 0, tzinfo=UTC), datetime(2026, 12, 1, 6, 0, tzinfo=UTC), AUCKLAND,
                     "1 Dec 2026", id="two_utc_days_are_one_in_auckland"),
    ],
)
def test_a_span_names_its_days_once(start, end, tz, expected):
    assert words.span(start, end, tz) == expected


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        (datetime(2023, 3, 12, 14, 5, tzinfo=UTC), None, "12 Mar 2023 at 14:05 UTC"),
        (datetime(2023, 3, 12, 14, 5, tzinfo=UTC), AUCKLAND, "13 Mar 2023 at 03:05 NZDT"),
    ],
)
def test_a_day_and_time_names_the_zone(value, tz, expected):
    assert words.day_and_time(value, tz) == expected


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        pytest.param(NOW, UTC, "today at 09:41 UTC", id="today"),
        pytest.param(NOW, ZoneInfo("UTC"), "today at 09:41 UTC", id="today_zoneinfo_utc"),
        pytest.param(NOW, AUCKLAND, "today at 22:41 NZDT", id="today_in_auckland"),
        pytest.param(NOW + timedelta(hours=3), AUCKLAND, "tomorrow at 01:41 NZDT", id="past_midnight_in_auckland"),
        pytest.param(NOW, LOS_ANGELES, "today at 01:41 PST", id="today_in_los_angeles"),
        pytest.param(NOW - timedelta(hours=2), LOS_ANGELES, "yesterday at 23:41 PST", id="before_midnight_in_la"),
        pytest.param(NOW - timedelta(days=9), AUCKLAND, "22 Nov 2026 at 22:41 NZDT", id="a_date_beyond"),
    ],
)
def test_a_moment_near_now_says_its_day_in_words_and_names_the_zone(value, tz, expected):
    assert words.moment(value, tz, NOW) == expected


def test_a_moment_after_a_verb_says_on_for_a_date():
    assert words.when(NOW + timedelta(days=5), AUCKLAND, NOW) == "on 6 Dec 2026 at 22:41 NZDT"
    assert words.when(NOW, AUCKLAND, NOW) == "today at 22:41 NZDT"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime(2023, 3, 12, 9, 15, tzinfo=UTC), datetime(2023, 3, 25, 22, 10, tzinfo=UTC), "from 12 Mar to 25 Mar 2023"),
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 20, 0, tzinfo=UTC), "on 1 Dec 2026"),
    ],
)
def test_a_range_after_a_count_is_from_to_or_on_one_day(start, end, expected):
    assert words.between(start, end, UTC) == expected


def test_a_part_agrees_with_its_whole():
    assert words.part_of(1, 4, words.MEDIA_FILE) == "1 of 4 media files"
    assert words.part_of(1, 1, words.MEDIA_FILE) == "1 of 1 media file"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(hours=2, minutes=59), "2 hours ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=7), "1 week ago"),
        (timedelta(days=90), "3 months ago"),
        (timedelta(days=800), "2 years ago"),
        (-timedelta(minutes=30), "in 30 minutes"),
        (-timedelta(hours=1), "in 1 hour"),
        (-timedelta(days=2), "in 2 days"),
    ],
)
def test_ago_and_in_use_the_largest_whole_unit(delta, expected):
    assert words.ago(NOW - delta, NOW) == expected


def test_ago_of_nothing_says_nothing():
    assert words.ago(None, NOW) == ""


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(3600, "hour"), (7200, "2 hours"), (900, "15 minutes"), (86400, "day"), (172800, "2 days"),
     (90, "90 seconds"), (None, "0 seconds")],
)
def test_an_interval_reads_after_every(seconds, expected):
    assert words.interval(seconds) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(4 * 1024**3, "4 GB"), (50 * 1024**2, "50 MB"), (1536 * 1024, "1.5 MB"), (2048, "2 KB"), (512, "512 bytes")],
)
def test_a_size_reads_like_an_upload_limit(n, expected):
    assert words.size(n) == expected


@pytest.mark.parametrize(
    ("source_format", "expected"),
    [("whatsapp_ios_zip", "WhatsApp iPhone (.zip)"), ("owntracks_http", "OwnTracks"),
     ("google_takeout_records_json", "Google Takeout Records (.json)"), ("gpx", "GPX"), ("gpx_zip", "GPX (.zip)"),
     ("", "")],
)
def test_a_format_name_an_owner_can_read(source_format, expected):
    assert words.format_name(source_format) == expected


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_template_filters_write_days_in_the_current_zone(time_machine):
    time_machine.move_to(datetime(2026, 12, 20, tzinfo=UTC), tick=False)  # beyond "yesterday": a date
    template = Template(
        "{% load owner_ui %}{{ at|owner_day }} · {{ at|owner_time }} · {{ iso|owner_day }} · {{ n|count_noun:noun }}"
        " · {{ every|interval_words }} · {{ fmt|format_words }} · {{ days|count_of:'day' }} · {{ n|agree:'was,were' }}"
    )
    text = template.render(Context({"at": datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "iso": "2024-05-02",
                                    "n": 1, "noun": MESSAGE, "every": 7200, "fmt": "whatsapp_ios_zip", "days": 2}))
    assert text == ("1 Dec 2026 · 1 Dec 2026 at 12:30 NZDT · 2 May 2024 · 1 message · 2 hours · WhatsApp iPhone (.zip)"
                    " · 2 days · was")


def test_the_ago_filter_is_relative_to_the_clock():
    text = Template("{% load owner_ui %}{{ at|ago }}").render(Context({"at": datetime.now(UTC) - timedelta(days=3)}))
    assert text == "3 days ago"


OWNER_WORD_MODULES = [
    "coverage/projection",  # a module or a package
    "coverage/receipts",
    "coverage/templatetags/owner_ui",
    "coverage/templatetags/coverage_timeline",
    "coverage/days",
    "coverage/evidence",
    "coverage/management/commands/receipt",
    "coverage/management/commands/health",
    "ownerhub/owner_zone",
]
DATE_FORMATTING = re.compile(r"%[bBYmdHM]|strftime|\{\w+\.day\}")


@pytest.mark.parametrize("path", OWNER_WORD_MODULES)
def test_days_are_written_only_by_the_words_module(path):
    where = Path(__file__).resolve().parents[2] / path
    files = sorted(where.glob("*.py")) if where.is_dir() else [where.with_suffix(".py")]
    found = [
        f"{f.name}:{n}: {line.strip()}"
        for f in files
        for n, line in enumerate(f.read_text().splitlines(), start=1)
        if DATE_FORMATTING.search(line)
    ]
    assert found == []


TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "templates" / "coverage").glob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_write_no_date_or_plural_of_their_own(template):
    """Owner nouns agree through ``count_of``/``count_noun``; dates through the owner filters (``|date:'c'``
    is the machine-readable ``datetime`` attribute, not owner copy); no button says "Re-export" (UI.md)."""
    text = template.read_text()
    assert "|pluralize" not in text
    assert re.findall(r"\|date:'(?!c')", text) == []
    assert "Re-export" not in text


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Pacific/Auckland", "22:41 NZDT"),
        ("Pacific/Kiritimati", "23:41 UTC+14"),  # a zone with no short name of its own
        ("America/St_Johns", "06:11 NST"),
        ("Asia/Kathmandu", "15:26 UTC+5:45"),
        ("America/Sao_Paulo", "06:41 UTC-3"),
        ("UTC", "09:41 UTC"),
    ],
)
def test_a_time_of_day_names_its_zone_in_words_an_owner_reads(zone, expected):
    assert words.time_of_day(NOW, ZoneInfo(zone)) == expected


@pytest.mark.parametrize(
    ("start", "end", "zone", "expected"),
    [
        # A single day is said once (UI.md), in the owner's zone: 04:30 UTC is 10:00 in India.
        (datetime(2024, 2, 1, 4, 30, tzinfo=UTC), datetime(2024, 2, 1, 4, 31, tzinfo=UTC), "Asia/Kolkata",
         "1 Feb 2024 from 10:00 to 10:01 IST"),
        # The same UTC day is two days in Auckland.
        (datetime(2024, 2, 1, 4, 30, tzinfo=UTC), datetime(2024, 2, 1, 12, 0, tzinfo=UTC), "Pacific/Auckland",
         "1 Feb 2024 at 17:30 NZDT to 2 Feb 2024 at 01:00 NZDT"),
        # The night the clocks go forward: each time keeps its own zone's name.
        (datetime(2024, 3, 31, 0, 30, tzinfo=UTC), datetime(2024, 3, 31, 2, 0, tzinfo=UTC), "Europe/Berlin",
         "31 Mar 2024 from 01:30 CET to 04:00 CEST"),
        (NOW - timedelta(hours=2), NOW, "UTC", "today from 07:41 to 09:41 UTC"),
        (datetime(2026, 3, 13, 10, tzinfo=UTC), datetime(2026, 3, 14, 18, tzinfo=UTC), "UTC",
         "13 Mar 2026 at 10:00 UTC to 14 Mar 2026 at 18:00 UTC"),
    ],
)
def test_from_one_moment_to_another_a_single_day_is_said_once(start, end, zone, expected):
    assert words.moments(start, end, ZoneInfo(zone), NOW) == expected
