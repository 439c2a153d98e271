"""Deleting into the 回收站, restoring one delete, emptying, and the purge of what has expired."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
from collections import Counter
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.storage import default_storage
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from organizations.audit import audit_record
from organizations.history import REGISTRY as HISTORY_REGISTRY
from organizations.history import acting_as
from organizations.models import Organization
from organizations.scoping import unit_of

from .models import Deletion
from .registry import TrashError, check_deletable, link_for, rule_for

log = logging.getLogger(__name__)

__all__ = [
    "DELETED_REASON",
    "RESTORED_REASON",
    "DeletePreview",
    "TrashError",
    "deletion_restore",
    "purge_expired",
    "retention_days",
    "trash_delete",
    "trash_empty",
    "trash_preview",
]

# The reasons the 历史 shows on the rows a delete into the 回收站 and a restore from it write.
DELETED_REASON = "移入回收站"
RESTORED_REASON = "从回收站恢复"


class _ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; a restore must give back the very same values."""

    def default(self, o: object) -> object:
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


def retention_days() -> int:
    return int(getattr(settings, "TRASH_RETENTION_DAYS", 30))


def expires_at(deletion: Deletion) -> datetime.datetime:
    return deletion.deleted_at + datetime.timedelta(days=retention_days())


def _file_names(obj: models.Model) -> list[str]:
    return [
        name
        for f in obj._meta.concrete_fields
        if isinstance(f, models.FileField) and (name := getattr(obj, f.attname).name or "")
    ]


def _serialise(instances: Iterable[models.Model]) -> list[dict]:
    """Rows as the python serialiser gives them, without many-to-many lists (their through rows are collected
    as rows of their own), made JSON-safe."""
    out = []
    for row in serializers.serialize("python", instances):
        model = apps.get_model(row["model"])
        for f in model._meta.many_to_many:
            row["fields"].pop(f.name, None)
        out.append(row)
    return _json_safe(out)


@dataclasses.dataclass
class _Collected:
    ordered: list[models.Model]  # children before their parents (see `_collect`)
    nulled: list[list]  # [[label, pk, attname, old value], ...]
    collector: Collector


def _collect(obj: models.Model) -> _Collected:
    """What deleting `obj` would remove (Django's own cascade rules) and the references it would set to null."""
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    collector.collect([obj])  # raises ProtectedError when something PROTECTs it, as a plain delete would
    collector.sort()
    # The fast-deleted querysets, then the sorted instances parents first; reversed below, that gives the instances
    # children first (the delete's own order) and the fast-deleted rows (through rows, ...) last. Not parents
    # first: the deleted object is found by its key, never by its place; a restore saves with FKs deferred.
    ordered: list[models.Model] = []
    for qs in collector.fast_deletes:
        ordered.extend(qs)
    for model_instances in reversed(list(collector.data.values())):
        ordered.extend(model_instances)
    ordered.reverse()
    nulled: list[list] = []
    for (fk, _value), batches in collector.field_updates.items():
        for batch in batches:
            pks = [o.pk for o in batch] if not isinstance(batch, models.QuerySet) else list(batch.values_list("pk"))
            pks = [p[0] if isinstance(p, tuple) else p for p in pks]
            for pk, old in fk.model._base_manager.filter(pk__in=pks).values_list("pk", fk.attname):
                nulled.append([fk.model._meta.label, pk, fk.attname, old])
    return _Collected(ordered=ordered, nulled=nulled, collector=collector)


@dataclasses.dataclass
class DeletePreview:
    """What a delete of `obj` takes into the 回收站, in words for the confirmation page."""

    obj: models.Model
    kind: str
    title: str
    unit: Organization
    with_it: list[str] = dataclasses.field(default_factory=list)  # "3 条进展报告"
    links: list[str] = dataclasses.field(default_factory=list)  # "2 个活动档案的“关联任务”中去掉此项…"
    nulled: list[str] = dataclasses.field(default_factory=list)  # "1 条志愿服务活动的“台账档案”置空"
    files: int = 0
    refusal: str = ""  # why the delete is refused (shown instead of the button)


def _through_owner(through: type[models.Model]) -> tuple[type[models.Model], models.Field] | None:
    owner = through._meta.auto_created
    if not owner:
        return None
    for f in owner._meta.local_many_to_many:
        if f.remote_field.through is through:
            return owner, f
    return None  # pragma: no cover - an auto-created through model always has its field


