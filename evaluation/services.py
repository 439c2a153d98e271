"""Every write of the evaluation app: keyword-only, typed, one transaction each."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Task
from ledger.models import Event
from ledger.services import delete_stored, store_checked
from ledger.uploads import CheckedFile
from organizations.audit import audit_record
from organizations.field_ranges import date_problem, number_problem
from organizations.history import bulk_create_tracked, bulk_update_tracked, records_actor
from organizations.models import Organization

from . import scoring
from .models import (
    BonusClaim,
    BonusItem,
    CampaignSystem,
    ColumnMapping,
    Criterion,
    EvaluationSystem,
    Indicator,
    Item,
    NegativeDeclaration,
    NegativeListItem,
    RectificationItem,
    RectificationStatus,
    Score,
    ScoringStyle,
    SelfAssessment,
)
from .published import PublishedResult
from .workbook import ParsedSystem


class EvaluationError(ValueError):
    """A refused write; the message is Chinese and shown to the user."""


# ----------------------------------------------------------------------------------------------
# Systems
# ----------------------------------------------------------------------------------------------
@records_actor("user")
@transaction.atomic
def system_import(*, parsed: ParsedSystem, user: Any = None, filename: str = "") -> EvaluationSystem:
    """Save a parsed workbook as a new system, all or nothing. Refuses a parse result that has errors."""
    if parsed.errors:
        raise EvaluationError("工作簿有错误，未导入")
    meta = parsed.meta
    grades = meta.get("grades") or {}
    system = EvaluationSystem.objects.create(
        name=meta["name"],
        level=meta.get("level", ""),
        year=meta.get("year", ""),
        issuer=meta.get("issuer", ""),
        total_points=meta.get("total_points"),
        bonus_cap=meta.get("bonus_cap"),
        notes=meta.get("notes", ""),
        source_filename=filename[:255],
        imported_by=user if getattr(user, "is_authenticated", False) else None,
        **{f"grade_{k.lower()}": v for k, v in grades.items()},
    )
    items = bulk_create_tracked(
        Item,
        [Item(system=system, code=i.code, name=i.name, points=i.points, order=i.order) for i in parsed.items],
        actor=user,
        reason="导入测评体系",
    )
    item_ids = {i.code: i.pk for i in items}
    indicators = bulk_create_tracked(
        Indicator,
        [
            Indicator(
                system=system,
                item_id=item_ids[i.item_code],
                code=i.code,
                name=i.name,
                points=i.points,
                methods=i.methods,
                order=i.order,
            )
            for i in parsed.indicators
        ],
        actor=user,
        reason="导入测评体系",
    )
    indicator_ids = {i.code: i.pk for i in indicators}
    bulk_create_tracked(
        Criterion,
        [
            Criterion(
                system=system,
                indicator_id=indicator_ids[c.indicator_code],
                code=c.code,
                text=c.text,
                points=c.points,
                style=c.style,
                methods=c.methods,
                evidence_text=c.evidence_text,
                rule_min_dossiers=c.rule_min_dossiers,
                rule_min_photos=c.rule_min_photos,
                rule_slots=c.rule_slots,
                rule_period_months=c.rule_period_months,
                order=c.order,
            )
            for c in parsed.criteria
        ],
        actor=user,
        reason="导入测评体系",
    )
    bulk_create_tracked(
        NegativeListItem,
        [
            NegativeListItem(
                system=system,
                code=n.code,
                text=n.text,
                consequence=n.consequence,
                deduct_points=n.deduct_points,
                window_months=n.window_months,
                order=n.order,
            )
            for n in parsed.negatives
        ],
        actor=user,
        reason="导入测评体系",
    )
    bulk_create_tracked(
        BonusItem,
        [
            BonusItem(system=system, code=b.code, text=b.text, max_points=b.max_points, order=b.order)
            for b in parsed.bonuses
        ],
        actor=user,
        reason="导入测评体系",
    )
    audit_record(actor=user, action="create", obj=system, details={"filename": filename, **parsed.counts()})
    return system


@records_actor("user")
@transaction.atomic
def system_import_published(
    *,
    result: PublishedResult,
    headers: list[str],
    mapping: dict[int, str],
    signature: str,
    user: Any = None,
    filename: str = "",
) -> EvaluationSystem:
    """Save a published 测评体系 read through a column mapping (all or nothing) and remember the mapping
    for the next file of the same layout. The scoring rules, responsible units and consequences as written are kept."""
    system = system_import(parsed=result.system, user=user, filename=filename)
    fields = ["pass_mark", "total_includes_bonus"]
    system.pass_mark = result.settings.get("pass_mark")
    system.total_includes_bonus = bool(result.settings.get("total_includes_bonus"))
    system.save(update_fields=fields)
    criteria = list(Criterion.objects.filter(system=system))
    for c in criteria:
        extra = result.criteria_extra.get(c.code, {})
        c.scoring_rule = extra.get("scoring_rule", "")
        c.responsible_text = extra.get("department", "")[:200]
    bulk_update_tracked(Criterion, criteria, ["scoring_rule", "responsible_text"], actor=user, reason="导入测评体系")
    negatives = list(NegativeListItem.objects.filter(system=system))
    for n in negatives:
        n.consequence_text = result.negatives_extra.get(n.code, "")[:50]
    bulk_update_tracked(NegativeListItem, negatives, ["consequence_text"], actor=user, reason="导入测评体系")
    ColumnMapping.objects.update_or_create(
        signature=signature,
        defaults={
            "headers": [str(h)[:100] for h in headers],
            "mapping": {str(k): v for k, v in mapping.items() if v},
            "updated_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return system


@transaction.atomic
def campaign_system_adopt(*, campaign: Campaign, system: EvaluationSystem) -> CampaignSystem:
    link, _ = CampaignSystem.objects.get_or_create(campaign=campaign, system=system)
    return link


# ----------------------------------------------------------------------------------------------
# Tags between criteria and tasks / dossiers
# ----------------------------------------------------------------------------------------------
@transaction.atomic
def task_criteria_set(*, task: Task, criteria: Iterable[Criterion]) -> None:
    task.criteria.set(list(criteria))


@transaction.atomic
def event_criteria_set(*, event: Event, criteria: Iterable[Criterion]) -> None:
    event.criteria.set(list(criteria))


# ----------------------------------------------------------------------------------------------
# Self-inspection
# ----------------------------------------------------------------------------------------------
@transaction.atomic
def assessment_create(
    *, campaign: Campaign, system: EvaluationSystem, name: str, date=None, user: Any = None
) -> SelfAssessment:
    campaign_system_adopt(campaign=campaign, system=system)
    assessment = SelfAssessment.objects.create(
        campaign=campaign,
        system=system,
        name=name.strip() or "自检自查",
        date=date or timezone.localdate(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit_record(actor=user, action="create", obj=assessment, organization=campaign.unit)
    return assessment


def _ensure_open(assessment: SelfAssessment) -> None:
    if assessment.is_locked:
        raise EvaluationError("该轮自查已定稿，不能再修改")


def compute_value(
    *,
    criterion: Criterion,
    points: object = None,
    grade: str = "",
    passed: bool | None = None,
    deductions: Iterable[Mapping[str, object]] = (),
    percents: Mapping[str, Decimal] | None = None,
) -> tuple[Decimal | None, list[dict[str, str]]]:
    """The score of one criterion in its style → (value or None when nothing was entered, clean deductions)."""
    maximum = criterion.points
    style = criterion.style
    clean: list[dict[str, str]] = []
    if style == ScoringStyle.DEDUCTION:
        parsed = scoring.parse_deductions(deductions)
        clean = [{"points": str(d.points), "reason": d.reason} for d in parsed]
        if maximum is None:
            return None, clean
        return scoring.score_deduction(maximum, parsed), clean
    if style == ScoringStyle.GRADE:
        if not grade:
            return None, clean
        if maximum is None:
            scoring.score_grade(grade, Decimal(0), percents)  # validates the grade
            return None, clean
        return scoring.score_grade(grade, maximum, percents), clean
    if style == ScoringStyle.YES_NO:
        if passed is None:
            return None, clean
        return (scoring.score_yes_no(passed, maximum) if maximum is not None else None), clean
    if points is None or (isinstance(points, str) and not points.strip()):
        return None, clean
    if maximum is None:
        raise scoring.ScoringError("该标准未设分值，只能填写说明")
    return scoring.score_points(points, maximum), clean


@transaction.atomic
def score_save(
    *,
    assessment: SelfAssessment,
    criterion: Criterion,
    user: Any = None,
    points: object = None,
    grade: str = "",
    passed: bool | None = None,
    deductions: Iterable[Mapping[str, object]] = (),
    comment: str = "",
    evidence_events: Iterable[Event] | None = None,
) -> Score:
    """Score one criterion of an open round in the criterion's style (raises ScoringError / EvaluationError)."""
    _ensure_open(assessment)
    if criterion.system_id != assessment.system_id:
        raise EvaluationError("该标准不属于本轮自查的测评体系")
    system = assessment.system
    value, clean = compute_value(
        criterion=criterion,
        points=points,
        grade=grade,
        passed=passed,
        deductions=deductions,
        percents=system.grade_percents,
    )
    entered_points = None
    if criterion.style == ScoringStyle.POINTS and value is not None:
        entered_points = value
    score, _ = Score.objects.update_or_create(
        assessment=assessment,
        criterion=criterion,
        defaults={
            "points": entered_points,
            "grade": (grade or "").upper() if criterion.style == ScoringStyle.GRADE else "",
            "passed": passed if criterion.style == ScoringStyle.YES_NO else None,
            "deductions": clean,
            "value": value,
            "comment": comment.strip(),
            "updated_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    if evidence_events is not None:
        events = list(evidence_events)
        if any(e.campaign_id != assessment.campaign_id for e in events):
            raise EvaluationError("佐证档案须属于本创建活动")
        score.evidence_events.set(events)
    audit_record(
        actor=user,
        action="update",
        obj=score,
        organization=assessment.campaign.unit,
        details={"criterion": criterion.code, "value": str(value) if value is not None else None},
    )
    return score


@transaction.atomic
def bonus_claim_save(*, assessment: SelfAssessment, bonus_item: BonusItem, points: object, note: str = "") -> None:
    _ensure_open(assessment)
    if bonus_item.system_id != assessment.system_id:
        raise EvaluationError("该加分项目不属于本轮自查的测评体系")
    value = scoring.to_decimal(points, what="加分")
    if value is None or value == 0:
        BonusClaim.objects.filter(assessment=assessment, bonus_item=bonus_item).delete()
        return
    if value < 0:
        raise scoring.ScoringError("加分不能为负数")
    if value > bonus_item.max_points:
        raise scoring.ScoringError(f"加分不能超过该项最高分 {scoring.format_points(bonus_item.max_points)} 分")
    BonusClaim.objects.update_or_create(
        assessment=assessment, bonus_item=bonus_item, defaults={"points": scoring.quantize(value), "note": note}
    )


@transaction.atomic
def negative_declare(*, assessment: SelfAssessment, item: NegativeListItem, occurred: bool, note: str = "") -> None:
    _ensure_open(assessment)
    if item.system_id != assessment.system_id:
        raise EvaluationError("该负面清单条目不属于本轮自查的测评体系")
    NegativeDeclaration.objects.update_or_create(
        assessment=assessment, item=item, defaults={"occurred": occurred, "note": note.strip()}
    )


@transaction.atomic
def assessment_lock(*, assessment: SelfAssessment, user: Any = None) -> SelfAssessment:
    if not assessment.is_locked:
        assessment.is_locked = True
        assessment.locked_at = timezone.now()
        assessment.save(update_fields=["is_locked", "locked_at"])
        audit_record(
            actor=user, action="update", obj=assessment, organization=assessment.campaign.unit, details={"locked": True}
        )
    return assessment


# ----------------------------------------------------------------------------------------------
# Rectification list
# ----------------------------------------------------------------------------------------------
RECTIFICATION_FIELDS = (
    "problem",
    "measure",
    "responsible_person",
    "deadline",
    "status",
    "proof_links",
    "verification_note",
)


CLOSE_NEEDS = "销号须填写核验意见，并提供佐证（佐证档案、佐证文件或佐证链接）。"


def closing_problem(*, status: str, verification_note: str, has_events: bool, has_file: bool, proof_links: str) -> str:
    """Why an entry cannot be 已销号 with these values ("" when it can): a 核验意见 and at least one proof."""
    if status != RectificationStatus.CLOSED:
        return ""
    if not (verification_note or "").strip():
        return CLOSE_NEEDS
    if not (has_events or has_file or (proof_links or "").strip()):
        return CLOSE_NEEDS
    return ""


def _check_closing(item: RectificationItem) -> None:
    """Checked after the links are set, so whatever path changed the entry, 已销号 always carries its proof."""
    problem = closing_problem(
        status=item.status,
        verification_note=item.verification_note,
        has_events=item.proof_events.exists(),
        has_file=bool(item.proof_file),
        proof_links=item.proof_links,
    )
    if problem:
        raise EvaluationError(problem)


def _check_rectification_values(fields: dict[str, Any]) -> None:
    """整改时限 within 2000–2100 and 失分 within its field, whatever path the values came by."""
    deadline = fields.get("deadline")
    problem = date_problem(deadline, "整改时限") if isinstance(deadline, datetime.date) else ""
    if fields.get("points_lost") is not None:
        problem = problem or number_problem(RectificationItem, "points_lost", fields["points_lost"], label="失分")
    if problem:
        raise EvaluationError(problem)


@transaction.atomic
def rectification_create(
    *,
    campaign: Campaign,
    problem: str,
    user: Any = None,
    responsible_units: Iterable[Organization] = (),
    proof_events: Iterable[Event] = (),
    proof: CheckedFile | None = None,
    **fields: Any,
) -> RectificationItem:
    """A new 整改清单 entry; `proof` is a file ledger.uploads checked, stored under a generated name."""
    unknown = set(fields) - {*RECTIFICATION_FIELDS, "assessment", "criterion", "points_lost"}
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    _check_rectification_values(fields)
    if not problem.strip():
        raise EvaluationError("请填写存在问题")
    written: list[str] = []
    try:
        with transaction.atomic():
            item = RectificationItem(
                campaign=campaign,
                problem=problem.strip(),
                created_by=user if getattr(user, "is_authenticated", False) else None,
                **fields,
            )
            if proof is not None:
                _store_proof(item, proof, written)
            item.save()
            _set_rectification_links(item, responsible_units, proof_events)
            _check_closing(item)
            audit_record(actor=user, action="create", obj=item, organization=campaign.unit)
    except OSError:
        delete_stored(written)
        raise EvaluationError(PROOF_STORAGE_FAILED) from None
    except BaseException:
        delete_stored(written)
        raise
    return item


PROOF_STORAGE_FAILED = "佐证文件保存失败（存储空间不可用），本次修改未保存，请稍后重试或联系管理员。"
PROOF_FIELDS = ("proof_file", "proof_file_name", "proof_file_content_type", "proof_file_size", "proof_file_sha256")


def _store_proof(item: RectificationItem, proof: CheckedFile, written: list[str]) -> None:
    item.proof_file = store_checked(proof, written, prefix="evaluation/rectification")
    item.proof_file_name = proof.original_name
    item.proof_file_content_type = proof.content_type
    item.proof_file_size = proof.size
    item.proof_file_sha256 = proof.sha256


def _clear_proof(item: RectificationItem) -> None:
    item.proof_file = ""
    item.proof_file_name = item.proof_file_content_type = item.proof_file_sha256 = ""
    item.proof_file_size = None


def _set_rectification_links(item: RectificationItem, units: Iterable[Organization], events: Iterable[Event]) -> None:
    units, events = list(units), list(events)
    unit_path = item.campaign.unit.path
    if any(not u.path.startswith(unit_path) for u in units):
        raise EvaluationError("责任单位须属于本单位")
    if any(e.campaign_id != item.campaign_id for e in events):
        raise EvaluationError("佐证档案须属于本创建活动")
    item.responsible_units.set(units)
    item.proof_events.set(events)


DEFAULT_RECTIFICATION_DAYS = 30


def rectification_default_deadline(campaign: Campaign, *, today: datetime.date | None = None) -> datetime.date:
    """The 整改时限 offered for lost points: the end of the campaign's 整改 phase when it is at least a week ahead,
    else 30 days from today."""
    today = today or timezone.localdate()
    phase = (
        campaign.phases.filter(name__contains="整改", end__gte=today + datetime.timedelta(days=7))
        .order_by("end")
        .first()
    )
    return phase.end if phase is not None else today + datetime.timedelta(days=DEFAULT_RECTIFICATION_DAYS)


def _lost_problem(criterion: Criterion, score: Score, lost: Decimal) -> str:
    problem = f"{criterion.code} {criterion.text}：失{scoring.format_points(lost)}分"
    if score.comment:
        problem += f"（{score.comment}）"
    return problem


@transaction.atomic
def rectification_from_score(
    *, assessment: SelfAssessment, criterion: Criterion, user: Any = None
) -> RectificationItem:
    """One click from a criterion scored below full: prefilled with the points lost, the scorer's comment, the
    round, the lead units of the criterion's linked tasks and the default deadline."""
    score = Score.objects.filter(assessment=assessment, criterion=criterion).first()
    if score is None or score.value is None or criterion.points is None:
        raise EvaluationError("该标准尚未评分，不能生成整改事项")
    lost = scoring.quantize(criterion.points - score.value)
    if lost <= 0:
        raise EvaluationError("该标准已得满分，无需整改")
    created = rectifications_from_round(assessment=assessment, criteria=[criterion], user=user)
    if created:
        return created[0]
    return RectificationItem.objects.get(assessment=assessment, criterion=criterion)


@transaction.atomic
def rectifications_from_round(
    *,
    assessment: SelfAssessment,
    criteria: Iterable[Criterion],
    user: Any = None,
    deadline: datetime.date | None = None,
    units: Mapping[int, Iterable[Organization]] | None = None,
) -> list[RectificationItem]:
    """Turn the lost points of `criteria` in this round into 整改清单 entries, one per criterion and round.

    Criteria at full marks, unscored, without points or already listed for this round are skipped, so doing it
    twice (or two people at once: the round row is locked first) creates nothing new. Each entry carries the
    round, the points lost, the scorer's comment, the 责任单位 given in `units` (criterion id → organisations;
    by default the lead units of the criterion's tasks in this campaign) and `deadline` (by default
    `rectification_default_deadline`). Returns the entries created.
    """
    from .selectors import criterion_task_units

    SelfAssessment.objects.select_for_update().filter(pk=assessment.pk).first()
    wanted = {c.pk: c for c in criteria if c.system_id == assessment.system_id}
    if not wanted:
        return []
    scores = {
        s.criterion_id: s
        for s in Score.objects.filter(assessment=assessment, criterion_id__in=wanted, value__isnull=False)
    }
    listed = set(
        RectificationItem.objects.filter(assessment=assessment, criterion_id__in=wanted).values_list(
            "criterion_id", flat=True
        )
    )
    todo = []
    for pk, c in wanted.items():
        score = scores.get(pk)
        if pk in listed or score is None or c.points is None:
            continue
        lost = scoring.quantize(c.points - score.value)
        if lost > 0:
            todo.append((c, score, lost))
    if not todo:
        return []
    campaign = assessment.campaign
    if units is None:
        units = criterion_task_units(campaign, [c for c, _, _ in todo])
    deadline = deadline or rectification_default_deadline(campaign)
    created = []
    for c, score, lost in sorted(todo, key=lambda t: t[0].order):
        created.append(
            rectification_create(
                campaign=campaign,
                problem=_lost_problem(c, score, lost),
                user=user,
                responsible_units=list(units.get(c.pk, ())),
                assessment=assessment,
                criterion=c,
                points_lost=lost,
                deadline=deadline,
                status=RectificationStatus.PENDING,
            )
        )
    return created


@transaction.atomic
def rectification_update(
    *,
    item: RectificationItem,
    user: Any = None,
    responsible_units: Iterable[Organization] | None = None,
    proof_events: Iterable[Event] | None = None,
    proof: CheckedFile | None = None,
    remove_proof: bool = False,
    **fields: Any,
) -> RectificationItem:
    """Change an entry. A new `proof` (checked by ledger.uploads) replaces the old file, `remove_proof` drops
    it; the replaced file leaves storage once the change is committed, a new one is removed if it is not."""
    unknown = set(fields) - set(RECTIFICATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    _check_rectification_values(fields)
    if "problem" in fields and not str(fields["problem"]).strip():
        raise EvaluationError("请填写存在问题")
    written: list[str] = []
    try:
        with transaction.atomic():
            for name, value in fields.items():
                setattr(item, name, value)
            update = [*fields, "updated_at"]
            old_file = item.proof_file.name if item.proof_file else ""
            details = {k: str(v) for k, v in fields.items()}
            if proof is not None:
                _store_proof(item, proof, written)
                update += PROOF_FIELDS
                details["proof_file"] = f"{proof.original_name}（SHA-256 {proof.sha256}）"
            elif remove_proof and old_file:
                _clear_proof(item)
                update += PROOF_FIELDS
                details["proof_file"] = "已删除"
            item.save(update_fields=update)
            if old_file and "proof_file" in update:
                transaction.on_commit(lambda: delete_stored([old_file]))
            if responsible_units is not None or proof_events is not None:
                _set_rectification_links(
                    item,
                    responsible_units if responsible_units is not None else item.responsible_units.all(),
                    proof_events if proof_events is not None else item.proof_events.all(),
                )
            _check_closing(item)
            audit_record(actor=user, action="update", obj=item, organization=item.campaign.unit, details=details)
    except OSError:
        delete_stored(written)
        raise EvaluationError(PROOF_STORAGE_FAILED) from None
    except BaseException:
        delete_stored(written)
        raise
    return item
