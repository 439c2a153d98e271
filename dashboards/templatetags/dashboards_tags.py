"""Number formatting of the dashboards: one decimal, "—" where there is nothing to measure."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


def _fmt(value: object) -> str:
    if value is None or value == "":
        return "—"
    number = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{number:f}"
    return text[:-2] if text.endswith(".0") else text


@register.filter
def pct(value: object) -> str:
    """12.5 → "12.5%", 80 → "80%", None → "—"."""
    text = _fmt(value)
    return text if text == "—" else f"{text}%"


@register.filter
def num(value: object) -> str:
    """12.50 → "12.5", None → "—"."""
    return _fmt(value)


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def has_office(memberships: object) -> bool:
    """Whether any of the memberships sits on a 文明办 (the navbar's 动态管理 link)."""
    return any(getattr(m.organization, "kind", "") == "office" for m in memberships or ())
