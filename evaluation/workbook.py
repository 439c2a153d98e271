"""The 测评体系 workbook template: a parser (file → rows + Chinese row-level errors, no database) and a writer.

Template (see also the 说明 sheet of `template_workbook()` and templates/evaluation/template_doc.html):

- sheet 测评体系: 项目编号, 测评项目, 项目分值, 指标编号, 测评指标, 指标分值, 标准编号, 测评标准, 标准分值,
  评分方式 (分值/等级/扣分/是否; blank = 分值), 测评方法, 材料要求; optional 最少档案数, 每档最少图片, 必备材料,
  统计期(月). One row per criterion, the item and indicator columns repeated. A row with only item columns is an
  item without indicators; a row without 标准编号 is an indicator without criteria.
- sheet 说明: two columns 项目, 内容; rows 名称, 级别, 年份, 发布单位, 总分, 加分上限 (optional: A等得分率 … D等得分率,
  备注). The file name is the fallback name.
- sheet 负面清单: 编号, 内容, 后果 (一票否决/扣分/警示), 扣分, 时限(月).
- sheet 加分项目 (optional): 编号, 内容, 最高分.

Hostile files are refused before openpyxl parses them: the zip is checked for member count and declared
uncompressed size, and every XML member for DOCTYPE/ENTITY declarations (openpyxl also parses through defusedxml).
Row counts are capped, so a sheet of 100,000 empty rows is refused after reading at most the cap.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings

from organizations.spreadsheets import append_row, new_workbook, style_header, unescape_text, workbook_bytes

from .scoring import ScoringError, format_points, to_decimal

if TYPE_CHECKING:
    from openpyxl import Workbook

SHEET_SYSTEM = "测评体系"
SHEET_INFO = "说明"
SHEET_NEGATIVE = "负面清单"
SHEET_BONUS = "加分项目"

SYSTEM_COLUMNS = [
    "项目编号",
    "测评项目",
    "项目分值",
    "指标编号",
    "测评指标",
    "指标分值",
    "标准编号",
    "测评标准",
    "标准分值",
    "评分方式",
    "测评方法",
    "材料要求",
]
REQUIRED_COLUMNS = ["项目编号", "测评项目", "指标编号", "标准编号", "测评标准"]
RULE_COLUMNS = ["最少档案数", "每档最少图片", "必备材料", "统计期(月)"]
INFO_COLUMNS = ["项目", "内容"]
INFO_ROWS = [
    "名称",
    "级别",
    "年份",
    "发布单位",
    "总分",
    "加分上限",
    "A等得分率",
    "B等得分率",
    "C等得分率",
    "D等得分率",
    "备注",
]
NEGATIVE_COLUMNS = ["编号", "内容", "后果", "扣分", "时限(月)"]
BONUS_COLUMNS = ["编号", "内容", "最高分"]

STYLES = {"": "points", "分值": "points", "等级": "grade", "扣分": "deduction", "是否": "yes_no"}
STYLE_LABELS = {"points": "分值", "grade": "等级", "deduction": "扣分", "yes_no": "是否"}
CONSEQUENCES = {"一票否决": "veto", "扣分": "deduct", "警示": "warning"}
CONSEQUENCE_LABELS = {v: k for k, v in CONSEQUENCES.items()}
# Evidence slots of the ledger (ledger.models.Slot), by their Chinese names.
SLOT_NAMES = {"方案通知": "plan", "签到表": "signin", "活动图片": "photo", "总结简报": "summary", "媒体报道": "media"}
SLOT_LABELS = {v: k for k, v in SLOT_NAMES.items()}


def max_rows() -> int:
    return int(getattr(settings, "EVALUATION_MAX_ROWS", 5000))


def max_upload_bytes() -> int:
    return int(getattr(settings, "EVALUATION_MAX_UPLOAD_MB", 10)) * 1024 * 1024


MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_MEMBERS = 500
MAX_RATIO = 200  # uncompressed / compressed, per member of any real size


class WorkbookRefused(Exception):
    """The file is not a workbook we will open (hostile or broken); the message is Chinese."""


# ----------------------------------------------------------------------------------------------
# Parsed structure
# ----------------------------------------------------------------------------------------------
@dataclass
class ParsedItem:
    code: str
    name: str
    points: Decimal | None
    order: int
    row: int


@dataclass
class ParsedIndicator:
    item_code: str
    code: str
    name: str
    points: Decimal | None
    methods: str
    order: int
    row: int


@dataclass
class ParsedCriterion:
    indicator_code: str
    code: str
    text: str
    points: Decimal | None
    style: str
    methods: str
    evidence_text: str
    rule_min_dossiers: int | None
    rule_min_photos: int | None
    rule_slots: list[str]
    rule_period_months: int | None
    order: int
    row: int


@dataclass
class ParsedNegative:
    code: str
    text: str
    consequence: str
    deduct_points: Decimal | None
    window_months: int | None
    order: int


@dataclass
class ParsedBonus:
    code: str
    text: str
    max_points: Decimal
    order: int


@dataclass
class ParsedSystem:
    meta: dict[str, Any] = field(default_factory=dict)
    items: list[ParsedItem] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    criteria: list[ParsedCriterion] = field(default_factory=list)
    negatives: list[ParsedNegative] = field(default_factory=list)
    bonuses: list[ParsedBonus] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "items": len(self.items),
            "indicators": len(self.indicators),
            "criteria": len(self.criteria),
            "negative_list": len(self.negatives),
        }


# ----------------------------------------------------------------------------------------------
# Container checks
# ----------------------------------------------------------------------------------------------
def _pattern(word: str, encoding: str) -> bytes:
    return re.escape(word.encode(encoding))


# DTDs in UTF-8 and in both UTF-16 byte orders (an XML file may declare either).
_FORBIDDEN = re.compile(
    b"|".join(
        _pattern(prefix, enc) + b"(?:" + _pattern("DOCTYPE", enc) + b"|" + _pattern("ENTITY", enc) + b")"
        for enc in ("utf-8", "utf-16-le", "utf-16-be")
        for prefix in ("<!",)
    ),
    re.IGNORECASE,
)


def check_container(data: bytes) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx zip without DTDs."""
    if len(data) > max_upload_bytes():
        raise WorkbookRefused(f"文件超过 {max_upload_bytes() // (1024 * 1024)} MB 上限")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookRefused("不是有效的 .xlsx 文件（请用 Excel 另存为 .xlsx 格式）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise WorkbookRefused("不是有效的 .xlsx 文件") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise WorkbookRefused("文件内部结构异常（部件过多），已拒绝")
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            raise WorkbookRefused("文件解压后过大（疑似压缩炸弹），已拒绝")
        for m in members:
            if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise WorkbookRefused("文件压缩比异常（疑似压缩炸弹），已拒绝")
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names:
            raise WorkbookRefused("不是有效的 .xlsx 文件（缺少 [Content_Types].xml）")
        limit = max_rows()
        for m in members:
            if not m.filename.endswith((".xml", ".rels", ".vml")):
                continue
            is_sheet = m.filename.startswith("xl/worksheets/")
            rows = 0
            # zipfile never yields more than the declared size, which was bounded above.
            with archive.open(m) as stream:
                tail = b""
                while chunk := stream.read(256 * 1024):
                    window = tail + chunk
                    if _FORBIDDEN.search(window):
                        raise WorkbookRefused(
                            "文件包含 XML 实体或文档类型声明（可能是 XML 炸弹或外部实体攻击），已拒绝"
                        )
                    if is_sheet:
                        # Count rows without parsing (openpyxl would walk the whole sheet to size it).
                        rows += window.count(b"<row") - tail.count(b"<row")
                        if rows > limit + 1:
                            raise WorkbookRefused(
                                f"第{limit + 2}行起：工作表行数超过上限 {limit} 行（含空行），已拒绝，未导入任何内容"
                                "（请删除多余的空行后重试）"
                            )
                    tail = chunk[-32:]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A cell this project exported has a ' before text that looks like a formula; the text is what follows.
    return unescape_text(str(value)).strip()


def _norm_header(value: object) -> str:
    return _text(value).replace("（", "(").replace("）", ")").replace(" ", "")


def _int(value: object, label: str, where: str, errors: list[str]) -> int | None:
    try:
        number = to_decimal(value, what=label)
    except ScoringError:
        errors.append(f"{where}：{label}“{_text(value)}”不是数字")
        return None
    if number is None:
        return None
    if number < 0 or number != number.to_integral_value():
        errors.append(f"{where}：{label}须为非负整数")
        return None
    return int(number)


def _points(value: object, label: str, where: str, errors: list[str]) -> Decimal | None:
    try:
        number = to_decimal(value, what=label)
    except ScoringError:
        errors.append(f"{where}：{label}“{_text(value)}”不是数字")
        return None
    if number is None:
        return None
    if number < 0:
        errors.append(f"{where}：{label}不能为负数")
        return None
    if number >= Decimal("100000"):
        errors.append(f"{where}：{label}过大")
        return None
    return number.quantize(Decimal("0.01"))


_DOSSIERS = re.compile(r"(\d+)\s*次")
_PHOTOS = re.compile(r"(?:图片|照片)\s*(?:[（(]?\s*每次\s*)?(\d+)\s*张|(\d+)\s*张\s*(?:图片|照片)?")


def rule_from_text(text: str) -> tuple[int | None, int | None]:
    """材料要求 as written → (minimum dossiers, minimum photos per dossier): "提供2次班子会议纪要" → (2, None)."""
    dossiers = photos = None
    if m := _DOSSIERS.search(text or ""):
        dossiers = int(m.group(1))
    if m := _PHOTOS.search(text or ""):
        photos = int(m.group(1) or m.group(2))
        dossiers = dossiers or 1
    return dossiers, photos


# ----------------------------------------------------------------------------------------------
# Parser
# ----------------------------------------------------------------------------------------------
def _rows(ws, limit: int, sheet: str, errors: list[str]):
    """Yield (row number, values) of non-empty rows; refuse past `limit` rows (empty ones count too)."""
    declared = ws.max_row or 0
    if declared > limit + 1:
        errors.append(
            f"{sheet} 第{limit + 2}行起：工作表共 {declared} 行，超过上限 {limit} 行，已拒绝（请删除多余的空行）"
        )
        return
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if number > limit + 1:
            errors.append(f"{sheet} 第{number}行：超过上限 {limit} 行，已拒绝（请删除多余的空行）")
            return
        if values is None or all(_text(v) == "" for v in values):
            continue
        yield number, values


def _header_map(values: tuple, wanted: list[str]) -> dict[str, int]:
    found = {}
    for i, v in enumerate(values):
        name = _norm_header(v)
        for w in wanted:
            if name == _norm_header(w) and w not in found:
                found[w] = i
    return found


def parse_workbook(source: bytes | IO[bytes] | str | Path, *, filename: str = "") -> ParsedSystem:
    """Read a template workbook into a ParsedSystem; never touches the database, never raises for bad content."""
    import openpyxl

    result = ParsedSystem()
    if isinstance(source, str | Path):
        filename = filename or Path(source).name
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    try:
        check_container(data)
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WorkbookRefused as exc:
        result.errors.append(str(exc))
        return result
    except Exception as exc:  # openpyxl/defusedxml raise many kinds; all mean "not a workbook we accept"
        result.errors.append(f"无法读取该工作簿，已拒绝（{type(exc).__name__}）")
        return result
    try:
        if SHEET_SYSTEM not in wb.sheetnames:
            result.errors.append(f"缺少工作表“{SHEET_SYSTEM}”（模板需包含 测评体系、说明、负面清单 三张工作表）")
            return result
        _parse_info(wb, result, filename)
        _parse_system(wb[SHEET_SYSTEM], result)
        if SHEET_NEGATIVE in wb.sheetnames:
            _parse_negatives(wb[SHEET_NEGATIVE], result)
        if SHEET_BONUS in wb.sheetnames:
            _parse_bonuses(wb[SHEET_BONUS], result)
        if result.ok:
            _check_sums(result)
    finally:
        wb.close()
    return result


def _parse_info(wb, result: ParsedSystem, filename: str) -> None:
    meta: dict[str, Any] = {
        "name": "",
        "level": "",
        "year": "",
        "issuer": "",
        "total_points": None,
        "bonus_cap": None,
        "notes": "",
        "grades": {},
    }
    if SHEET_INFO in wb.sheetnames:
        for number, values in _rows(wb[SHEET_INFO], 100, SHEET_INFO, result.errors):
            key = _norm_header(values[0] if values else "")
            value = values[1] if len(values) > 1 else None
            where = f"{SHEET_INFO} 第{number}行"
            if key in ("项目", ""):
                continue
            if key == "名称":
                meta["name"] = _text(value)[:200]
            elif key == "级别":
                meta["level"] = _text(value)[:50]
            elif key in ("年份", "版本", "年份或版本"):
                meta["year"] = _text(value)[:50]
            elif key == "发布单位":
                meta["issuer"] = _text(value)[:200]
            elif key == "总分":
                meta["total_points"] = _points(value, "总分", where, result.errors)
            elif key == "加分上限":
                meta["bonus_cap"] = _points(value, "加分上限", where, result.errors)
            elif key == "备注":
                meta["notes"] = _text(value)
            elif len(key) == 5 and key[0] in "ABCD" and key.endswith("得分率"):
                pct = _points(value, key, where, result.errors)
                if pct is not None and pct > 100:
                    result.errors.append(f"{where}：{key}不能超过 100")
                elif pct is not None:
                    meta["grades"][key[0]] = pct
    if not meta["name"]:
        meta["name"] = Path(filename).stem[:200] if filename else "未命名测评体系"
    result.meta = meta


def _parse_system(ws, result: ParsedSystem) -> None:
    errors = result.errors
    rows = _rows(ws, max_rows(), SHEET_SYSTEM, errors)
    header = None
    for number, values in rows:
        cols = _header_map(values, SYSTEM_COLUMNS + RULE_COLUMNS)
        if "标准编号" in cols and "项目编号" in cols:
            header = cols
            break
        if number >= 10:
            break
    if header is None:
        errors.append(f"{SHEET_SYSTEM}：前10行中找不到表头（须含 项目编号、标准编号 等列）")
        return
    # The other columns may be left out (a system without points needs no 分值 columns).
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append(f"{SHEET_SYSTEM}：缺少列 {'、'.join(missing)}")
        return

    items: dict[str, ParsedItem] = {}
    indicators: dict[str, ParsedIndicator] = {}
    criteria: dict[str, ParsedCriterion] = {}

    def cell(values: tuple, name: str) -> object:
        i = header.get(name)
        return values[i] if i is not None and i < len(values) else None

    for number, values in rows:
        where = f"{SHEET_SYSTEM} 第{number}行"
        item_code, item_name = _text(cell(values, "项目编号")), _text(cell(values, "测评项目"))
        ind_code, ind_name = _text(cell(values, "指标编号")), _text(cell(values, "测评指标"))
        crit_code, crit_text = _text(cell(values, "标准编号")), _text(cell(values, "测评标准"))
        n_errors = len(errors)
        item_points = _points(cell(values, "项目分值"), "项目分值", where, errors)
        ind_points = _points(cell(values, "指标分值"), "指标分值", where, errors)
        crit_points = _points(cell(values, "标准分值"), "标准分值", where, errors)
        style_text = _text(cell(values, "评分方式"))
        style = STYLES.get(style_text)
        if style is None:
            errors.append(f"{where}：评分方式“{style_text}”无效（应为 分值、等级、扣分 或 是否，留空即分值）")
        methods = _text(cell(values, "测评方法"))[:200]
        evidence = _text(cell(values, "材料要求"))
        min_dossiers = _int(cell(values, "最少档案数"), "最少档案数", where, errors)
        min_photos = _int(cell(values, "每档最少图片"), "每档最少图片", where, errors)
        period = _int(cell(values, "统计期(月)"), "统计期(月)", where, errors)
        slots = []
        for name in re.split(r"[、,，;；\s]+", _text(cell(values, "必备材料"))):
            if not name:
                continue
            if name in SLOT_NAMES:
                slots.append(SLOT_NAMES[name])
            else:
                errors.append(f"{where}：必备材料“{name}”无效（可选 {'、'.join(SLOT_NAMES)}）")

        if not item_code:
            if ind_code or crit_code:
                errors.append(f"{where}：缺少项目编号（指标或标准须有所属的测评项目）")
            else:
                errors.append(f"{where}：缺少项目编号")
            continue
        if crit_code and not ind_code:
            errors.append(f"{where}：标准“{crit_code}”缺少指标编号（须有所属的测评指标）")
            continue
        if len(errors) > n_errors:
            continue
        # Items: repeated on every row, must agree with their first row.
        if item_code in items:
            first = items[item_code]
            if (item_name and item_name != first.name) or (item_points is not None and item_points != first.points):
                errors.append(f"{where}：项目编号“{item_code}”重复（与第{first.row}行的名称或分值不一致）")
                continue
        else:
            if not item_name:
                errors.append(f"{where}：项目“{item_code}”缺少名称")
                continue
            items[item_code] = ParsedItem(item_code[:32], item_name[:300], item_points, len(items), number)
        if not ind_code:
            if ind_name or ind_points is not None or crit_text:
                errors.append(f"{where}：缺少指标编号")
            continue
        if ind_code in indicators:
            first = indicators[ind_code]
            if first.item_code != item_code:
                errors.append(f"{where}：指标编号“{ind_code}”重复（第{first.row}行属于项目“{first.item_code}”）")
                continue
            if (ind_name and ind_name != first.name) or (ind_points is not None and ind_points != first.points):
                errors.append(f"{where}：指标编号“{ind_code}”重复（与第{first.row}行的名称或分值不一致）")
                continue
        else:
            indicators[ind_code] = ParsedIndicator(
                item_code, ind_code[:32], ind_name[:500], ind_points, "", len(indicators), number
            )
        if not crit_code:
            if crit_text or crit_points is not None:
                errors.append(f"{where}：测评标准缺少标准编号")
                continue
            indicators[ind_code].methods = methods
            continue
        if crit_code in criteria:
            errors.append(f"{where}：标准编号“{crit_code}”重复（第{criteria[crit_code].row}行已有）")
            continue
        if not crit_text:
            errors.append(f"{where}：标准“{crit_code}”缺少测评标准内容")
            continue
        if style == "deduction" and crit_points is None:
            # Grades and yes/no can be recorded without points (a system without points); deductions need a maximum.
            errors.append(f"{where}：评分方式为“扣分”的标准须填写标准分值（从满分中扣减）")
            continue
        if min_dossiers is None and min_photos is None:
            min_dossiers, min_photos = rule_from_text(evidence)
        criteria[crit_code] = ParsedCriterion(
            indicator_code=ind_code,
            code=crit_code[:32],
            text=crit_text,
            points=crit_points,
            style=style or "points",
            methods=methods,
            evidence_text=evidence,
            rule_min_dossiers=min_dossiers,
            rule_min_photos=min_photos,
            rule_slots=slots,
            rule_period_months=period,
            order=len(criteria),
            row=number,
        )
    result.items = list(items.values())
    result.indicators = list(indicators.values())
    result.criteria = list(criteria.values())
    if not result.items and not errors:
        errors.append(f"{SHEET_SYSTEM}：没有任何测评项目")


def _simple_sheet(ws, columns: list[str], sheet: str, errors: list[str]):
    rows = _rows(ws, 1000, sheet, errors)
    header = None
    for number, values in rows:
        header = _header_map(values, columns)
        if "编号" in header and "内容" in header:
            break
        header = None
        if number >= 10:
            break
    if header is None:
        errors.append(f"{sheet}：找不到表头（须含 {'、'.join(columns)}）")
        return
    for number, values in rows:
        yield number, {c: (values[i] if i < len(values) else None) for c, i in header.items()}


def _parse_negatives(ws, result: ParsedSystem) -> None:
    seen: dict[str, int] = {}
    for number, row in _simple_sheet(ws, NEGATIVE_COLUMNS, SHEET_NEGATIVE, result.errors):
        where = f"{SHEET_NEGATIVE} 第{number}行"
        code, text = _text(row.get("编号")), _text(row.get("内容"))
        consequence_text = _text(row.get("后果")) or "一票否决"
        n = len(result.errors)
        points = _points(row.get("扣分"), "扣分", where, result.errors)
        months = _int(row.get("时限(月)"), "时限(月)", where, result.errors)
        consequence = CONSEQUENCES.get(consequence_text)
        if consequence is None:
            result.errors.append(f"{where}：后果“{consequence_text}”无效（应为 一票否决、扣分 或 警示）")
        if not code:
            result.errors.append(f"{where}：缺少编号")
        elif code in seen:
            result.errors.append(f"{where}：编号“{code}”重复（第{seen[code]}行已有）")
        if not text:
            result.errors.append(f"{where}：缺少内容")
        if consequence == "deduct" and points is None:
            result.errors.append(f"{where}：后果为扣分时须填写扣分")
        if len(result.errors) > n:
            continue
        seen[code] = number
        result.negatives.append(
            ParsedNegative(code[:32], text, consequence, points, months, len(result.negatives))  # type: ignore[arg-type]
        )


def _parse_bonuses(ws, result: ParsedSystem) -> None:
    seen: dict[str, int] = {}
    for number, row in _simple_sheet(ws, BONUS_COLUMNS, SHEET_BONUS, result.errors):
        where = f"{SHEET_BONUS} 第{number}行"
        code, text = _text(row.get("编号")), _text(row.get("内容"))
        n = len(result.errors)
        points = _points(row.get("最高分"), "最高分", where, result.errors)
        if not code:
            result.errors.append(f"{where}：缺少编号")
        elif code in seen:
            result.errors.append(f"{where}：编号“{code}”重复（第{seen[code]}行已有）")
        if not text:
            result.errors.append(f"{where}：缺少内容")
        if points is None and len(result.errors) == n:
            result.errors.append(f"{where}：缺少最高分")
        if len(result.errors) > n:
            continue
        seen[code] = number
        result.bonuses.append(ParsedBonus(code[:32], text, points, len(result.bonuses)))  # type: ignore[arg-type]


def _check_sums(result: ParsedSystem) -> None:
    """Children that do not add up to their parent: a warning (some real systems do not add up)."""

    def check(label: str, parent: Decimal | None, children: list[Decimal | None]) -> None:
        if parent is None or not children or any(c is None for c in children):
            return
        total = sum(children, Decimal(0))  # type: ignore[arg-type]
        if total != parent:
            result.warnings.append(f"{label}分值 {format_points(parent)}，下级合计 {format_points(total)}，不一致")

    crits_by_indicator: dict[str, list[Decimal | None]] = {}
    for c in result.criteria:
        crits_by_indicator.setdefault(c.indicator_code, []).append(c.points)
    inds_by_item: dict[str, list[Decimal | None]] = {}
    for i in result.indicators:
        inds_by_item.setdefault(i.item_code, []).append(i.points)
    for ind in result.indicators:
        check(f"{SHEET_SYSTEM} 第{ind.row}行：指标“{ind.code}”", ind.points, crits_by_indicator.get(ind.code, []))
    for item in result.items:
        check(f"{SHEET_SYSTEM} 第{item.row}行：项目“{item.code}”", item.points, inds_by_item.get(item.code, []))
    check("说明：总分", result.meta.get("total_points"), [i.points for i in result.items])


# ----------------------------------------------------------------------------------------------
# Writer
# ----------------------------------------------------------------------------------------------
def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _style_header(ws, columns: list[str], widths: dict[int, int] | None = None) -> None:
    append_row(ws, columns)
    style_header(ws)
    ws.freeze_panes = "A2"
    for i, width in (widths or {}).items():
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width


def build_workbook(data: dict[str, Any]) -> bytes:
    """Write the template from a plain snapshot (see `evaluation.selectors.system_snapshot`)."""
    return workbook_bytes(_system_workbook(data))


def _system_workbook(data: dict[str, Any]) -> Workbook:
    wb = new_workbook()
    ws = wb.active
    ws.title = SHEET_SYSTEM
    _style_header(ws, SYSTEM_COLUMNS + RULE_COLUMNS, {2: 24, 5: 28, 8: 60, 12: 40})
    for item in data["items"]:
        item_cells = [item["code"], item["name"], _num(item["points"])]
        if not item["indicators"]:
            append_row(ws, item_cells)
            continue
        for ind in item["indicators"]:
            ind_cells = [ind["code"], ind["name"] or None, _num(ind["points"])]
            if not ind["criteria"]:
                append_row(ws, [*item_cells, *ind_cells, None, None, None, None, ind["methods"] or None])
                continue
            for c in ind["criteria"]:
                append_row(
                    ws,
                    [
                        *item_cells,
                        *ind_cells,
                        c["code"],
                        c["text"],
                        _num(c["points"]),
                        STYLE_LABELS[c["style"]],
                        c["methods"] or None,
                        c["evidence_text"] or None,
                        c["rule_min_dossiers"],
                        c["rule_min_photos"],
                        "、".join(SLOT_LABELS.get(s, s) for s in c["rule_slots"]) or None,
                        c["rule_period_months"],
                    ],
                )
    info = wb.create_sheet(SHEET_INFO)
    _style_header(info, INFO_COLUMNS, {1: 14, 2: 60})
    meta = data["meta"]
    grades = meta.get("grades") or {}
    for label, value in (
        ("名称", meta["name"]),
        ("级别", meta["level"]),
        ("年份", meta["year"]),
        ("发布单位", meta["issuer"]),
        ("总分", _num(meta["total_points"])),
        ("加分上限", _num(meta["bonus_cap"])),
        ("A等得分率", _num(grades.get("A"))),
        ("B等得分率", _num(grades.get("B"))),
        ("C等得分率", _num(grades.get("C"))),
        ("D等得分率", _num(grades.get("D"))),
        ("备注", meta["notes"]),
    ):
        append_row(info, [label, value if value not in ("", None) else None])
    neg = wb.create_sheet(SHEET_NEGATIVE)
    _style_header(neg, NEGATIVE_COLUMNS, {2: 60})
    for n in data["negatives"]:
        append_row(
            neg,
            [n["code"], n["text"], CONSEQUENCE_LABELS[n["consequence"]], _num(n["deduct_points"]), n["window_months"]],
        )
    bonus = wb.create_sheet(SHEET_BONUS)
    _style_header(bonus, BONUS_COLUMNS, {2: 60})
    for b in data["bonuses"]:
        append_row(bonus, [b["code"], b["text"], _num(b["max_points"])])
    return wb


def template_workbook() -> bytes:
    """The empty template with two example rows and the 说明 sheet filled with explanations."""
    data = {
        "meta": {
            "name": "（测评体系名称）",
            "level": "市级",
            "year": "2026",
            "issuer": "（发布单位）",
            "total_points": Decimal("100"),
            "bonus_cap": Decimal("5"),
            "notes": "",
            "grades": {"A": Decimal(100), "B": Decimal(66), "C": Decimal(33), "D": Decimal(0)},
        },
        "items": [
            {
                "code": "1",
                "name": "（测评项目）",
                "points": Decimal("10"),
                "indicators": [
                    {
                        "code": "1.1",
                        "name": "（测评指标）",
                        "points": Decimal("4"),
                        "methods": "",
                        "criteria": [
                            {
                                "code": "1.1.1",
                                "text": "（测评标准，每行一条）",
                                "points": Decimal("2"),
                                "style": "points",
                                "methods": "材料审核",
                                "evidence_text": "提供2次班子会议纪要",
                                "rule_min_dossiers": 2,
                                "rule_min_photos": None,
                                "rule_slots": [],
                                "rule_period_months": 12,
                            },
                            {
                                "code": "1.1.2",
                                "text": "（按等级评分的标准）",
                                "points": Decimal("2"),
                                "style": "grade",
                                "methods": "实地考察",
                                "evidence_text": "现场图片3张",
                                "rule_min_dossiers": 1,
                                "rule_min_photos": 3,
                                "rule_slots": ["photo"],
                                "rule_period_months": None,
                            },
                        ],
                    }
                ],
            }
        ],
        "negatives": [
            {
                "code": "1",
                "text": "（负面清单事项）",
                "consequence": "veto",
                "deduct_points": None,
                "window_months": 24,
            }
        ],
        "bonuses": [{"code": "1", "text": "（特色工作加分事项）", "max_points": Decimal("3")}],
    }
    wb = _system_workbook(data)
    guide = wb.create_sheet("填写说明")
    for line in TEMPLATE_GUIDE:
        append_row(guide, [line])
    guide.column_dimensions["A"].width = 120
    return workbook_bytes(wb)


TEMPLATE_GUIDE = [
    "测评体系导入模板填写说明",
    "1. 工作表“测评体系”：每条测评标准占一行，",
    "   项目编号、测评项目、项目分值、指标编号、测评指标、指标分值在每行重复填写。",
    "   只有项目列的行表示没有下级指标的测评项目；没有标准编号的行表示没有下级标准的测评指标。",
    "2. 分值可留空（有的测评体系不设分值）；须为非负数字，不能写“4分”等文字。",
    "   下级分值合计与上级不一致时只提示，不拒绝。",
    "3. 评分方式：分值（0至满分，以0.5分为单位；留空即分值）、",
    "   等级（A/B/C/D，默认按100%/66%/33%/0%计分，可在“说明”表修改）、",
    "   扣分（满分减去各项扣分，最低0分）、是否（达标得满分，否则0分）。",
    "4. 测评方法：材料审核、实地考察、问卷调查、听取汇报、个别座谈、网上测评，可填多个，用顿号分隔。",
    "5. 材料要求照原文填写，如“提供2次班子会议纪要”；系统从中识别次数与图片张数，也可在最少档案数、每档最少图片、",
    "   必备材料（方案通知、签到表、活动图片、总结简报、媒体报道）、统计期(月)四列中直接填写。",
    "6. 工作表“说明”：两列（项目、内容），行为 名称、级别、年份、发布单位、总分、加分上限 等；名称留空时用文件名。",
    "7. 工作表“负面清单”：编号、内容、后果（一票否决、扣分、警示）、扣分、时限(月)。",
    "8. 工作表“加分项目”（可选）：编号、内容、最高分。",
    "9. 编号不得重复；标准须有所属指标，指标须有所属项目。任何一行有错误时整个文件不导入，并逐行列出错误。",
]
