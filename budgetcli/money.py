"""Money: exact Decimal amounts, always shown with two places."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)
MAX_AMOUNT = Decimal("1000000000")


def cents(amount: Decimal) -> str:
    """Two decimal places, as every amount is printed and emitted: Decimal('12.5') -> '12.50'."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN))


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, cut (not rounded) to two places, so that
    79.999% never reads as 80.00%."""
    return (part * 100 / whole).quantize(CENT, rounding=ROUND_DOWN)


def share(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a fraction of `whole`; zero when the whole is zero."""
    return part / whole if whole else ZERO
