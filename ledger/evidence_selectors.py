"""Reads of the evidence checks, narrowed to the user.

A unit never learns anything about another unit's files: a duplicate pair across units is shown only to
文明办 members, and only when the other photo lies in their scope; a unit's own users see pairs inside
their unit (the other dossier linked when they may open it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from organizations.models import OrganizationKind
from organizations.scoping import get_scope, scope_filter

from .models import Event, EvidenceFile, OcrStatus, PhotoCheck, PhotoDuplicate


def is_office_user(user: object) -> bool:
    """A member of a 文明办 (city office): the only people who see duplicates across units."""
    return any(m.organization.kind == OrganizationKind.OFFICE for m in get_scope(user).memberships)


@dataclass
class DuplicateLink:
    evidence: EvidenceFile | None  # None: same unit, but a dossier the user may not open
    same_unit: bool
    distance: int


@dataclass
class PhotoFindings:
    check: PhotoCheck | None
    duplicates: list[DuplicateLink] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.check is None

    @property
    def ocr_disabled(self) -> bool:
        return self.check is not None and self.check.ocr_status == OcrStatus.DISABLED

    @property
    def ocr_done(self) -> bool:
        return self.check is not None and self.check.ocr_status == OcrStatus.OK

    @property
    def unit_name_missing(self) -> bool:
        """OCR ran and found none of the unit's names: a note for the reviewer, not a flag."""
        return self.ocr_done and not self.check.banner_unit_found

    @property
    def flagged(self) -> bool:
        return bool(self.duplicates) or bool(self.check and self.check.time_mismatch)

    def reasons(self, name: str) -> list[str]:
        """Return reasons a reviewer may send with one click (Chinese, naming the photo by its file name)."""
        out = []
        # Only pairs inside the unit: a reason is read by the unit, which must not learn of other units' files.
        if any(d.same_unit for d in self.duplicates):
            out.append(f"图片“{name}”与其他档案中的图片疑似重复，请核实并更换为本次活动的照片。")
        if self.check and self.check.time_mismatch:
            out.append(f"图片“{name}”{self.check.time_note}，与活动时间不符，请核实。")
        return out


def photo_findings(*, user: object, files: list[EvidenceFile]) -> dict[int, PhotoFindings]:
    """Findings of these files (already in the user's sight), keyed by file id; two queries plus one for links."""
    ids = [f.pk for f in files if f.is_image]
    if not ids:
        return {}
    checks = {c.evidence_file_id: c for c in PhotoCheck.objects.filter(evidence_file_id__in=ids)}
    office = is_office_user(user)
    pairs = PhotoDuplicate.objects.filter(Q(first_id__in=ids) | Q(second_id__in=ids))
    if not office:
        pairs = pairs.filter(same_unit=True)
    links: list[tuple[int, int, bool, int]] = []
    wanted = set(ids)
    for p in pairs:
        if p.first_id in wanted:
            links.append((p.first_id, p.second_id, p.same_unit, p.phash_distance + p.dhash_distance))
        if p.second_id in wanted:
            links.append((p.second_id, p.first_id, p.same_unit, p.phash_distance + p.dhash_distance))
    visible = {
        e.pk: e
        for e in scope_filter(EvidenceFile.objects.all(), user, "event__organization")
        .filter(pk__in={other for _m, other, _s, _d in links})
        .select_related("event", "event__organization")
    }
    out = {pk: PhotoFindings(check=checks.get(pk)) for pk in ids}
    for mine, other, same_unit, distance in links:
        if mine == other:
            continue
        shown = visible.get(other)
        if shown is None and not same_unit:
            continue  # another unit's photo outside the user's scope: nothing about it is shown
        out[mine].duplicates.append(DuplicateLink(evidence=shown, same_unit=same_unit, distance=distance))
    return out