def trash_preview(*, obj: models.Model) -> DeletePreview:
    """Say what deleting `obj` would move into the 回收站 (nothing is changed); `refusal` tells why it may not."""
    rule = rule_for(type(obj))
    organization = rule.organization(obj)
    preview = DeletePreview(
        obj=obj, kind=rule.kind, title=str(rule.title(obj)), unit=unit_of(organization) or organization
    )
    try:
        check_deletable(obj)
        collected = _collect(obj)
    except TrashError as exc:
        preview.refusal = str(exc)
        return preview
    except (models.ProtectedError, models.RestrictedError) as exc:
        blocking = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        names = "、".join(sorted({str(o._meta.verbose_name) for o in blocking}))
        preview.refusal = f"还有{names}引用此{rule.kind}，不能删除。"
        return preview
    own: Counter[str] = Counter()
    links: Counter[tuple[str, str, bool]] = Counter()
    for o in collected.ordered:
        if o is obj or (type(o) is type(obj) and o.pk == obj.pk):
            continue
        through = _through_owner(type(o)) if o._meta.auto_created else None
        if through is not None:
            owner, m2m = through
            links[(str(owner._meta.verbose_name), str(m2m.verbose_name), issubclass(type(obj), owner))] += 1
            continue
        name = str(o._meta.verbose_name)
        own[f"下级{name}" if type(o) is type(obj) else name] += 1
    preview.with_it = [f"{n} 条{name}" for name, n in own.items()]
    for (owner_name, field_name, forward), n in links.items():
        if forward:
            preview.links.append(f"{field_name}：{n} 项（对方记录本身不受影响）")
        else:
            preview.links.append(f"{n} 个{owner_name}的“{field_name}”中去掉此项（{owner_name}本身保留）")
    nulled: Counter[tuple[str, str]] = Counter()
    for label, _pk, attname, _old in collected.nulled:
        model = apps.get_model(label)
        fk = next(f for f in model._meta.concrete_fields if f.attname == attname)
        nulled[(str(model._meta.verbose_name), str(fk.verbose_name))] += 1
    preview.nulled = [f"{n} 条{m}的“{f}”置空" for (m, f), n in nulled.items()]
    preview.files = len({n for o in collected.ordered for n in _file_names(o)})
    return preview


def _tracked_rows(objs: Iterable[models.Model]) -> dict[type[models.Model], list[models.Model]]:
    """The objects whose model keeps a 历史, by model."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for o in objs:
        if type(o)._meta.label in HISTORY_REGISTRY:
            by_model.setdefault(type(o), []).append(o)
    return by_model


def _record_history(objs: Iterable[models.Model], *, actor: object, reason: str, update: bool) -> None:
    """One historical row per object ("+" or "~"), by `actor`, with `reason`, in one INSERT per model."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    for model, rows in _tracked_rows(objs).items():
        manager = getattr(model, model._meta.simple_history_manager_attribute)
        with acting_as(user):
            manager.bulk_history_create(rows, update=update, default_user=user, default_change_reason=reason)


def _nulled_objects(nulled: list[list]) -> list[models.Model]:
    out: list[models.Model] = []
    by_label: dict[str, list] = {}
    for label, pk, _attname, _old in nulled:
        by_label.setdefault(label, []).append(pk)
    for label, pks in by_label.items():
        out.extend(apps.get_model(label)._base_manager.filter(pk__in=pks))
    return out


