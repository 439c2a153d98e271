from decimal import Decimal

from django import template

from evaluation.scoring import format_points

register = template.Library()


@register.filter
def pts(value: Decimal | None) -> str:
    """4.00 → 4, 2.50 → 2.5, None → —."""
    if value is None or value == "":
        return "—"
    return format_points(value) if isinstance(value, Decimal) else str(value)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def deduction_lines(deductions: list) -> str:
    return "\n".join(f"{d['points']} {d['reason']}" for d in deductions or [])