@dataclass
class DossierSummary:
    photos: int = 0
    checked: int = 0
    duplicates: int = 0
    time_mismatch: int = 0
    unit_name_missing: int = 0
    ocr_disabled: int = 0
    reasons: list[str] = field(default_factory=list)


def dossier_summary(files: list[EvidenceFile]) -> DossierSummary:
    """Counts over a dossier's photos (files carry `.findings`), and the one-click return reasons."""
    s = DossierSummary()
    for f in files:
        found: PhotoFindings | None = getattr(f, "findings", None)
        if not f.is_image or found is None:
            continue
        s.photos += 1
        s.checked += not found.pending
        s.duplicates += bool(found.duplicates)
        s.time_mismatch += bool(found.check and found.check.time_mismatch)
        s.unit_name_missing += found.unit_name_missing
        s.ocr_disabled += found.ocr_disabled
        s.reasons += found.reasons(f.original_name)
    return s


def duplicate_filter(user: object) -> Q:
    """Dossiers with a 疑似重复 photo the user may be told about (same unit; across units for 文明办 only)."""
    same = PhotoDuplicate.objects.filter(same_unit=True)
    cond = Exists(same.filter(first__event=OuterRef("pk"))) | Exists(same.filter(second__event=OuterRef("pk")))
    if is_office_user(user):
        cross = PhotoDuplicate.objects.filter(same_unit=False)
        mine_first = scope_filter(cross.filter(first__event=OuterRef("pk")), user, "second__event__organization")
        mine_second = scope_filter(cross.filter(second__event=OuterRef("pk")), user, "first__event__organization")
        cond = cond | Exists(mine_first) | Exists(mine_second)
    return Q(cond)


def time_mismatch_filter() -> Q:
    return Q(Exists(PhotoCheck.objects.filter(evidence_file__event=OuterRef("pk"), time_mismatch=True)))


def filter_events(qs: QuerySet[Event], *, user: object, evidence: str) -> QuerySet[Event]:
    """The ledger list's 图片检查 filter: "duplicate" (疑似重复) or "time" (拍摄时间不符)."""
    if evidence == "duplicate":
        return qs.filter(duplicate_filter(user))
    if evidence == "time":
        return qs.filter(time_mismatch_filter())
    return qs


EVIDENCE_FILTER_CHOICES = [("duplicate", "疑似重复"), ("time", "拍摄时间不符")]


def finding_counts_by_unit(user: object) -> dict[int, dict[str, int]]:
    """Per unit in the user's scope: photos 疑似重复 (pairs the user may be told about) and 拍摄时间不符, for the
    city office's 动态管理. {unit_id: {"duplicates": n, "time_mismatch": m}}."""
    checks = scope_filter(PhotoCheck.objects.all(), user, "evidence_file__event__organization")
    pairs = PhotoDuplicate.objects.filter(same_unit=True)
    if is_office_user(user):
        # Across units only when both photos lie in the office's scope: a district office is not told that one
        # of its units' photos also sits in a unit outside its district.
        cross = scope_filter(PhotoDuplicate.objects.filter(same_unit=False), user, "first__event__organization")
        cross = scope_filter(cross, user, "second__event__organization")
        pairs = PhotoDuplicate.objects.filter(Q(same_unit=True) | Q(pk__in=cross.values("pk")))
    # Counted in the database (two grouped queries, one row per unit), so the city page costs the same at any size;
    # IN (not EXISTS per photo): each pair list is hashed once.
    flagged = Q(evidence_file_id__in=pairs.values("first_id")) | Q(evidence_file_id__in=pairs.values("second_id"))
    out: dict[int, dict[str, int]] = {}
    for key, found in (("time_mismatch", checks.filter(time_mismatch=True)), ("duplicates", checks.filter(flagged))):
        for unit_id, n in found.values("unit_id").annotate(n=Count("pk")).order_by().values_list("unit_id", "n"):
            out.setdefault(unit_id, {"duplicates": 0, "time_mismatch": 0})[key] = n
    return out
