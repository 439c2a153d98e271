"""The history of every change to a domain object: who, when, what (django-simple-history underneath).

Each domain model declares `history = TrackedHistory(scope="<lookup to its Organization>", title="<field>")`.
A save, a `.create()`, a delete and every `bulk_create_with_history` / `bulk_update_with_history` write one
historical row; `queryset.update()` is never recorded, so services do not use it on tracked models.

Who: inside a request the signed-in user (simple-history's HistoryRequestMiddleware); in a command, a Celery job
or any service that was handed its `actor` explicitly, `acting_as(actor)` wins over the request. Without either the
row says 系统.

What: `object_history()` turns the rows of one object into entries with field-level differences (old → new, the
fields' Chinese verbose names) without a query per row; `changes_feed()` is the scoped, paginated 数据变更 list of
every tracked model at once (one UNION query per page, then a few queries per model on the page).
"""

from __future__ import annotations

import datetime
import decimal
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

# Fields that change on every save or are kept by the machine; their differences are not shown.
QUIET_FIELDS = frozenset({"updated_at", "created_at", "path", "depth"})
TYPE_LABELS = {"+": "新建", "~": "修改", "-": "删除"}
EMPTY = "（空）"

F_ = TypeVar("F_", bound=Callable[..., Any])
_UNSET = object()
_actor: ContextVar[Any] = ContextVar("wenming_history_actor", default=_UNSET)


# ----------------------------------------------------------------------------------------------
# Who
# ----------------------------------------------------------------------------------------------
def _real_user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    """The user a historical row records: the explicit actor (`acting_as`), else the request's user, else 系统."""
    actor = _actor.get()
    if actor is not _UNSET:
        return actor
    if request is None:
        request = getattr(HistoricalRecords.context, "request", None)
    return _real_user(getattr(request, "user", None))


@contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Record `actor` (None: 系统) as the author of every history row written inside the block."""
    token = _actor.set(_real_user(actor))
    try:
        yield
    finally:
        _actor.reset(token)


def records_actor(param: str) -> Callable[[F_], F_]:
    """Decorate a service so that the history rows it writes name the user passed as keyword `param` (imports and
    batch services also run from commands and jobs, where there is no request). Without the keyword, the request's
    user (or the enclosing `acting_as`) is recorded as usual."""

    def decorate(fn: F_) -> F_:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if param not in kwargs:
                return fn(*args, **kwargs)
            with acting_as(kwargs[param]):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# ----------------------------------------------------------------------------------------------
# The tracked models
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tracked:
    model: type[models.Model]
    history_model: type[models.Model]
    scope: str | None  # lookup from the historical row to an Organization; "self" for organisations; None: everyone
    title: str  # the field naming the object in lists


REGISTRY: dict[str, Tracked] = {}


class TrackedHistory(HistoricalRecords):
    """HistoricalRecords with the project's user lookup, Chinese names and a place in the 数据变更 feed."""

    def __init__(self, *, scope: str | None, title: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)
        self.wenming_scope = scope
        self.wenming_title = title

    def get_meta_options(self, model: type[models.Model]) -> dict[str, Any]:
        options = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            options["verbose_name"] = f"{model._meta.verbose_name}（历史）"
            options["verbose_name_plural"] = f"{model._meta.verbose_name_plural}（历史）"
        return options

    def finalize(self, sender: type[models.Model], **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        if self.cls is not sender or sender._meta.abstract:
            return
        history_model = getattr(sender, self.manager_name).model
        REGISTRY[sender._meta.label] = Tracked(
            model=sender, history_model=history_model, scope=self.wenming_scope, title=self.wenming_title
        )


def is_historical(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type") and hasattr(model, "history_object")


# ----------------------------------------------------------------------------------------------
# Bulk writes that keep their history (one INSERT for the rows, one for their history)
# ----------------------------------------------------------------------------------------------
def bulk_create_tracked(
    model: type[models.Model], objs: Iterable[models.Model], *, actor: Any = _UNSET, reason: str = ""
) -> list[models.Model]:
    objs = list(objs)
    if not objs:
        return []
    user = history_user() if actor is _UNSET else _real_user(actor)
    with acting_as(user):
        return bulk_create_with_history(objs, model, default_user=user, default_change_reason=reason or None)


def bulk_update_tracked(
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: list[str],
    *,
    actor: Any = _UNSET,
    reason: str = "",
) -> int:
    if not objs:
        return 0
    user = history_user() if actor is _UNSET else _real_user(actor)
    with acting_as(user):
        return bulk_update_with_history(objs, model, fields, default_user=user, default_change_reason=reason or None)


# ----------------------------------------------------------------------------------------------
# What changed
# ----------------------------------------------------------------------------------------------
@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime.datetime
    user: Any
    kind: str  # "+", "~", "-"
    reason: str
    model_label: str
    object_id: int
    object_title: str
    history_id: int = 0
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return TYPE_LABELS.get(self.kind, self.kind)

    @property
    def user_label(self) -> str:
        return getattr(self.user, "display_name", "") or "系统"


def _shown_fields(history_model: type[models.Model]) -> list[models.Field]:
    return [f for f in history_model.tracked_fields if not f.primary_key and f.name not in QUIET_FIELDS]


def _fk_labels(rows: Iterable[Any], fields: list[models.Field]) -> dict[tuple[str, Any], str]:
    """One query per foreign key among the rows: {(attname, pk): str(target)}."""
    wanted: dict[models.Field, set[Any]] = defaultdict(set)
    for row in rows:
        for f in fields:
            if f.is_relation:
                value = getattr(row, f.attname)
                if value is not None:
                    wanted[f].add(value)
    labels: dict[tuple[str, Any], str] = {}
    for f, ids in wanted.items():
        target = f.related_model
        qs = target._default_manager.filter(pk__in=ids)
        if target._meta.label == "organizations.User":
            qs = qs.only("pk", "username", "real_name", "first_name", "last_name")
        for obj in qs:
            labels[(f.attname, obj.pk)] = str(obj)[:200]
    return labels


def _display(f: models.Field, value: Any, fk_labels: dict[tuple[str, Any], str]) -> str:
    if value is None or value == "":
        return EMPTY
    if f.is_relation:
        return fk_labels.get((f.attname, value), f"#{value}（已删除）")
    if f.choices:
        choices = dict(f.flatchoices)
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)[:500]
    return str(value)


def _title(tracked: Tracked, row: Any, fk_labels: dict[tuple[str, Any], str]) -> str:
    if tracked.title:
        f = tracked.history_model._meta.get_field(tracked.title)
        value = getattr(row, f.attname)
        if value not in (None, ""):
            return _display(f, value, fk_labels)
    return f"{tracked.model._meta.verbose_name} #{row.id}"


def _entries(
    tracked: Tracked, pairs: list[tuple[Any, Any]], *, users: dict[int, Any] | None = None
) -> list[HistoryEntry]:
    """Entries for (row, previous row or None) pairs of one model, with no query per row."""
    fields = _shown_fields(tracked.history_model)
    all_rows = [r for pair in pairs for r in pair if r is not None]
    title_fields = [tracked.history_model._meta.get_field(tracked.title)] if tracked.title else []
    fk_labels = _fk_labels(all_rows, [*fields, *[f for f in title_fields if f not in fields]])
    entries = []
    for row, prev in pairs:
        changes = []
        for f in fields:
            new = getattr(row, f.attname)
            old = getattr(prev, f.attname) if prev is not None else None
            if row.history_type == "-":
                continue
            if prev is None:
                if new in (None, "", [], {}):
                    continue
            elif old == new:
                continue
            changes.append(
                FieldChange(
                    name=f.name,
                    label=str(f.verbose_name),
                    old=_display(f, old, fk_labels) if prev is not None else "",
                    new=_display(f, new, fk_labels),
                )
            )
        user = users.get(row.history_user_id) if users is not None else row.history_user
        entries.append(
            HistoryEntry(
                at=row.history_date,
                user=user,
                kind=row.history_type,
                reason=row.history_change_reason or "",
                model_label=str(tracked.model._meta.verbose_name),
                object_id=row.id,
                object_title=_title(tracked, row, fk_labels),
                history_id=row.history_id,
                changes=changes,
            )
        )
    return entries


def tracked(model: type[models.Model]) -> Tracked:
    return REGISTRY[model._meta.label]


def object_history(model: type[models.Model], **filters: Any) -> list[HistoryEntry]:
    """Every change of the objects of one model whose historical rows match `filters` (say `id=event.pk`, or
    `event_id=event.pk` for a dossier's files, deleted ones included), newest first. The caller has fetched the
    object the filters name through its scoped selector.

    Two queries (the rows with their users, then one per foreign key shown), whatever the number of rows.
    """
    t = tracked(model)
    rows = list(
        t.history_model.objects.filter(**filters)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    pairs: list[tuple[Any, Any]] = []
    prev = None
    for row in rows:
        pairs.append((row, prev if prev is not None and prev.id == row.id else None))
        prev = row
    entries = _entries(t, pairs)
    entries.sort(key=lambda e: (e.at, e.history_id), reverse=True)
    return entries


# ----------------------------------------------------------------------------------------------
# The 数据变更 feed of the 操作记录 page
# ----------------------------------------------------------------------------------------------
def _scoped_history(t: Tracked, user: Any, organization: Any = None) -> QuerySet:
    # Imported here: organizations.models declares its history with this module, before scoping can load.
    from .scoping import organizations_visible_to, scope_filter

    qs = t.history_model.objects.all()
    if t.scope == "self":
        visible = organizations_visible_to(user)
        if organization is not None:
            visible = visible.filter(path__startswith=organization.path)
        return qs.filter(id__in=visible.values("pk"))
    if t.scope is None:
        # Shared by every unit (the 测评体系): visible to everyone signed in, not tied to one organisation.
        return qs.none() if organization is not None or not getattr(user, "is_authenticated", False) else qs
    qs = scope_filter(qs, user, t.scope)
    if organization is not None:
        qs = qs.filter(**{f"{t.scope}__path__startswith": organization.path})
    return qs


def _feed_union(user: Any, organization: Any = None, model_label: str = "") -> QuerySet | None:
    parts = []
    for label, t in sorted(REGISTRY.items()):
        if model_label and label != model_label:
            continue
        parts.append(
            _scoped_history(t, user, organization)
            .annotate(feed_model=Value(label, output_field=CharField()), feed_at=F("history_date"))
            .values("feed_at", "history_id", "feed_model")
            .order_by()
        )
    if not parts:
        return None
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


class ChangesFeed(Sequence):
    """A lazily counted, lazily sliced sequence for Django's Paginator (the union counted and sliced in SQL)."""

    def __init__(self, user: Any, organization: Any = None, model_label: str = "") -> None:
        self._union = _feed_union(user, organization, model_label)
        self._count: int | None = None

    def __len__(self) -> int:
        return self.count()

    def count(self) -> int:
        if self._count is None:
            self._count = 0 if self._union is None else self._union.count()
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if self._union is None:
            return []
        keys = list(self._union.order_by("-feed_at", "-history_id")[index])
        return _entries_for_keys(keys)


def _entries_for_keys(keys: list[dict[str, Any]]) -> list[HistoryEntry]:
    """Build the entries of one page: per model on the page, its rows, their previous rows and their labels."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for k in keys:
        by_model[k["feed_model"]].append(k["history_id"])
    built: dict[tuple[str, int], HistoryEntry] = {}
    user_ids: set[int] = set()
    loaded: dict[str, tuple[Tracked, list[Any], dict[int, Any]]] = {}
    for label, ids in by_model.items():
        t = REGISTRY[label]
        hm = t.history_model
        previous = (
            hm.objects.filter(id=OuterRef("id"), history_date__lte=OuterRef("history_date"))
            .exclude(history_id=OuterRef("history_id"))
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        rows = list(hm.objects.filter(history_id__in=ids).annotate(prev_hid=Subquery(previous)))
        prev_ids = [r.prev_hid for r in rows if r.prev_hid is not None]
        prevs = {p.history_id: p for p in hm.objects.filter(history_id__in=prev_ids)} if prev_ids else {}
        loaded[label] = (t, rows, prevs)
        user_ids.update(r.history_user_id for r in rows if r.history_user_id)
    from .models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    for label, (t, rows, prevs) in loaded.items():
        pairs = [(r, prevs.get(r.prev_hid)) for r in rows]
        for row, entry in zip(rows, _entries(t, pairs, users=users), strict=True):
            built[(label, row.history_id)] = entry
    return [built[(k["feed_model"], k["history_id"])] for k in keys if (k["feed_model"], k["history_id"]) in built]


def feed_models() -> list[tuple[str, str]]:
    """(label, Chinese name) of every tracked model, for the feed's filter."""
    return sorted(((label, str(t.model._meta.verbose_name)) for label, t in REGISTRY.items()), key=lambda p: p[1])


__all__ = [
    "REGISTRY",
    "ChangesFeed",
    "FieldChange",
    "HistoryEntry",
    "TrackedHistory",
    "acting_as",
    "bulk_create_tracked",
    "bulk_update_tracked",
    "feed_models",
    "history_user",
    "is_historical",
    "object_history",
    "records_actor",
]
