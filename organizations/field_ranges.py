"""The range a model's number field can hold, checked before a value reaches the database.

A number that overflows its column is refused by PostgreSQL with an error (a 500) and stored by SQLite as it is,
to break every later read (a Decimal that no longer fits its field). Services, importers and forms check numbers
here, against the field's own definition, and give a Chinese message instead. The limits are the portable ones
(PostgreSQL's column sizes), whatever database runs, so SQLite refuses what PostgreSQL would.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations


def _field(model: type[models.Model], field_name: str) -> models.Field:
    return model._meta.get_field(field_name)


def integer_range(model: type[models.Model], field_name: str) -> tuple[int, int]:
    """(smallest, largest) value an integer field can store."""
    field = _field(model, field_name)
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    return low, high


def decimal_limit(model: type[models.Model], field_name: str) -> tuple[Decimal, int]:
    """(largest magnitude, decimal places) a decimal field can store."""
    field = _field(model, field_name)
    places = field.decimal_places
    return Decimal(10) ** (field.max_digits - places) - Decimal(1).scaleb(-places), places


def number_problem(model: type[models.Model], field_name: str, value: Any, *, label: str = "") -> str:
    """A Chinese sentence saying why `value` cannot be stored in the field, or "" when it can."""
    field = _field(model, field_name)
    label = label or str(field.verbose_name)
    if value is None:
        return "" if field.null else f"{label}不能为空。"
    if isinstance(field, models.DecimalField):
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return f"{label}不是有效的数字。"
        if not number.is_finite():
            return f"{label}不是有效的数字。"
        largest, places = decimal_limit(model, field_name)
        if abs(number) > largest:
            return f"{label}超出范围：绝对值不能超过 {largest}。"
        if number.normalize().as_tuple().exponent < -places:
            return f"{label}须为整数。" if places == 0 else f"{label}最多保留 {places} 位小数。"
        return ""
    if isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                return f"{label}须为整数。"
        low, high = integer_range(model, field_name)
        if value < low:
            return f"{label}不能小于 {low}。"
        if value > high:
            return f"{label}超出范围：不能大于 {high}。"
        return ""
    raise TypeError(f"{model.__name__}.{field_name} is not a number field")


def check_number(model: type[models.Model], field_name: str, value: Any, *, label: str = "") -> None:
    """Raise a ValidationError (Chinese, on the field) when `value` does not fit the field."""
    problem = number_problem(model, field_name, value, label=label)
    if problem:
        raise ValidationError({field_name: problem})


# Activities, tasks, hours and rectifications happen in these years; 0001-01-01 or 9999-12-31 is a typing slip.
PLAUSIBLE_FIRST_YEAR = 2000
PLAUSIBLE_LAST_YEAR = 2100


def date_problem(value: datetime.date | None, label: str = "日期") -> str:
    """A Chinese sentence when the date lies outside 2000–2100 (implausible for this platform), else ""."""
    if value is None:
        return ""
    if not PLAUSIBLE_FIRST_YEAR <= value.year <= PLAUSIBLE_LAST_YEAR:
        return f"{label}{value.isoformat()}不合常理：须在 {PLAUSIBLE_FIRST_YEAR}–{PLAUSIBLE_LAST_YEAR} 年之间。"
    return ""


def plausible_date(value: datetime.date | None) -> None:
    """A field validator (model or form): refuse dates outside 2000–2100."""
    problem = date_problem(value)
    if problem:
        raise ValidationError(problem, code="implausible_date")


def refuse_implausible_dates(form: Any, *names: str) -> None:
    """Give the named date fields of a form the 2000–2100 check (and the date picker the same bounds)."""
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        field.validators = [*field.validators, plausible_date]
        field.widget.attrs.setdefault("min", f"{PLAUSIBLE_FIRST_YEAR}-01-01")
        field.widget.attrs.setdefault("max", f"{PLAUSIBLE_LAST_YEAR}-12-31")


def form_bounds(model: type[models.Model], field_name: str) -> dict[str, Any]:
    """Keyword arguments that bound a plain forms.IntegerField/DecimalField to what the model field stores."""
    field = _field(model, field_name)
    if isinstance(field, models.DecimalField):
        largest, places = decimal_limit(model, field_name)
        return {"max_digits": field.max_digits, "decimal_places": places, "max_value": largest}
    low, high = integer_range(model, field_name)
    return {"min_value": low, "max_value": high}


__all__ = [
    "check_number",
    "date_problem",
    "decimal_limit",
    "form_bounds",
    "integer_range",
    "number_problem",
    "plausible_date",
    "refuse_implausible_dates",
]
