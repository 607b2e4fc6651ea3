"""A category sample's value (a HealthKit constant) as the owner reads it on a day page."""

from __future__ import annotations

import pytest

from connections.connectors.apple_health.words import category_value_words

SLEEP = {"type": "HKCategoryTypeIdentifierSleepAnalysis"}
STAND = {"type": "HKCategoryTypeIdentifierAppleStandHour"}


@pytest.mark.parametrize(("value", "payload", "shown"), [
    ("HKCategoryValueSleepAnalysisInBed", SLEEP, "In bed"),
    ("HKCategoryValueSleepAnalysisAsleep", SLEEP, "Asleep"),
    ("HKCategoryValueSleepAnalysisAsleepUnspecified", SLEEP, "Asleep"),
    ("HKCategoryValueSleepAnalysisAwake", SLEEP, "Awake"),
    ("HKCategoryValueSleepAnalysisAsleepCore", SLEEP, "Asleep (core)"),
    ("HKCategoryValueSleepAnalysisAsleepDeep", SLEEP, "Asleep (deep)"),
    ("HKCategoryValueSleepAnalysisAsleepREM", SLEEP, "Asleep (REM)"),
    ("HKCategoryValueAppleStandHourStood", STAND, "Stood"),
    ("HKCategoryValueAppleStandHourIdle", STAND, "Did not stand"),
    # A constant the table does not know loses its type's name and reads as words.
    ("HKCategoryValueAppetiteChangesDecreased", {"type": "HKCategoryTypeIdentifierAppetiteChanges"}, "Decreased"),
    ("HKCategoryValueSeverityNotPresent", {"type": "HKCategoryTypeIdentifierHeadache"}, "Severity not present"),
    ("HKCategoryValueSleepAnalysisAsleepNewStage", SLEEP, "Asleep new stage"),
    # A number or a word of another shape is kept as written.
    ("72.5", {"type": "HKQuantityTypeIdentifierHeartRate"}, "72.5"),
    ("Moderate", {}, "Moderate"),
])
def test_a_category_value_reads_as_words(value, payload, shown):
    assert category_value_words(value, payload) == shown
