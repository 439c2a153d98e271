"""Deleting into the 回收站, restoring one delete, emptying, and the purge of what has expired."""

from __future__ import annotations

import datetime
import json
import logging
from collections import Counter
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Organization
from organizations.scoping import unit_of

from .models import Deletion
from .registry import TrashError, rule_for

log = logging.getLogger(__name__)

__all__ = ["TrashError", "deletion_restore", "purge_expired", "retention_days", "trash_delete", "trash_empty"]


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


@transaction.atomic
def trash_delete(*, obj: models.Model, actor: object, note: str = "") -> Deletion:
    """Move `obj` and everything its delete would cascade to into the unit's 回收站 (one `Deletion`)."""
    rule = rule_for(type(obj))
    obj = type(obj)._base_manager.select_for_update(of=("self",)).get(pk=obj.pk)
    if rule.check is not None:
        rule.check(obj)
    organization = rule.organization(obj)
    unit = unit_of(organization) or organization

    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    collector.collect([obj])  # raises ProtectedError when something PROTECTs it, as a plain delete would
    collector.sort()
    # Deletion order (children first): the fast-deleted querysets, then the sorted instances. Restore reverses it.
    ordered: list[models.Model] = []
    for qs in collector.fast_deletes:
        ordered.extend(qs)
    for model_instances in reversed(list(collector.data.values())):
        ordered.extend(model_instances)
    ordered.reverse()  # parents first
    nulled: list[list] = []
    for (field, _value), batches in collector.field_updates.items():
        for batch in batches:
            pks = [o.pk for o in batch] if not isinstance(batch, models.QuerySet) else list(batch.values_list("pk"))
            pks = [p[0] if isinstance(p, tuple) else p for p in pks]
            for pk, old in field.model._base_manager.filter(pk__in=pks).values_list("pk", field.attname):
                nulled.append([field.model._meta.label, pk, field.attname, old])

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
    collector.delete()
    return deletion


def _json_safe(value: list) -> list:
    return json.loads(_ExactEncoder().encode(value))


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
                shown = "、".join(str(v) for v in lookup.values())
                return f"{model._meta.verbose_name}的{names}“{shown}”已被其他记录使用，无法恢复。"
    return None


def deletion_restore(*, deletion: Deletion, actor: object) -> None:
    """Put back exactly the rows one delete removed (same keys, same values) and the references it cleared."""
    try:
        with transaction.atomic():
            deletion = Deletion.objects.select_for_update().get(pk=deletion.pk)
            objects = list(serializers.deserialize("python", deletion.rows, handle_forward_references=True))
            for d in objects:
                if type(d.object)._base_manager.filter(pk=d.object.pk).exists():
                    raise TrashError(f"{d.object._meta.verbose_name}“{d.object}”已存在，无法恢复。")
                conflict = _unique_conflict(d.object)
                if conflict:
                    raise TrashError(conflict)
            for d in objects:
                d.save()
            for label, pk, attname, old in deletion.nulled:
                model = apps.get_model(label)
                model._base_manager.filter(pk=pk, **{f"{attname}__isnull": True}).update(**{attname: old})
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:  # a parent deleted meanwhile shows here, not at commit
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            rule = rule_for(apps.get_model(deletion.model))
            if rule.restored is not None:
                rule.restored(apps.get_model(deletion.model)._base_manager.get(pk=objects[0].object.pk))
            audit_record(
                actor=actor,
                action="restore",
                object_type=deletion.model,
                object_id=deletion.object_id,
                object_repr=deletion.title,
                organization=deletion.organization,
                details={"trash": deletion.pk, "rows": len(objects), "files": len(deletion.files)},
            )
            deletion.delete()
    except IntegrityError as exc:
        log.info("restore of deletion %s refused: %s", deletion.pk, exc)
        raise TrashError("无法恢复：相关的记录已被删除或其唯一编号已被占用。") from None


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
