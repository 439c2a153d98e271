"""测评体系 in the shape a city office publishes them: one table in Excel or Word, in its own columns.

Pure functions (file → rows → mapping → ParsedSystem), no database. What real published systems look like:

- a title row (and notes) above the header; the header row anywhere in the first 10 rows; 说明 rows after the table
  ("总分110分，其中加分10分", "85分以上为合格");
- their own column names (测评项目/一级指标/考评项目; 测评指标/二级指标/测评内容; 测评标准/指标描述/考核内容;
  评分标准/扣分说明/评分细则; 分值/标准分/权重; 测评方法/测评方式/考核方式; 负责部门/责任单位), recognised as a
  mapping the user can change before the preview (`guess_mapping`, `MAPPABLE_FIELDS`);
- an item merged over the rows of its indicators (filled down), two levels (项目 → 标准) or four (with 三级指标);
- codes such as Ⅶ-2-1 or 1.2.3 at the start of the text when there is no code column;
- several criteria in one cell, each with its points ("…(1.5分)…(3分)"), or numbered (1. 2. / （1）（2） / ①②);
- a scoring rule in words ("每低1个百分点扣1分", "本项即不得分"), kept beside the criterion, the scoring style inferred
  from it (扣分 where it deducts, 是否 for "即不得分");
- a negative list whose consequences are written as 撤销荣誉称号, 取消评选资格, 降级, 黄牌警告 (mapped to 一票否决 or
  警示, the original words kept).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .workbook import (
    ParsedCriterion,
    ParsedIndicator,
    ParsedItem,
    ParsedNegative,
    ParsedSystem,
    WorkbookRefused,
    check_container,
    rule_from_text,
)

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 5000

# Field → header words (spaces and brackets removed). Order of MAPPABLE_FIELDS is the order of the select.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("序号", "编号", "指标编号", "代码"),
    "item": ("测评项目", "一级指标", "考评项目", "项目", "考核项目", "一级项目", "测评类别"),
    "indicator": ("测评指标", "二级指标", "测评内容", "考核指标", "指标", "考评指标"),
    "sub_indicator": ("三级指标", "测评要点"),
    "criterion": (
        "测评标准",
        "指标描述",
        "考核内容",
        "评价标准",
        "标准",
        "具体内容",
        "测评要求",
        "考核标准",
        "考评内容",
        "考核内容及评分标准",
        "测评内容及评分标准",
        "考核内容及标准",
        "测评内容和标准",
    ),
    "scoring": ("评分标准", "扣分说明", "评分细则", "评分方法", "计分方法", "扣分标准", "评分办法", "计分标准"),
    "points": ("分值", "标准分", "权重", "分数", "满分", "标准分值", "分值分"),
    "method": ("测评方法", "测评方式", "考核方式", "考评方式", "检查方式", "考核方法"),
    "department": ("负责部门", "责任单位", "牵头单位", "责任部门", "责任科室"),
}
MAPPABLE_FIELDS: list[tuple[str, str]] = [
    ("", "（不导入）"),
    ("code", "编号"),
    ("item", "测评项目"),
    ("indicator", "测评指标"),
    ("sub_indicator", "三级指标"),
    ("criterion", "测评标准"),
    ("scoring", "评分标准"),
    ("points", "分值"),
    ("method", "测评方法"),
    ("department", "负责部门"),
]
FIELD_LABELS = dict(MAPPABLE_FIELDS)
_INDEX = {word: key for key, words in SYNONYMS.items() for word in words}
# Words used at two levels: the first field not yet taken by an earlier column wins ("二级指标 | 测评内容").
_SECOND_CHOICE = {"测评内容": "criterion", "指标": "criterion", "项目": "indicator", "测评要点": "criterion"}

ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
CODE_RE = re.compile(
    rf"^\s*(?P<code>[{ROMAN}]+(?:\s*[-－—.．]\s*\d+)*|\d+(?:\s*[.．-]\s*\d+)+)\s*[、.．\s]?\s*(?P<rest>.*)$", re.S
)
POINT_MARK_RE = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]")
NUMBERED_RE = re.compile(r"(?:(?:^|(?<=[。；;\n\s]))(?:\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)]))|[①②③④⑤⑥⑦⑧⑨⑩]")
NOTE_RE = re.compile(r"^\s*(?:注|备注|说明|附注|填表说明)\s*[:：\d一、.]")
NEGATIVE_ITEM_RE = re.compile(r"负面清单|否决|一票否决|扣分项目|减分项目")
VETO_WORDS = ("一票否决", "撤销荣誉称号", "撤销称号", "取消评选资格", "取消资格", "取消参评资格", "降级", "摘牌")
WARNING_WORDS = ("黄牌警告", "警示", "通报批评", "提醒谈话", "限期整改")


class PublishedRefused(ValueError):
    """The file as a whole cannot be read; the message is Chinese."""


@dataclass
class RawTable:
    """The table as written: rows of cell text, merged cells filled from their first cell, and what lay around it."""

    rows: list[list[str]]
    header_row: int  # index into rows
    mapping: dict[int, str]  # column → field, as guessed (or as given)
    headers: list[str]
    title: str = ""
    notes: list[str] = field(default_factory=list)
    merged_points: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of points cells merged down

    @property
    def signature(self) -> str:
        """The same layout (header cells in order) gives the same signature: a remembered mapping applies."""
        text = "|".join(_norm(h) for h in self.headers)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _norm(value: object) -> str:
    return re.sub(r"[\s（）()【】\[\]:：*＊/]", "", str(value or ""))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def header_field(value: object) -> str:
    return _INDEX.get(_norm(value), "")


def _xlsx_rows(data: bytes) -> tuple[list[list[str]], set[tuple[int, int]], list[tuple[int, int, int, int]]]:
    from openpyxl import load_workbook  # defusedxml is installed, so openpyxl parses safely

    try:
        check_container(data)
    except WorkbookRefused as exc:
        raise PublishedRefused(str(exc)) from exc
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise PublishedRefused("无法读取该 Excel 工作簿，请确认文件未损坏。") from exc
    try:
        best = None
        for ws in wb.worksheets:
            if ws.max_row > MAX_ROWS + 50:
                raise PublishedRefused(f"工作表“{ws.title}”超过 {MAX_ROWS} 行，已拒绝。")
            grid = [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            score = max((sum(bool(header_field(c)) for c in r) for r in grid[:HEADER_SEARCH_ROWS]), default=0)
            if best is None or score > best[0]:
                best = (score, ws, grid)
        if best is None:
            raise PublishedRefused("工作簿中没有工作表。")
        _, ws, grid = best
        filled: set[tuple[int, int]] = set()
        spans: list[tuple[int, int, int, int]] = []
        for merged in ws.merged_cells.ranges:
            top, left, bottom, right = merged.min_row - 1, merged.min_col - 1, merged.max_row - 1, merged.max_col - 1
            if top >= len(grid):
                continue
            spans.append((top, left, bottom, right))
            value = grid[top][left] if left < len(grid[top]) else ""
            for r in range(top, min(bottom + 1, len(grid))):
                row = grid[r]
                while len(row) <= right:
                    row.append("")
                for c in range(left, right + 1):
                    if (r, c) != (top, left):
                        row[c] = value
                        filled.add((r, c))
    finally:
        wb.close()
    return grid, filled, spans


def _docx_rows(data: bytes) -> tuple[list[list[str]], set[tuple[int, int]], list[tuple[int, int, int, int]], list[str]]:
    try:
        check_container(data)
    except WorkbookRefused as exc:
        raise PublishedRefused(str(exc).replace(".xlsx", ".docx")) from exc
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise PublishedRefused("无法读取该 Word 文档，请确认文件未损坏。") from exc
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    best = None
    for table in document.tables:
        grid: list[list[str]] = []
        filled: set[tuple[int, int]] = set()
        previous: list = []
        for r, row in enumerate(table.rows):
            cells = list(row.cells)  # python-docx repeats a merged cell's object in every row and column it spans
            grid.append([_text(c.text) for c in cells])
            for c, cell in enumerate(cells):
                if (c > 0 and cells[c - 1]._tc is cell._tc) or (c < len(previous) and previous[c]._tc is cell._tc):
                    filled.add((r, c))
            previous = cells
            if r > MAX_ROWS:
                raise PublishedRefused(f"表格超过 {MAX_ROWS} 行，已拒绝。")
        score = max((sum(bool(header_field(c)) for c in r) for r in grid[:HEADER_SEARCH_ROWS]), default=0)
        if best is None or score > best[0]:
            best = (score, grid, filled)
    if best is None:
        raise PublishedRefused("该 Word 文档中没有表格：测评体系须是表格形式。")
    _, grid, filled = best
    # Vertical spans of points cells, from the repeated cell objects.
    return grid, filled, [], paragraphs


def read_table(data: bytes, filename: str, mapping: dict[int, str] | None = None) -> RawTable:
    """The table of a published 测评体系 (.xlsx or .docx) with its header found and its columns mapped."""
    name = filename.lower()
    if not data.startswith(b"PK"):
        raise PublishedRefused("不是有效的 .xlsx 或 .docx 文件（请用 Excel 或 Word 另存后上传）。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise PublishedRefused("不是有效的 .xlsx 或 .docx 文件。") from exc
    paragraphs: list[str] = []
    if "word/document.xml" in members or name.endswith(".docx"):
        grid, filled, spans, paragraphs = _docx_rows(data)
    else:
        grid, filled, spans = _xlsx_rows(data)
    header_row, best = -1, -1
    for r, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = sum(bool(header_field(c)) for c in dict.fromkeys(cells))
        if score > best:
            header_row, best = r, score
    if best < 2:
        raise PublishedRefused("前 10 行中找不到表头：应有“测评项目（一级指标）”“测评标准（测评内容）”“分值”等列。")
    headers = grid[header_row]
    guessed: dict[int, str] = {}
    used: set[str] = set()
    for c, value in enumerate(headers):
        key = header_field(value)
        if key in used:
            key = _SECOND_CHOICE.get(_norm(value), "")
        if key and key not in used and not (c > 0 and (header_row, c) in filled):
            guessed[c] = key
            used.add(key)
    title = next((t for cells in grid[:header_row] for t in dict.fromkeys(cells) if t), "")
    if not title and paragraphs:
        title = paragraphs[0]
    table = RawTable(rows=grid, header_row=header_row, mapping=mapping or guessed, headers=headers, title=title[:200])
    table.notes = [t for cells in grid[:header_row] for t in dict.fromkeys(cells) if t][1:] + paragraphs[1:]
    # Points cells merged over several rows belong to the level whose cell spans the same rows.
    table.merged_points = {(r, c) for r, c in filled if table.mapping.get(c) == "points"}
    table._spans = spans  # type: ignore[attr-defined]
    return table


# ----------------------------------------------------------------------------------------------
# From rows to a system
# ----------------------------------------------------------------------------------------------
def _points(text: str) -> Decimal | None:
    m = re.search(r"\d+(?:\.\d+)?", text or "")
    if not m:
        return None
    try:
        value = Decimal(m.group(0))
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value < 100000 else None


def _name_points(name: str) -> tuple[str, Decimal | None]:
    """ "领导班子坚强有力(15分)" → ("领导班子坚强有力", 15): a level's points written after its name."""
    m = re.search(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]\s*$", name)
    if not m:
        return name, None
    return name[: m.start()].strip(), Decimal(m.group(1)).quantize(Decimal("0.01"))


