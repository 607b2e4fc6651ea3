"""``safe_xml.xml_number``: the one reader of numbers in XML text (Apple Health, GPX)."""

from __future__ import annotations

import pytest

from connections.connectors.safe_xml import xml_number


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("72", 72), ("007", 7), ("-4.5", -4.5), ("1e3", 1000.0), (" 3 ", 3.0), ("12.", 12.0)],
)
def test_a_number_is_a_json_number(text, number):
    value = xml_number(text)
    assert value == number and type(value) is type(number)


def test_long_digits_are_a_float_not_an_int():
    assert type(xml_number("9" * 15)) is int
    assert type(xml_number("9" * 16)) is float


@pytest.mark.parametrize("text", ["abc", "", "inf", "-inf", "nan", "1e999", "0x10"])
def test_what_json_cannot_hold_is_the_fallback(text):
    assert xml_number(text) is None
    assert xml_number(text, otherwise=text) == text


def test_no_text_is_none_whatever_the_fallback():
    assert xml_number(None, otherwise="missing") is None