@transaction.atomic
def trash_delete(*, obj: models.Model, actor: object, note: str = "") -> Deletion:
    """Move `obj` and everything its delete would cascade to into the unit's 回收站 (one `Deletion`).

    Each removed row of a tracked model gets its "-" row in the 历史 (by `actor`, reason 移入回收站), and so does
    (as a "~" row) each row elsewhere whose reference the delete set to null."""
    rule = rule_for(type(obj))
    obj = type(obj)._base_manager.select_for_update(of=("self",)).get(pk=obj.pk)
    check_deletable(obj)
    organization = rule.organization(obj)
    unit = unit_of(organization) or organization

    collected = _collect(obj)
    ordered, nulled, collector = collected.ordered, collected.nulled, collected.collector
    rows = _serialise(ordered)
    files = sorted({n for o in ordered for n in _file_names(o)})
    counts = Counter(str(o._meta.verbose_name) for o in ordered if not o._meta.auto_created)
    deletion = Deletion.objects.create(
        unit=unit,
        organization=organization,
        model=obj._meta.label,
        object_id=str(obj.pk),
        kind=rule.kind,
        title=str(rule.title(obj))[:300],
        deleted_by=actor if getattr(actor, "is_authenticated", False) else None,
        rows=rows,
        nulled=[[m, pk, a, v] for m, pk, a, v in _json_safe(nulled)],
        files=files,
        counts=dict(counts),
    )
    audit_record(
        actor=actor,
        action="delete",
        obj=obj,
        organization=organization,
        details={"trash": deletion.pk, "rows": len(rows), "files": len(files), "counts": dict(counts), "note": note},
    )
    for instances in collector.data.values():  # simple-history's post_delete reads the reason off the instance
        for instance in instances:
            instance._change_reason = DELETED_REASON
    with acting_as(actor):
        collector.delete()
    _record_history(_nulled_objects(nulled), actor=actor, reason=DELETED_REASON, update=True)
    return deletion


def _json_safe(value: list) -> list:
    return json.loads(_ExactEncoder().encode(value))


def _shown(obj: models.Model, names: Iterable[str]) -> str:
    """The values of `obj`'s fields as a person reads them (a related row by its name, not its number)."""
    out = []
    for name in names:
        f = obj._meta.get_field(name)
        value = getattr(obj, f.attname)
        if f.is_relation and value is not None:
            related = f.related_model._base_manager.filter(pk=value).first()
            out.append(str(related) if related is not None else str(value))
        else:
            out.append(str(value))
    return "、".join(out)


def _unique_conflict(obj: models.Model) -> str | None:
    """The first unique value of `obj` already held by another row (reused while it was in the 回收站)."""
    model = type(obj)
    manager = model._base_manager
    checks: list[tuple[str, ...]] = [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    checks += [tuple(u) for u in model._meta.unique_together]
    checks += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None and not c.expressions
    ]
    for fields in checks:
        lookup = {}
        for name in fields:
            field = model._meta.get_field(name)
            value = getattr(obj, field.attname)
            if value is None or value == "":
                break
            lookup[field.attname] = value
        else:
            if manager.filter(**lookup).exclude(pk=obj.pk).exists():
                names = "、".join(str(model._meta.get_field(n).verbose_name) for n in fields)
                shown = _shown(obj, fields)
                return f"{model._meta.verbose_name}的{names}“{shown}”已被其他记录使用，无法恢复。"
    for c in model._meta.constraints:  # a unique value only where a condition holds (say, a non-empty number)
        if not isinstance(c, models.UniqueConstraint) or (c.condition is None and not c.expressions):
            continue
        try:
            c.validate(model, obj, using=router.db_for_write(model))
        except ValidationError:
            if c.fields:
                names = "、".join(str(model._meta.get_field(n).verbose_name) for n in c.fields)
                shown = _shown(obj, c.fields)
                return f"{model._meta.verbose_name}的{names}“{shown}”已被其他记录使用，无法恢复。"
            return f"{model._meta.verbose_name}“{obj}”与现有记录重复，无法恢复。"
    return None


def _holder_of(model: type[models.Model], value: object) -> Deletion | None:
    """The 回收站 entry holding the row of `model` with primary key `value`: its own entry, or the one it went with."""
    light = Deletion.objects.defer("rows", "nulled", "files")
    own = light.filter(model=model._meta.label, object_id=str(value)).first()
    if own is not None or connection.vendor != "postgresql":
        return own
    row = {"model": model._meta.label_lower, "pk": _json_safe([value])[0]}
    return light.filter(rows__contains=[row]).first()


def _missing_target_refusal(row: models.Model, fk: models.ForeignKey, value: object) -> str:
    """Why a restore cannot put back `row`: the record its `fk` needs is gone, in words naming that record."""
    target = fk.related_model
    name, row_name = target._meta.verbose_name, row._meta.verbose_name
    role = f"{row_name}的{fk.verbose_name}" if target is type(row) else f"{row_name}所属的{name}"
    holder = _holder_of(target, value) if fk.target_field.primary_key else None
    if holder is not None and (holder.model, holder.object_id) == (target._meta.label, str(value)):
        return f"无法恢复：{role}“{holder.title}”已被删除（仍在回收站中），请先恢复该{holder.kind}。"
    if holder is not None:
        return (
            f"无法恢复：{role}（编号 {value}）已随{holder.kind}“{holder.title}”一并删除"
            f"（仍在回收站中），请先恢复该{holder.kind}。"
        )
    return f"无法恢复：{role}（编号 {value}）已被彻底删除。"