def split_code(text: str) -> tuple[str, str]:
    """ "Ⅶ-2-1 文明交通" → ("Ⅶ-2-1", "文明交通"); "1.2.3 xx" → ("1.2.3", "xx"); no code → ("", text)."""
    m = CODE_RE.match(text or "")
    if m and m.group("rest").strip():
        return re.sub(r"\s+", "", m.group("code")).replace("－", "-").replace("—", "-").replace("．", "."), m.group(
            "rest"
        ).strip()
    return "", (text or "").strip()


def split_criteria(text: str) -> list[tuple[str, Decimal | None]]:
    """One cell → [(criterion text, points)]: split after each "(N分)" when there are several, else on numbering."""
    text = (text or "").strip()
    marks = list(POINT_MARK_RE.finditer(text))
    if len(marks) >= 2:
        parts, start = [], 0
        for m in marks:
            piece = text[start : m.end()].strip(" ；;。，,、\n")
            if piece:
                parts.append((_strip_number(piece), Decimal(m.group(1)).quantize(Decimal("0.01"))))
            start = m.end()
        tail = text[start:].strip(" ；;。\n")
        if tail and parts:
            first, pts = parts[-1]
            parts[-1] = (f"{first}{tail}", pts)
        return parts
    starts = [m.start() for m in NUMBERED_RE.finditer(text)]
    if len(starts) >= 2 and starts[0] <= 2:
        pieces = [text[a:b].strip(" ；;\n") for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
        out = []
        for piece in pieces:
            mark = POINT_MARK_RE.search(piece)
            out.append((_strip_number(piece), Decimal(mark.group(1)).quantize(Decimal("0.01")) if mark else None))
        return [p for p in out if p[0]]
    mark = POINT_MARK_RE.search(text)
    return [(text, Decimal(mark.group(1)).quantize(Decimal("0.01")) if mark else None)] if text else []


def _strip_number(text: str) -> str:
    return re.sub(r"^(?:\d{1,2}[.．、]|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])\s*", "", text.strip()).strip()


def infer_style(rule: str, criterion: str = "") -> str:
    """扣分 where the rule deducts, 是否 where it only says "即不得分", else 分值."""
    text = f"{rule} {criterion}"
    if re.search(r"扣\s*\d|扣分|扣除|酌情扣|每[^，。；]{0,12}扣", text):
        return "deduction"
    if re.search(r"即不得分|不得分|得\s*0\s*分|不达标.{0,4}不得分", text):
        return "yes_no"
    return "points"


def consequence_of(text: str) -> tuple[str, str, Decimal | None]:
    """(veto / deduct / warning, the words as written, points deducted) for a negative-list line."""
    for word in VETO_WORDS:
        if word in text:
            return "veto", word, None
    m = re.search(r"扣\s*(\d+(?:\.\d+)?)\s*分", text)
    if m:
        return "deduct", m.group(0), Decimal(m.group(1)).quantize(Decimal("0.01"))
    for word in WARNING_WORDS:
        if word in text:
            return "warning", word, None
    return "veto", "", None


def settings_from_notes(notes: list[str]) -> dict:
    """总分, 加分上限 and the pass mark from 说明 lines ("满分110分（含加分10分）", "85分以上为合格")."""
    out: dict = {}
    text = "\n".join(notes)
    if m := re.search(r"(?:满分|总分|总分值|合计)\s*(?:为|共)?\s*(\d+(?:\.\d+)?)\s*分", text):
        out["total_points"] = Decimal(m.group(1))
    if m := re.search(r"(?:其中|含)\s*(?:特色工作|创新工作)?加分(?:项目|项)?\s*(\d+(?:\.\d+)?)\s*分", text):
        out["bonus_cap"] = Decimal(m.group(1))
        if "total_points" in out:
            out["total_includes_bonus"] = True
    elif m := re.search(r"加分(?:项目|项)?(?:最高|不超过|上限)\s*(\d+(?:\.\d+)?)\s*分", text):
        out["bonus_cap"] = Decimal(m.group(1))
    if m := re.search(r"(\d+(?:\.\d+)?)\s*分\s*(?:及)?以上(?:为|的为|者为)?\s*(?:合格|达标|通过)", text):
        out["pass_mark"] = Decimal(m.group(1))
    return out


@dataclass
class PublishedResult:
    system: ParsedSystem
    criteria_extra: dict[str, dict] = field(default_factory=dict)  # criterion code → scoring_rule, department
    negatives_extra: dict[str, str] = field(default_factory=dict)  # negative code → the consequence as written
    settings: dict = field(default_factory=dict)  # total_points, bonus_cap, pass_mark from the 说明 lines
    rows_read: int = 0


def build_system(table: RawTable, *, name: str = "", styles: dict[str, str] | None = None) -> PublishedResult:
    """The mapped table as a ParsedSystem (the same structure the template import saves)."""
    result = ParsedSystem()
    out = PublishedResult(system=result)
    cols = {f: c for c, f in table.mapping.items() if f}
    if "criterion" not in cols and "indicator" not in cols:
        result.errors.append("请至少把一列对应为“测评标准”或“测评指标”。")
        return out
    if "item" not in cols:
        result.errors.append("请把一列对应为“测评项目”。")
        return out
    # Without a 测评标准 column the lowest level written is the criterion (三级指标, else the indicator).
    if "criterion" not in cols and "sub_indicator" in cols:
        cols["criterion"] = cols.pop("sub_indicator")
    criterion_col = cols.get("criterion", cols.get("indicator"))
    notes = list(table.notes)
    items: dict[str, ParsedItem] = {}
    indicators: dict[tuple[str, str], ParsedIndicator] = {}
    last: dict[str, str] = {}
    n_crit = 0
    spans = getattr(table, "_spans", [])

    def cell(row: list[str], key: str) -> str:
        c = cols.get(key)
        return row[c] if c is not None and c < len(row) else ""

    def span_of(r: int, c: int | None) -> tuple[int, int] | None:
        if c is None:
            return None
        for top, left, bottom, right in spans:
            if left <= c <= right and top <= r <= bottom:
                return top, bottom
        return None

    for r in range(table.header_row + 1, len(table.rows)):
        row = table.rows[r]
        distinct = [v for v in dict.fromkeys(row) if v]
        if not distinct:
            continue
        mapped = [cell(row, f) for f in cols]
        if len(distinct) == 1 and (NOTE_RE.match(distinct[0]) or (len(mapped) > 1 and len(set(mapped)) == 1)):
            notes.append(distinct[0])  # a 说明 line, or one text merged across the whole row
            continue
        out.rows_read += 1
        item_text = cell(row, "item") or last.get("item", "")
        if not item_text:
            continue
        ind_text = cell(row, "indicator")
        sub_text = cell(row, "sub_indicator")
        crit_cell = row[criterion_col] if criterion_col < len(row) else ""
        if criterion_col == cols.get("indicator"):
            ind_text = ""  # a two-level system: 项目 → 标准
        last["item"] = item_text
        item_code, item_name = split_code(item_text)
        item_name, item_own_points = _name_points(item_name)
        item_key = item_code or item_name
        if NEGATIVE_ITEM_RE.search(item_name):
            for text, _pts in split_criteria(crit_cell or ind_text):
                consequence, words, deduct = consequence_of(f"{text} {cell(row, 'scoring')}")
                code = f"F{len(result.negatives) + 1}"
                result.negatives.append(ParsedNegative(code, text, consequence, deduct, None, len(result.negatives)))
                out.negatives_extra[code] = words
            continue
        if item_key not in items:
            code = item_code or str(len(items) + 1)
            items[item_key] = ParsedItem(code[:32], item_name[:300], item_own_points, len(items), r + 1)
        item = items[item_key]
        item_points = _points(cell(row, "points")) if "points" in cols else None
        points_span = span_of(r, cols.get("points"))
        ind_code, ind_name = split_code(sub_text or ind_text) if (sub_text or ind_text) else ("", item_name)
        if ind_text and sub_text:
            ind_name = f"{split_code(ind_text)[1]} — {split_code(sub_text)[1]}"
        ind_key = (item.code, ind_code or ind_name)
        if ind_key not in indicators:
            code = ind_code or f"{item.code}.{sum(1 for k in indicators if k[0] == item.code) + 1}"
            indicators[ind_key] = ParsedIndicator(
                item.code, code[:32], ind_name[:500], None, "", len(indicators), r + 1
            )
        indicator = indicators[ind_key]
        if points_span and item_points is not None:
            # A points cell merged over rows: it scores the level whose cell spans the same rows.
            if points_span == span_of(r, cols.get("item")):
                item.points = item.points or item_points
                item_points = None
            elif points_span == span_of(r, cols.get("indicator")) and ind_text:
                indicator.points = indicator.points or item_points
                item_points = None
        rule = cell(row, "scoring")
        method = re.sub(r"\s*\n\s*", "、", cell(row, "method"))[:200]
        department = cell(row, "department")
        pieces = split_criteria(crit_cell) if crit_cell else []
        if not pieces:
            continue
        for text, pts in pieces:
            code, body = split_code(text)
            n_crit += 1
            code = (
                code or f"{indicator.code}.{sum(1 for c in result.criteria if c.indicator_code == indicator.code) + 1}"
            )
            if any(c.code == code for c in result.criteria):
                code = f"{code}-{n_crit}"
            points = pts if pts is not None else (item_points if len(pieces) == 1 else None)
            style = (styles or {}).get(code) or infer_style(rule, body)
            if style == "deduction" and points is None:
                result.warnings.append(f"第{r + 1}行：标准“{code}”按扣分评分但没有分值，导入后请补上分值")
            dossiers, photos = rule_from_text(f"{body} {rule}")
            result.criteria.append(
                ParsedCriterion(
                    indicator_code=indicator.code,
                    code=code[:32],
                    text=body,
                    points=points,
                    style=style,
                    methods=method,
                    evidence_text="",
                    rule_min_dossiers=dossiers,
                    rule_min_photos=photos,
                    rule_slots=[],
                    rule_period_months=None,
                    order=len(result.criteria),
                    row=r + 1,
                )
            )
            out.criteria_extra[code[:32]] = {"scoring_rule": rule, "department": department[:200]}
    result.items = list(items.values())
    result.indicators = list(indicators.values())
    out.settings = settings_from_notes(notes)
    result.meta = {
        "name": (name or table.title or "未命名测评体系")[:200],
        "level": "",
        "year": (re.search(r"20\d{2}", table.title or "") or [""])[0],
        "issuer": "",
        "total_points": out.settings.get("total_points"),
        "bonus_cap": out.settings.get("bonus_cap"),
        "notes": "\n".join(notes)[:5000],
        "grades": {},
    }
    if not result.criteria and not result.errors:
        result.errors.append("按当前的列对应没有读出任何测评标准，请检查每一列对应的内容。")
    return out
