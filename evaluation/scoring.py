"""Scoring arithmetic: pure functions on Decimals, no database.

Every style a real system uses: points (0 … max in 0.5 steps), grades (A/B/C/D worth a configurable percentage
of the points), deductions from a maximum (each with a reason, floored at 0), yes/no; bonus points capped per
item and overall; a negative list whose 一票否决 disqualifies whatever the score and whose other entries deduct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
HALF = Decimal("0.5")
CENT = Decimal("0.01")
POINTS_LIMIT = Decimal("99999.99")
DEFAULT_GRADE_PERCENTS = {"A": Decimal("100"), "B": Decimal("66"), "C": Decimal("33"), "D": Decimal("0")}


class ScoringError(ValueError):
    """A score that the criterion's style does not allow (message in Chinese, shown next to the field)."""


def to_decimal(value: object, *, what: str = "分值") -> Decimal | None:
    """Blank → None; numbers and numeric text → Decimal; anything else → ScoringError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ScoringError(f"{what}必须是数字")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ScoringError(f"{what}必须是数字，不能是“{value}”") from None
    if not number.is_finite():
        raise ScoringError(f"{what}必须是数字")
    if abs(number) > POINTS_LIMIT:
        # Points are stored with 7 digits, 2 after the point (evaluation.models.POINTS); 1e400 cannot even be rounded.
        raise ScoringError(f"{what}超出范围，绝对值不能超过 {POINTS_LIMIT} 分")
    return number


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to_half(value: Decimal) -> Decimal:
    """Nearest 0.5 (half up), for suggestions."""
    return quantize((value / HALF).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * HALF)


def score_points(value: object, maximum: Decimal) -> Decimal:
    """分值: 0 … maximum in steps of 0.5."""
    number = to_decimal(value, what="得分")
    if number is None:
        raise ScoringError("请填写得分")
    if number < 0:
        raise ScoringError("得分不能为负数")
    if number > maximum:
        raise ScoringError(f"得分不能超过满分 {format_points(maximum)} 分")
    if (number / HALF) % 1 != 0:
        raise ScoringError("得分须以 0.5 分为单位")
    return quantize(number)


def score_grade(grade: str, maximum: Decimal, percents: Mapping[str, Decimal] | None = None) -> Decimal:
    """等级: the grade's percentage of the maximum (A/B/C/D = 100/66/33/0 % unless the system says otherwise)."""
    table = percents or DEFAULT_GRADE_PERCENTS
    key = (grade or "").strip().upper()
    if key not in table:
        raise ScoringError("请选择等级 A、B、C 或 D")
    return quantize(maximum * Decimal(table[key]) / Decimal("100"))


@dataclass(frozen=True)
class Deduction:
    points: Decimal
    reason: str


def parse_deductions(rows: Iterable[Mapping[str, object]]) -> list[Deduction]:
    """Rows of {"points", "reason"}; blank rows dropped; each needs positive points and a reason."""
    result = []
    for row in rows:
        points = to_decimal(row.get("points"), what="扣分")
        reason = str(row.get("reason") or "").strip()
        if points is None and not reason:
            continue
        if points is None or points <= 0:
            raise ScoringError("每项扣分须为正数")
        if not reason:
            raise ScoringError("每项扣分须写明原因")
        result.append(Deduction(points=quantize(points), reason=reason))
    return result


def score_deduction(maximum: Decimal, deductions: Iterable[Deduction]) -> Decimal:
    """扣分: maximum minus the listed deductions, never below 0."""
    total = sum((d.points for d in deductions), ZERO)
    return quantize(max(ZERO, maximum - total))


def score_yes_no(passed: bool | None, maximum: Decimal) -> Decimal:
    """是否: all or nothing."""
    if passed is None:
        raise ScoringError("请选择“是”或“否”")
    return quantize(maximum if passed else ZERO)