def _held(fk: models.ForeignKey, row: models.Model) -> bool:
    """Whether the record `row.fk` points at waits in a 回收站 (rather than being purged)."""
    return fk.target_field.primary_key and _holder_of(fk.related_model, getattr(row, fk.attname)) is not None


def _link_name(model: type[models.Model]) -> str:
    through = _through_owner(model)
    if through is not None:
        owner, m2m = through
        return f"{owner._meta.verbose_name}的“{m2m.verbose_name}”"
    return str(model._meta.verbose_name)


def _references(obj: models.Model) -> list[models.ForeignKey]:
    return [f for f in obj._meta.concrete_fields if f.many_to_one or f.one_to_one]


def _among(restored: dict, objects: list, fk: models.ForeignKey, value: object) -> bool:
    """Whether the row `fk`'s `value` points at is one of the rows being restored (`restored` caches the values)."""
    model, attname = fk.related_model._meta.concrete_model, fk.target_field.attname
    if (model, attname) not in restored:
        restored[(model, attname)] = {
            getattr(d.object, attname) for d in objects if d.object._meta.concrete_model is model
        }
    return value in restored[(model, attname)]


def _without_missing_links(objects: list, notes: list[str]) -> list:
    """The rows to save: each row's references must point at a row restored with it or still in the database.

    A link row (see `registry.Link`) whose other end is gone is left out, and so is one its rule skips; a
    reference that the target's delete would have set to null (SET_NULL) is set to null; any other missing
    target refuses the restore (`TrashError` naming it). `notes` gets what was left out, in words."""
    existing: dict[tuple[models.Field, object], bool] = {}  # (fk, value) -> still in the database
    dropped: Counter[str] = Counter()
    cleared: Counter[str] = Counter()
    while True:
        restored: dict[tuple[type[models.Model], str], set] = {}  # (model, attname) -> values among the rows
        pending: dict[models.ForeignKey, set] = {}
        for d in objects:
            for fk in _references(d.object):
                value = getattr(d.object, fk.attname)
                if value is not None and (fk, value) not in existing and not _among(restored, objects, fk, value):
                    pending.setdefault(fk, set()).add(value)
        for fk, values in pending.items():
            attname = fk.target_field.attname
            found = set(
                fk.related_model._base_manager.filter(**{f"{attname}__in": values}).values_list(attname, flat=True)
            )
            existing.update({(fk, v): v in found for v in values})
        kept = []
        for d in objects:
            missing = [fk for fk in _references(d.object) if existing.get((fk, getattr(d.object, fk.attname))) is False]
            link = link_for(type(d.object)) if missing else None
            if link is not None and (not link.purged_only or not any(_held(fk, d.object) for fk in missing)):
                dropped[_link_name(type(d.object))] += 1
                continue
            for fk in missing:
                if fk.null and fk.remote_field.on_delete is models.SET_NULL:
                    setattr(d.object, fk.attname, None)
                    cleared[f"{d.object._meta.verbose_name}的“{fk.verbose_name}”"] += 1
                else:
                    raise TrashError(_missing_target_refusal(d.object, fk, getattr(d.object, fk.attname)))
            kept.append(d)
        if len(kept) == len(objects):  # nothing left out this round, so no reference to a left-out row either
            break
        objects = kept
    for d in list(objects):
        link = link_for(type(d.object))
        reason = link.skip(d.object) if link is not None and link.skip is not None else None
        if reason:
            objects.remove(d)
            if reason not in notes:
                notes.append(reason)
    notes += [f"未恢复 {n} 条{name}（对方记录已删除）。" for name, n in dropped.items()]
    notes += [f"{n} 条{name}所指的记录已删除，已置空。" for name, n in cleared.items()]
    return objects


_UNFIT = "此项删除时的数据与系统当前的结构不一致，无法自动恢复，请联系系统管理员。"


def _root(objects: list, deletion: Deletion) -> models.Model:
    """The deleted object itself among the rows (they are in the delete's order, so not necessarily first)."""
    for d in objects:
        if d.object._meta.label == deletion.model and str(d.object.pk) == deletion.object_id:
            return d.object
    raise TrashError(_UNFIT)


