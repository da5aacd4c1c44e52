"""Money as the award pages write it."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """Yuan with thousands separators and two decimals: 1234567.8 → 1,234,567.80 (— for none)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def wan(value) -> str:
    """Yuan written in 万元 with up to four decimals: 67645000 → 6,764.5."""
    if value is None or value == "":
        return "—"
    amount = (Decimal(value) / 10000).quantize(Decimal("0.0001")).normalize()
    text = f"{amount:,f}"
    return text
