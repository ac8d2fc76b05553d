"""Numbers as people read them, in one place for the web pages, the emails, the documents and the
command line: Babel's CLDR rules for Vietnamese (1.234.567; 6,7%) and English (1,234,567; 6.7%).

Formatting is cached: a sweep writes the same small counts (days overdue, periods) into thousands of
digests, and Babel takes some microseconds a number. Babel is imported with the first number written
that is not whole (~0.1 s with its locale data): a command that writes only counts (`dondoc status`) or
none (`dondoc remind` with nothing to send) never loads it (tests/cli/test_cli_speed.py). A whole number
is written with the thousands separator of Babel's data for the language (GROUPS, held equal to Babel's
by tests/models/test_numbers.py).
"""
import decimal
import math
from functools import lru_cache

LOCALES = {"vi": "vi_VN", "en": "en"}
# CLDR's thousands separator for each locale above (its pattern "#,##0.###" groups by three; the minus
# sign is "-" in both): a whole number written without Babel, exactly as Babel writes it.
GROUPS = {"vi": ".", "en": ","}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES["vi"])


def _pattern(decimals: int) -> str:
    """Up to `decimals` decimal places, trailing zeros dropped (10,0 is written 10)."""
    return "#,##0" + ("." + "#" * decimals if decimals else "")


@lru_cache(maxsize=8192)
def number(value: int | float, language: str = "vi", decimals: int = 0) -> str:
    """1234567 → "1.234.567" (vi), "1,234,567" (en); 6.666 with decimals=1 → "6,7" (vi), "6.7" (en).
    Anything not a number (None, text) is written as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", GROUPS.get(language, GROUPS["vi"]))
    digits = len(f"{abs(value):.0f}") if math.isfinite(value) else 0
    with decimal.localcontext() as context:  # Babel rounds in decimal: room for every digit of a big count
        context.prec = max(context.prec, digits + decimals + 2)
        from babel.numbers import format_decimal
        return format_decimal(value, format=_pattern(decimals), locale=_locale(language))


@lru_cache(maxsize=4096)
def percent(fraction: float, language: str = "vi", decimals: int = 0) -> str:
    """A share as a percentage: 0.0667 → "7%", with decimals=1 → "6,7%" (vi), "6.7%" (en)."""
    from babel.numbers import format_percent
    return format_percent(fraction, format=_pattern(decimals) + "%", locale=_locale(language))
