"""A HealthKit category value as an owner reads it, on a day page.

A category sample's ``value`` is a constant named after its type:
``HKCategoryValueSleepAnalysisAsleepCore`` for ``HKCategoryTypeIdentifierSleepAnalysis``. The
parser keeps the constant as written (it is part of the key); only the page shows words.
"""

from __future__ import annotations

import re

# The stages and states an owner meets most, in the Health app's own words.
_KNOWN = {
    "HKCategoryValueSleepAnalysisInBed": "In bed",
    "HKCategoryValueSleepAnalysisAsleep": "Asleep",
    "HKCategoryValueSleepAnalysisAsleepUnspecified": "Asleep",
    "HKCategoryValueSleepAnalysisAwake": "Awake",
    "HKCategoryValueSleepAnalysisAsleepCore": "Asleep (core)",
    "HKCategoryValueSleepAnalysisAsleepDeep": "Asleep (deep)",
    "HKCategoryValueSleepAnalysisAsleepREM": "Asleep (REM)",
    "HKCategoryValueAppleStandHourStood": "Stood",
    "HKCategoryValueAppleStandHourIdle": "Did not stand",
    "HKCategoryValueNotApplicable": "Not applicable",
}
_VALUE = "HKCategoryValue"
_CATEGORY_TYPE = "HKCategoryTypeIdentifier"
_WORD_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Z][a-z])")


def category_value_words(value: str, payload: dict) -> str:
    """``HKCategoryValueSleepAnalysisAsleepCore`` -> 'Asleep (core)'. A constant not in the table
    loses its type's name (from the sample's ``type``) and reads as words:
    ``HKCategoryValueAppetiteChangesDecreased`` -> 'Decreased'. Any other value is kept as written."""
    if not isinstance(value, str) or not value.startswith(_VALUE):
        return value
    if value in _KNOWN:
        return _KNOWN[value]
    tail = value.removeprefix(_VALUE)
    typ = str((payload or {}).get("type", ""))
    if typ.startswith(_CATEGORY_TYPE):
        kind = typ.removeprefix(_CATEGORY_TYPE)
        if kind and tail.startswith(kind) and tail != kind:
            tail = tail.removeprefix(kind)
    words = _WORD_BREAK.sub(" ", tail).split()
    if not words:
        return value
    return " ".join([words[0], *(w if w.isupper() else w.lower() for w in words[1:])])
