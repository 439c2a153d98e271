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
    # Run before a restore on the deleted object as it would come back (not saved yet): raise `TrashError` to
    # refuse (an evidence file whose dossier has been archived meanwhile).
    restorable: Callable[[models.Model], None] | None = None


@dataclass(frozen=True)
class Link:
    """A row that only ties two records together (an auto-created many-to-many through row, a 疑似重复图片 pair).
    A delete takes such rows with it; a restore leaves out one whose other end is gone (neither restored with it
    nor still there) instead of refusing, and `skip(row)` may leave out one more, returning why in Chinese."""

    model: type[models.Model]
    skip: Callable[[models.Model], str | None] | None = None
    # Left out only when the other end is gone for good (purged); while it waits in the 回收站 the restore refuses
    # and says to restore that first, so a record of its own (a volunteer's service hours) is never dropped early.
    purged_only: bool = False


_RULES: dict[type[models.Model], Rule] = {}
# Refusals added by apps above the model's own (the ledger refuses a task whose archived dossiers would lose it).
_GUARDS: dict[type[models.Model], list[Callable[[models.Model], None]]] = {}
_LINKS: dict[type[models.Model], Link] = {}


def register(
    model: type[models.Model],
    *,
    kind: str,
    organization: Callable[[models.Model], Organization],
    title: Callable[[models.Model], str] = str,
    check: Callable[[models.Model], None] | None = None,
    restored: Callable[[models.Model], None] | None = None,
    restorable: Callable[[models.Model], None] | None = None,
) -> None:
    _RULES[model] = Rule(
        model=model,
        kind=kind,
        organization=organization,
        title=title,
        check=check,
        restored=restored,
        restorable=restorable,
    )


def link(
    model: type[models.Model],
    *,
    skip: Callable[[models.Model], str | None] | None = None,
    purged_only: bool = False,
) -> None:
    """Mark `model`'s rows as links (see `Link`); auto-created through models are links without this, and
    registering one adds its `skip`."""
    _LINKS[model] = Link(model=model, skip=skip, purged_only=purged_only)


def link_for(model: type[models.Model]) -> Link | None:
    """The `Link` of `model`'s rows, or None when they are records of their own (a restore needs their targets)."""
    found = _LINKS.get(model)
    if found is None and model._meta.auto_created:
        return Link(model=model)
    return found


def guard(model: type[models.Model], check: Callable[[models.Model], None]) -> None:
    """Add a refusal to `model`'s delete from another app's `trash_rules.py` (raise `TrashError` to refuse)."""
    _GUARDS.setdefault(model, []).append(check)


def check_deletable(obj: models.Model) -> None:
    """Raise `TrashError` (Chinese) when `obj` may not go to the 回收站: its rule's check, then the guards."""
    rule = rule_for(type(obj))
    if rule.check is not None:
        rule.check(obj)
    for check in _GUARDS.get(type(obj), ()):
        check(obj)


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _RULES[model]
    except KeyError:
        raise TrashError(f"“{model._meta.verbose_name}”不能放入回收站。") from None


def registered() -> list[Rule]:
    return list(_RULES.values())