def deletion_restore(*, deletion: Deletion, actor: object) -> list[str]:
    """Put back exactly the rows one delete removed (same keys, same values) and the references it cleared.

    Returns what was left out, in words for the user (links to records deleted or archived since)."""
    notes: list[str] = []
    try:
        with transaction.atomic():
            # A second click, or a purge/清空 that committed while this waited for the lock: the row is gone.
            locked = Deletion.objects.select_for_update().filter(pk=deletion.pk).first()
            if locked is None:
                raise TrashError("该项已被恢复或已彻底删除。")
            deletion = locked
            try:
                model = apps.get_model(deletion.model)
                # Fields a migration has removed since the delete are left out; a renamed one takes its default.
                objects = list(
                    serializers.deserialize(
                        "python", deletion.rows, handle_forward_references=True, ignorenonexistent=True
                    )
                )
            except (LookupError, DeserializationError, FieldDoesNotExist) as exc:
                log.warning("restore of deletion %s: rows no longer fit the models: %s", deletion.pk, exc)
                raise TrashError(_UNFIT) from None
            root = _root(objects, deletion)  # a row of a model since removed is left out; the object itself is not
            rule = rule_for(model)
            if rule.restorable is not None:
                rule.restorable(root)
            objects = _without_missing_links(objects, notes)
            for d in objects:
                if type(d.object)._base_manager.filter(pk=d.object.pk).exists():
                    raise TrashError(f"{d.object._meta.verbose_name}“{d.object}”已存在，无法恢复。")
                conflict = _unique_conflict(d.object)
                if conflict:
                    raise TrashError(conflict)
            for d in objects:
                d.save()
            for label, pk, attname, old in deletion.nulled:
                nulled_model = apps.get_model(label)
                nulled_model._base_manager.filter(pk=pk, **{f"{attname}__isnull": True}).update(**{attname: old})
            # The 历史 of each restored row: a "+" row by the restorer (the rows went back raw, unrecorded), and a
            # "~" row for each reference put back.
            _record_history([d.object for d in objects], actor=actor, reason=RESTORED_REASON, update=False)
            _record_history(_nulled_objects(deletion.nulled), actor=actor, reason=RESTORED_REASON, update=True)
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:  # a parent deleted meanwhile shows here, not at commit
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    # ...and back to Django's own INITIALLY DEFERRED, for what follows in the same transaction (a
                    # second restore saves children before their parents again). A refusal here rolls the savepoint
                    # back, and the setting with it.
                    cur.execute("SET CONSTRAINTS ALL DEFERRED")
            if rule.restored is not None:
                # The rows are in the delete's order (children first), so the object is fetched by its own key.
                rule.restored(model._base_manager.get(pk=deletion.object_id))
            audit_record(
                actor=actor,
                action="restore",
                object_type=deletion.model,
                object_id=deletion.object_id,
                object_repr=deletion.title,
                organization=deletion.organization,
                details={"trash": deletion.pk, "rows": len(objects), "files": len(deletion.files), "left_out": notes},
            )
            deletion.delete()
    except IntegrityError as exc:
        log.info("restore of deletion %s refused: %s", deletion.pk, exc)
        raise TrashError("无法恢复：相关的记录已被删除或其唯一编号已被占用。") from None
    return notes


def _purge(deletion: Deletion, actor: object, reason: str) -> None:
    names = list(deletion.files)
    audit_record(
        actor=actor,
        action="purge",
        object_type=deletion.model,
        object_id=deletion.object_id,
        object_repr=deletion.title,
        organization=deletion.organization,
        details={"trash": deletion.pk, "reason": reason, "files": names, "counts": deletion.counts},
    )
    deletion.delete()
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - already gone is what we want
            log.warning("could not delete %s", name)


@transaction.atomic
def trash_empty(*, unit: Organization, actor: object) -> int:
    """Empty one unit's 回收站 now: rows and files are gone for good."""
    deletions = list(Deletion.objects.select_for_update().filter(unit=unit))
    for d in deletions:
        _purge(d, actor, "清空回收站")
    return len(deletions)


@transaction.atomic
def purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Remove what has been in the 回收站 longer than TRASH_RETENTION_DAYS (the daily beat job)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    deletions = list(Deletion.objects.select_for_update(skip_locked=True).filter(deleted_at__lte=cutoff))
    for d in deletions:
        _purge(d, None, "超过保留期限")
    return len(deletions)
