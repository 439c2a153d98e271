"""What may go to the 回收站. Each app registers its deletable models in its own `trash_rules.py`.

A rule says how to find the organisation an object belongs to (the 回收站 is the unit's above it), what to call it,
and may refuse a delete (`check` raises `TrashError` with a Chinese message). What hangs from the object is found by
Django's own cascade rules (the models' `on_delete`), so the 回收站 keeps exactly what a delete would remove."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from organizations.models import Organization


class TrashError(Exception):
    """A delete or a restore refused; the message is shown to the user as is."""


@dataclass(frozen=True)
class Rule:
    model: type[models.Model]
    kind: str
    organization: Callable[[models.Model], Organization]
    title: Callable[[models.Model], str] = str
    check: Callable[[models.Model], None] | None = None
    restored: Callable[[models.Model], None] | None = None  # run after a restore, inside its transaction


_RULES: dict[type[models.Model], Rule] = {}


def register(
    model: type[models.Model],
    *,
    kind: str,
    organization: Callable[[models.Model], Organization],
    title: Callable[[models.Model], str] = str,
    check: Callable[[models.Model], None] | None = None,
    restored: Callable[[models.Model], None] | None = None,
) -> None:
    _RULES[model] = Rule(model=model, kind=kind, organization=organization, title=title, check=check, restored=restored)


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _RULES[model]
    except KeyError:
        raise TrashError(f"“{model._meta.verbose_name}”不能放入回收站。") from None


def registered() -> list[Rule]:
    return list(_RULES.values())
