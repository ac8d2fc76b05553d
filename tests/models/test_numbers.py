"""Numbers are written one way everywhere (models.numbers, Babel's CLDR data): Vietnamese groups
thousands with "." and writes decimals with ",", English the other way round."""
import decimal

import pytest

from models.numbers import number, percent


def test_a_vietnamese_count_groups_thousands_with_dots():
    assert number(1234567) == "1.234.567"
    assert number(999) == "999" and number(0) == "0" and number(-4500) == "-4.500"


def test_an_english_count_groups_thousands_with_commas():
    assert number(1234567, "en") == "1,234,567"


def test_decimals_use_a_comma_in_vietnamese_a_point_in_english_and_drop_trailing_zeros():
    assert number(1234.56, "vi", decimals=1) == "1.234,6"
    assert number(1234.56, "en", decimals=1) == "1,234.6"
    assert number(10.0, "vi", decimals=1) == "10"


def test_a_share_is_written_as_a_percentage_in_either_language():
    assert percent(6 / 90, "vi", decimals=1) == "6,7%"
    assert percent(6 / 90, "en", decimals=1) == "6.7%"
    assert percent(0.5) == "50%"


def test_a_count_too_big_for_decimals_default_precision_is_still_written_whole():
    assert number(10 ** 30) == "1" + ".000" * 10


def test_what_is_not_a_number_is_written_as_it_is_and_an_unknown_language_is_vietnamese():
    assert number(None) == "" and number("—") == "—" and number(True) == "True"
    assert number(1234, "fr") == "1.234"


@pytest.mark.parametrize("language", ["vi", "en", "fr"])
def test_a_whole_number_is_written_without_babel_exactly_as_babel_writes_it(language):
    from babel.numbers import format_decimal

    from models.numbers import LOCALES

    locale = LOCALES.get(language, LOCALES["vi"])
    values = [0, 7, -7, 999, 1000, -1000, 12345, 999999, 1000000, -1234567, 2 ** 31, -(10 ** 18) - 1, 10 ** 30]
    for value in values:
        for decimals in (0, 1, 2):
            pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
            with decimal.localcontext() as context:  # room for every digit of 10 ** 30, as number() makes
                context.prec = 60
                babel = format_decimal(value, format=pattern, locale=locale)
            assert number(value, language, decimals) == babel, value