def bonus_total(claims: Iterable[tuple[Decimal, Decimal]], cap: Decimal | None) -> Decimal:
    """Sum of (claimed, item maximum) pairs, each claim capped at its item's maximum, the sum at the system's cap."""
    total = sum((min(max(claimed, ZERO), item_max) for claimed, item_max in claims), ZERO)
    if cap is not None:
        total = min(total, cap)
    return quantize(total)


def suggested_points(maximum: Decimal | None, *, ratio: Decimal | None) -> Decimal | None:
    """A suggestion from evidence coverage: the covered share of the points, rounded to 0.5."""
    if maximum is None or ratio is None:
        return None
    ratio = min(max(ratio, ZERO), Decimal("1"))
    return round_to_half(maximum * ratio)


def format_points(value: Decimal | None) -> str:
    """4.00 → "4", 2.50 → "2.5", None → ""."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


# ----------------------------------------------------------------------------------------------
# Totals of a round
# ----------------------------------------------------------------------------------------------
@dataclass
class Subtotal:
    score: Decimal = ZERO
    full: Decimal = ZERO
    scored: int = 0
    count: int = 0

    @property
    def percent(self) -> Decimal | None:
        if not self.full:
            return None
        return quantize(self.score * Decimal("100") / self.full)

    @property
    def lost(self) -> Decimal:
        return quantize(self.full - self.score)


@dataclass(frozen=True)
class NegativeOutcome:
    code: str
    text: str
    consequence: str  # "veto" | "deduct" | "warning"
    deduct_points: Decimal | None


@dataclass
class Totals:
    by_indicator: dict[int, Subtotal] = field(default_factory=dict)
    by_item: dict[int, Subtotal] = field(default_factory=dict)
    overall: Subtotal = field(default_factory=Subtotal)
    bonus: Decimal = ZERO
    deductions: Decimal = ZERO
    vetoes: list[NegativeOutcome] = field(default_factory=list)
    warnings: list[NegativeOutcome] = field(default_factory=list)

    @property
    def disqualified(self) -> bool:
        """一票否决: any veto disqualifies, whatever the score."""
        return bool(self.vetoes)

    @property
    def final(self) -> Decimal:
        return quantize(max(ZERO, self.overall.score + self.bonus - self.deductions))

    @property
    def percent(self) -> Decimal | None:
        if not self.overall.full:
            return None
        return quantize(self.final * Decimal("100") / self.overall.full)


@dataclass(frozen=True)
class CriterionLine:
    """What the totals need to know of one criterion: where it sits, its maximum and its score (None = unscored)."""

    item_id: int
    indicator_id: int
    maximum: Decimal | None
    value: Decimal | None
    scored: bool | None = None  # a grade or yes/no recorded without points counts as scored; default: value given


def compute_totals(
    lines: Iterable[CriterionLine],
    *,
    bonus_claims: Iterable[tuple[Decimal, Decimal]] = (),
    bonus_cap: Decimal | None = None,
    negatives: Iterable[NegativeOutcome] = (),
) -> Totals:
    """Totals per indicator, item and overall; full marks count every criterion that has points."""
    totals = Totals()
    for line in lines:
        for bucket in (
            totals.by_indicator.setdefault(line.indicator_id, Subtotal()),
            totals.by_item.setdefault(line.item_id, Subtotal()),
            totals.overall,
        ):
            bucket.count += 1
            if line.maximum is not None:
                bucket.full += line.maximum
            if line.value is not None:
                bucket.score += line.value
            if line.scored or (line.scored is None and line.value is not None):
                bucket.scored += 1
    totals.bonus = bonus_total(bonus_claims, bonus_cap)
    for outcome in negatives:
        if outcome.consequence == "veto":
            totals.vetoes.append(outcome)
        elif outcome.consequence == "deduct":
            totals.deductions += outcome.deduct_points or ZERO
            totals.warnings.append(outcome)
        else:
            totals.warnings.append(outcome)
    totals.deductions = quantize(totals.deductions)
    return totals
