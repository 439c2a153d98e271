"""Read a 创建方案 / 工作计划 written in prose and find its structure. Pure functions, no database.

The parser works on patterns common to such plans, not on any one file:

- numbering levels 一、 > （一） > 1. / 1、 > (1) > ①, and 一是 / 二是 items (several may share a paragraph);
- a node with children is a heading, a node without is a task;
- responsibility clauses on their own line ("责任单位：A牵头，B、C配合") or at the end of an item
  ("（责任单位：A、B，各区（县））", "（牵头单位：A。责任单位：B、C）"); where no lead is named the first unit leads;
  names may carry their own parentheses, with 、 inside; masked names ("****") are kept as written;
- phases ("（一）前期准备阶段（2020.04-2020.05）"), deadlines ("10月底前"), targets ("≥95%", "超过25小时"),
  recurrence words (每月, 每季度, 每年, 常态化) and the leadership group ("由X任组长").
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUM = "一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn_to_int(text: str) -> int:
    """一 → 1, 十 → 10, 十三 → 13, 二十一 → 21."""
    if not text:
        return 0
    if "十" in text:
        left, _, right = text.partition("十")
        tens = CN_DIGITS.get(left, 1) if left else 1
        return tens * 10 + (CN_DIGITS.get(right, 0) if right else 0)
    return CN_DIGITS.get(text, 0)


def int_to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


# ---------------------------------------------------------------------------------------------------------------
# Result types


@dataclass
class ParsedPhase:
    name: str
    start: datetime.date | None = None
    end: datetime.date | None = None
    description: str = ""


@dataclass
class ParsedLeader:
    name: str
    role: str  # 组长 / 副组长 / 成员 / 办公室主任 / 联络员
    duty: str = ""


@dataclass
class ParsedTask:
    number: str
    marker: str
    title: str
    content: str = ""
    lead_units: list[str] = field(default_factory=list)
    cooperating_units: list[str] = field(default_factory=list)
    due: datetime.date | None = None
    due_text: str = ""
    recurrence: str = "once"
    target_text: str = ""
    target_value: Decimal | None = None
    target_unit: str = ""
    rank: float = 0
    parent: int | None = None  # index into ParsedPlan.nodes
    children: list[int] = field(default_factory=list)
    index: int = 0
    section: str = ""  # the heading of the top-level section the item stands in ("主要任务"), as written

    @property
    def is_heading(self) -> bool:
        return bool(self.children)


@dataclass
class ParsedPlan:
    title: str = ""
    year: int | None = None
    end_year: int | None = None
    guiding_idea: str = ""
    goals: str = ""
    phases: list[ParsedPhase] = field(default_factory=list)
    leadership: list[ParsedLeader] = field(default_factory=list)
    nodes: list[ParsedTask] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    year_from_default: bool = False  # the plan names no year of its own; the caller's default was used

    @property
    def tasks(self) -> list[ParsedTask]:
        """Leaf items only (headings excluded)."""
        return [n for n in self.nodes if not n.children]

    @property
    def headings(self) -> list[ParsedTask]:
        return [n for n in self.nodes if n.children]

    def unit_names(self) -> list[str]:
        """Every unit name as written, first appearance order, duplicates removed."""
        seen: dict[str, None] = {}
        for n in self.nodes:
            for name in (*n.lead_units, *n.cooperating_units):
                seen.setdefault(name, None)
        return list(seen)

    def to_cli_json(self, unmatched: list[str] | None = None) -> dict:
        units = self.unit_names()
        return {
            "phases": [{"name": p.name, "start": _iso(p.start), "end": _iso(p.end)} for p in self.phases],
            "tasks": [
                {
                    "number": t.number,
                    "title": t.title,
                    "lead_units": list(t.lead_units),
                    "cooperating_units": list(t.cooperating_units),
                    "due": _iso(t.due),
                }
                for t in self.tasks
            ],
            "units": units,
            "unmatched_units": list(unmatched) if unmatched is not None else units,
        }

    def to_payload(self) -> dict:
        """JSON-safe dict of everything, for carrying the preview between requests."""
        return {
            "title": self.title,
            "year": self.year,
            "end_year": self.end_year,
            "guiding_idea": self.guiding_idea,
            "goals": self.goals,
            "phases": [{**asdict(p), "start": _iso(p.start), "end": _iso(p.end)} for p in self.phases],
            "leadership": [asdict(m) for m in self.leadership],
            "nodes": [
                {
                    "index": n.index,
                    "number": n.number,
                    "title": n.title,
                    "content": n.content,
                    "lead_units": n.lead_units,
                    "cooperating_units": n.cooperating_units,
                    "due": _iso(n.due),
                    "recurrence": n.recurrence,
                    "target_text": n.target_text,
                    "target_value": str(n.target_value) if n.target_value is not None else None,
                    "target_unit": n.target_unit,
                    "parent": n.parent,
                    "is_heading": bool(n.children),
                    "section": n.section,
                }
                for n in self.nodes
            ],
            "warnings": self.warnings,
            "year_from_default": self.year_from_default,
        }


def _iso(d: datetime.date | None) -> str | None:
    return d.isoformat() if d else None


# ---------------------------------------------------------------------------------------------------------------
# Text helpers

SPACE_RE = re.compile(r"[ \t\u3000\u00a0\ufeff\u200b]+")
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for raw in text.split("\n"):
        line = SPACE_RE.sub(" ", raw.translate(FULLWIDTH_DIGITS)).strip()
        if line:
            lines.append(line)
    return lines


OPEN, CLOSE = "（(", "）)"


def split_top_level(text: str, seps: str) -> list[str]:
    """Split on any char of `seps` that is not inside parentheses."""
    parts, buf, depth = [], [], 0
    for ch in text:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE and depth:
            depth -= 1
        if ch in seps and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def matching_paren_end(text: str, start: int) -> int:
    """Index just after the parenthesis closing the one opened at `start` (or len(text))."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in OPEN:
            depth += 1
        elif text[i] in CLOSE:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


# ---------------------------------------------------------------------------------------------------------------
# Markers

MARKERS: list[tuple[float, re.Pattern[str]]] = [
    (0, re.compile(rf"^([{CN_NUM}]{{1,3}})[、，,.．]\s*")),
    (1, re.compile(rf"^[（(]([{CN_NUM}]{{1,3}})[）)]\s*")),
    # A row of a 任务分解表 keeps its own number as written ("【1.1】", made by `table_lines`).
    (2, re.compile(r"^【([^】]{1,20})】\s*")),
    (2, re.compile(r"^(\d{1,2})(?:[、．]|\.(?!\d))\s*")),
    (3, re.compile(r"^[（(](\d{1,2})[）)]\s*|^(\d{1,2})[）)]\s*")),
    (4, re.compile(rf"^([{CIRCLED}])\s*")),
]
ORDINAL_IS_RE = re.compile(rf"^([{CN_NUM}]{{1,3}})是")


def match_marker(line: str) -> tuple[float, str, str] | None:
    """(rank, marker as written, rest) when the line starts with a numbering marker."""
    for rank, rx in MARKERS:
        m = rx.match(line)
        if m:
            rest = line[m.end() :]
            if not rest:
                return None
            # "2020.04-2020.05" or "1.5万" are not markers; a marker is followed by words.
            if rank == 2 and re.match(r"^\d", rest):
                return None
            return rank, m.group(0).strip(), rest
    return None


def split_ordinal_items(paragraph: str, expected: int = 1) -> list[tuple[str, str]] | None:
    """A paragraph that starts with 一是 (or with the ordinal that continues the previous paragraph's run)
    split into [(一是, text), (二是, text), ...]; None otherwise.

    Only the next ordinal in sequence, at the start of a sentence, starts a new item.
    """
    m = ORDINAL_IS_RE.match(paragraph)
    if not m or cn_to_int(m.group(1)) not in (1, expected):
        return None
    items: list[tuple[str, str]] = []
    pos, n = 0, cn_to_int(m.group(1))
    while True:
        nxt = int_to_cn(n + 1) + "是"
        search_from = pos + len(int_to_cn(n)) + 1
        found = -1
        idx = paragraph.find(nxt, search_from)
        while idx != -1:
            if paragraph[idx - 1] in "。；;！!？? ，,":
                found = idx
                break
            idx = paragraph.find(nxt, idx + 1)
        marker = int_to_cn(n) + "是"
        if found == -1:
            items.append((marker, paragraph[pos + len(marker) :].strip()))
            return items
        items.append((marker, paragraph[pos + len(marker) : found].strip()))
        pos, n = found, n + 1


# ---------------------------------------------------------------------------------------------------------------
# Text that lost its line breaks (copied from a PDF or a web page)

# Quoted titles and names are never split: 《…》, “…”, 「…」, "…".
_QUOTED_RE = re.compile(r"《[^》]{0,80}》|“[^”]{0,80}”|「[^」]{0,80}」|\"[^\"]{0,80}\"")
_BREAK_CANDIDATE_RE = re.compile(
    rf"(?P<top>(?<![{CN_NUM}])[{CN_NUM}]{{1,3}}、)"
    rf"|(?P<paren_cn>[（(][{CN_NUM}]{{1,3}}[）)])"
    r"|(?P<arabic>(?<![\d.．第至到\-—~～/：:])\d{1,2}[.．、](?![\d.．]))"
    r"|(?P<paren_ar>[（(]\d{1,2}[）)](?![\d]))"
    rf"|(?P<circled>[{CIRCLED}])"
)
_BREAK_BEFORE_PUNCT = '。；;！!？?：:）)」”" \u3000'
LONG_LINE = 160


def _candidate_number(kind: str, token: str) -> int:
    if kind == "circled":
        return CIRCLED.index(token) + 1
    digits = re.sub(rf"[^\d{CN_NUM}]", "", token)
    return int(digits) if digits.isdigit() else cn_to_int(digits)


def _paren_depths(line: str) -> list[int]:
    """The bracket depth before each character of `line` (and one past its end)."""
    depths, depth = [], 0
    for ch in line:
        depths.append(depth)
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE and depth:
            depth -= 1
    depths.append(depth)
    return depths


def restore_line_breaks(text: str) -> str:
    """Put back the line breaks a long line lost before its numbering ("二、工作任务(一)乡镇1.…").

    Only lines longer than `LONG_LINE` are cut. A marker starts a new line only when it continues the numbering
    of its level (一、 then 二、; （二） after （一）; 2. after 1.; a level restarts at 1 under each new marker of the
    level above), never inside a quoted title, a date (2022.1.5), a decimal (1.5万) or "第1次". A 一、 must follow
    a sentence mark or a closing bracket, so "统一、规范" stays whole. The responsibility labels that end an item
    ("。牵头单位:…") go on their own line too.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(len(line) > LONG_LINE for line in lines):
        return text
    order = ["top", "paren_cn", "arabic", "paren_ar", "circled"]
    expected = dict.fromkeys(order, 1)

    def seen(kind: str, n: int) -> None:
        expected[kind] = n + 1
        for lower in order[order.index(kind) + 1 :]:
            expected[lower] = 1

    out: list[str] = []
    for line in lines:
        if len(line) <= LONG_LINE:
            m = _BREAK_CANDIDATE_RE.match(line.strip())
            if m and m.lastgroup:
                seen(m.lastgroup, _candidate_number(m.lastgroup, m.group(0)))
            out.append(line)
            continue
        protected = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(line)]
        cuts: list[int] = []
        for m in _BREAK_CANDIDATE_RE.finditer(line):
            kind, start = m.lastgroup or "", m.start()
            if any(a <= start < b for a, b in protected):
                continue
            if kind == "top" and start and line[start - 1] not in _BREAK_BEFORE_PUNCT:
                continue
            if kind == "arabic" and re.match(r"\d{1,2}[、.．]\s*\d", line[start:]):
                continue
            n = _candidate_number(kind, m.group(0))
            if n != expected[kind]:
                continue
            cuts.append(start)
            seen(kind, n)
        depth_at = _paren_depths(line)
        for m in re.finditer(rf"(?<=[。；;\s])(?={RESP_WORDS}\s*[：:])|(?<=[\s。：:])(?=一是)", line):
            if depth_at[m.start()] == 0 and not any(a <= m.start() < b for a, b in protected):
                cuts.append(m.start())
        pos = 0
        for cut in sorted(set(cuts)):
            if cut > pos and line[pos:cut].strip():
                out.append(line[pos:cut].strip())
                pos = cut
        out.append(line[pos:].strip())
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Tables: a 任务分解表 in Word, or pasted as text with "|" or tabs between cells

# Header words (spaces, brackets and line breaks removed) → column. Shared with the Excel import (task_table.py).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号", "任务编号", "序"),
    "section": ("创建内容", "工作类别", "任务类别", "类别", "重点工作", "工作项目", "项目"),
    "title": ("具体任务", "工作任务", "责任目标", "工作内容", "任务内容", "任务", "主要任务", "工作措施", "具体内容"),
    "lead": ("牵头单位", "责任单位", "责任主体", "责任部门", "牵头部门", "主责单位", "牵头科室", "责任科室"),
    "coop": ("配合单位", "协同单位", "协办单位", "配合部门", "配合科室"),
    "due": ("完成时限", "完成时间", "时间节点", "完成期限", "时限", "时间安排", "进度安排"),
    "state": ("完成情况", "状态", "完成状态"),
    "progress": ("进度", "完成进度", "进度%"),
}
_HEADER_INDEX = {word: key for key, words in HEADER_SYNONYMS.items() for word in words}


def header_key(value: object) -> str:
    """The column a header cell names ("责任 主体" → "lead"), "" when none."""
    text = re.sub(r"[\s（）()【】\[\]:：*＊]", "", str(value or ""))
    return _HEADER_INDEX.get(text, "")


def table_columns(rows: list[list[str]], search: int = 5) -> tuple[int, dict[str, int]] | None:
    """(header row index, column → index) of a task table, or None when no row names a task and a unit column."""
    best: tuple[int, dict[str, int]] | None = None
    for r, cells in enumerate(rows[:search]):
        columns: dict[str, int] = {}
        for c, value in enumerate(cells):
            key = header_key(value)
            if key and key not in columns:
                columns[key] = c
        if "title" in columns and "lead" in columns and (best is None or len(columns) > len(best[1])):
            best = (r, columns)
    return best


def _cell_units(text: str) -> str:
    """Units in a cell, one per line or separated by 、 → "A、B"."""
    return "、".join(part.strip() for part in re.split(r"[\n\r]+|(?<=[^（(、])\s{2,}", text) if part.strip())


def table_lines(rows: list[list[str]], *, section_number: int | None) -> list[str]:
    """A 任务分解表 (rows of cells) as plan lines the parser reads like prose.

    Each row is a task keeping its own number ("【1.1】"); a 创建内容 column becomes （一）（二） headings; a row
    without number and title continues the row above (a merged cell, or more units on their own row), and so does
    a row repeating the title above (Word repeats a vertically merged cell's text). `section_number` puts the
    table under a new top-level section; None leaves it under the section it stands in.
    """
    found = table_columns(rows)
    if found is None:
        return []
    header, cols = found

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    items: list[dict[str, str]] = []
    for row in rows[header + 1 :]:
        if not any(c.strip() for c in row):
            continue
        number, title = cell(row, "number"), cell(row, "title")
        lead, coop = _cell_units(cell(row, "lead")), _cell_units(cell(row, "coop"))
        if items and (not title or title == items[-1]["title"]) and (not number or number == items[-1]["number"]):
            above = items[-1]
            for key, value in (("lead", lead), ("coop", coop)):
                if value and value not in above[key]:
                    above[key] = "、".join(x for x in (above[key], value) if x)
            continue
        if not title:
            continue
        items.append(
            {
                "number": number,
                "section": cell(row, "section"),
                "title": title,
                "lead": lead,
                "coop": coop,
                "due": cell(row, "due"),
            }
        )
    if not items:
        return []
    lines = [f"{int_to_cn(section_number)}、任务分解表"] if section_number is not None else []
    current, n_section = None, 0
    for n, item in enumerate(items, start=1):
        if item["section"] and item["section"] != current:
            n_section += 1
            current = item["section"]
            lines.append(f"（{int_to_cn(n_section)}）{current}")
        parts = [
            f"{label}：{item[key]}"
            for label, key in (("牵头单位", "lead"), ("配合单位", "coop"), ("完成时限", "due"))
            if item[key]
        ]
        clause = f"（{'；'.join(parts)}）" if parts else ""
        number = re.sub(r"[】\s]", "", item["number"]).rstrip(".．、") or str(n)
        lines.append(f"【{number}】{item['title'].rstrip('。')}。{clause}")
    return lines


_TEXT_CELL_SPLIT_RE = re.compile(r"[ \u3000]*[|｜\t][ \u3000]*")


def _strip_row(line: str, *, outer: bool = False) -> str:
    line = line.strip(" \u3000")
    if outer:
        line = re.sub(r"^[|｜]|[|｜]$", "", line)
    return line


def restore_text_tables(text: str) -> str:
    """Blocks of lines with cells between "|" or tabs ("序号 | 责任目标 | 责任主体 | 完成时间") read as a table."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(_TEXT_CELL_SPLIT_RE.findall(_strip_row(lines[j]))) >= 2:
            j += 1
        if j - i >= 2:
            # "| a | b |" (markdown) has outer pipes on every row; "a | b" has none, and a row may begin with an
            # empty cell (" | | 业务三科 |": a continuation row).
            outer = all(line.strip()[:1] in "|｜" for line in lines[i:j])
            rows = [
                [c.strip() for c in _TEXT_CELL_SPLIT_RE.split(_strip_row(line, outer=outer))] for line in lines[i:j]
            ]
            rows = [r for r in rows if not all(re.fullmatch(r"[-—:：\s]*", c) for c in r)]  # markdown rules
            converted = table_lines(rows, section_number=None)
            if converted:
                has_section = any(match_marker(line.strip()) and match_marker(line.strip())[0] == 0 for line in out)
                if not has_section:
                    converted = ["一、任务分解表", *converted]
                out += converted
                i = j
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Responsibility clauses

RESP_WORDS = (
    r"(?:责任单位|责任部门|牵头单位|牵头部门|主责单位|主责部门|配合单位|配合部门|协办单位|协助单位|参与单位"
    r"|协同单位|责任科室|牵头科室|配合科室|责任处室|牵头处室|实施主体|责任主体)"
)
RESP_LINE_RE = re.compile(rf"^[（(]?\s*{RESP_WORDS}\s*[：:]")
RESP_INLINE_RE = re.compile(rf"[（(]\s*{RESP_WORDS}\s*[：:]")
DUE_LABEL_RE = re.compile(
    r"(?:完成时限|完成时间|时间节点|时限要求|时限)\s*[：:]\s*((?:[^；;。（()）]|[（(][^）)]{0,8}[）)])+)"
)


MASKED_RE = re.compile(r"^[*＊xX×]{2,}$")


def is_masked(name: str) -> bool:
    """A name its author masked ("****", "XXX"): an unnamed unit the user picks."""
    return bool(MASKED_RE.match(name))


def _clean_name(name: str) -> str:
    name = name.strip().strip("。；;，,：: ")
    name = re.sub(r"(?:等(?:单位|部门)?)$", "", name)
    name = re.sub(r"^(?:由|和|及|与)", "", name)
    return name.strip()


def _names(text: str) -> list[str]:
    out = []
    for part in split_top_level(text, "、，,；;/"):
        # "A和B" / "A及B" outside parentheses also separate names.
        for sub in split_top_level(part, "和及与") if len(part) > 12 else [part]:
            name = _clean_name(sub)
            if name:
                out.append(name)
    return out


LEAD_SUFFIX_RE = re.compile(r"(?:牵头负责|负责牵头|牵头|主抓|主责|负责)$")
COOP_SUFFIX_RE = re.compile(r"(?:协助配合|配合协助|共同配合|配合|协助|协办|参与)$")


PEOPLE_LABEL_RE = re.compile(r"(?:责任领导|分管领导|牵头领导|包抓领导|责任人|联系人)\s*[：:][^；;。）)]*[；;。]?")


def parse_responsibility(clause: str, *, has_lead: bool = False) -> tuple[list[str], list[str], str]:
    """A responsibility clause (without its outer parentheses) → (lead, cooperating, due text).

    Where no lead is named, the first unit listed leads, unless the task already has a lead (`has_lead`,
    e.g. from a "牵头单位：" line just above). Units only labelled 配合 stay cooperating.
    """
    clause = PEOPLE_LABEL_RE.sub("", clause)
    due_text = ""
    m = DUE_LABEL_RE.search(clause)
    if m:
        due_text = m.group(1).strip()
        clause = clause[: m.start()] + clause[m.end() :]
    lead: list[str] = []
    coop: list[str] = []
    listed: list[str] = []
    # Labelled parts: "牵头单位：A。责任单位：B、C" / "牵头单位：A；配合单位：B".
    labelled = re.split(rf"({RESP_WORDS})\s*[：:]", clause)
    segments: list[tuple[str, str]] = []
    if len(labelled) > 1:
        for i in range(1, len(labelled), 2):
            segments.append((labelled[i], labelled[i + 1]))
    else:
        segments.append(("责任单位", clause))
    for label, body in segments:
        body = body.strip().strip("。；;，, ")
        if not body:
            continue
        # Within a body: "A牵头，B、C配合" — split into runs ending with 牵头 / 配合.
        runs = split_top_level(body, "，,；;。")
        for run in runs:
            run = run.strip()
            if not run:
                continue
            if LEAD_SUFFIX_RE.search(run):
                lead += _names(LEAD_SUFFIX_RE.sub("", run))
            elif COOP_SUFFIX_RE.search(run):
                coop += _names(COOP_SUFFIX_RE.sub("", run))
            elif "牵头" in label or "主责" in label:
                lead += _names(run)
            elif any(w in label for w in ("配合", "协办", "协助", "参与")):
                coop += _names(run)
            else:
                listed += _names(run)
    if not lead and not has_lead and listed:
        # No lead named: the first unit listed leads.
        lead, listed = [listed[0]], listed[1:]
    coop = listed + coop
    return lead, coop, due_text


RESP_TRAILING_RE = re.compile(rf"(?:(?<=[，,。；;：:\s])|^)(?={RESP_WORDS}\s*[：:])")
# "由X牵头（负责），Y配合" / "由X负责" in prose.
RESP_PROSE_RE = re.compile(
    r"由(?P<lead>[^，,。；;由（(]{2,40}?)(?:牵头负责|负责牵头|牵头|负责)"
    r"(?:[，,、]\s*(?P<coop>[^，,。；;（(]{2,60}?)(?:等单位|等部门)?(?:共同)?(?:配合|协助|参与))?"
)


def extract_inline_responsibility(text: str) -> tuple[str, str | None]:
    """Remove a responsibility clause from a paragraph → (text without it, clause or None).

    The clause is bracketed ("（责任单位：A、B）"), or ends the paragraph without brackets ("…作用。牵头单位:A、B
    责任单位:C", "…，责任部门：办公室。"); a bracketed clause wins.
    """
    found = list(RESP_INLINE_RE.finditer(text))
    if not found:
        depths = _paren_depths(text)
        trailing = [m for m in RESP_TRAILING_RE.finditer(text) if depths[m.start()] == 0]
        if trailing:
            start = trailing[0].start()
            return text[:start].rstrip(" ，,；;"), text[start:].strip().rstrip("。")
        return text, None
    m = found[-1]
    end = matching_paren_end(text, m.start())
    clause = text[m.start() + 1 : end - 1 if text[end - 1 : end] in CLOSE else end]
    return (text[: m.start()] + text[end:]).strip(), clause.strip()


# ---------------------------------------------------------------------------------------------------------------
# Dates

DATE_RANGE_RE = re.compile(
    r"(?:(?P<y1>\d{4})\s*[年.．/\-])?\s*(?P<m1>\d{1,2})(?:\s*[月.．/\-]\s*(?P<d1>\d{1,2})\s*日?|\s*月(?:份)?)?"
    r"\s*(?:[-—–~～至到]+|—+)\s*"
    r"(?:(?P<y2>\d{4})\s*[年.．/\-])?\s*(?P<m2>\d{1,2})(?:\s*[月.．/\-]\s*(?P<d2>\d{1,2})\s*日?|\s*月(?:份|底)?)?"
)
DEADLINE_RE = re.compile(
    r"(?:(?P<y>\d{4})\s*(?:年|[.．/\-](?=\d{1,2}[.．/\-]\d)))?\s*(?P<m>\d{1,2})\s*(?:月|[.．/\-](?=\d))\s*"
    r"(?:(?P<d>\d{1,2})\s*日?|(?P<suffix>底|末|中旬|上旬|下旬|份))?"
    r"\s*(?:[（(]\s*(?:周|星期)[一二三四五六日天]\s*[）)])?\s*(?:之前|以前|前|完成)"
)
YEAR_END_RE = re.compile(r"(?:(?P<y>\d{4})\s*年)?\s*(?:(?:年底|年末)(?:之?前|以前|完成)|年内完成)")
HALF_RE = re.compile(r"(?:(?P<y>\d{4})\s*年)?\s*(?P<h>上半年|下半年)(?:内)?(?:之?前|完成)")
QUARTER_RE = re.compile(r"(?:(?P<y>\d{4})\s*年)?\s*第\s*(?P<q>[一二三四1-4])\s*季度")


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _safe_date(y: int, m: int, d: int) -> datetime.date | None:
    try:
        return datetime.date(y, m, min(d, _last_day(y, m)))
    except (ValueError, calendar.IllegalMonthError):
        return None


def parse_date_range(text: str, year: int | None) -> tuple[datetime.date | None, datetime.date | None] | None:
    m = DATE_RANGE_RE.search(text)
    if not m:
        return None
    y1 = int(m.group("y1")) if m.group("y1") else year
    m1, m2 = int(m.group("m1")), int(m.group("m2"))
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        return None
    if y1 is None:
        return None
    y2 = int(m.group("y2")) if m.group("y2") else (y1 if m2 >= m1 else y1 + 1)
    d1 = int(m.group("d1")) if m.group("d1") else 1
    d2 = int(m.group("d2")) if m.group("d2") else _last_day(y2, m2)
    return _safe_date(y1, m1, d1), _safe_date(y2, m2, d2)


def parse_deadline(text: str, year: int | None) -> tuple[datetime.date | None, str]:
    """The first deadline in `text` ("10月底前", "2022年6月30日前", "年底前", "第三季度") → (date, as written)."""
    candidates = []
    for rx in (DEADLINE_RE, YEAR_END_RE, HALF_RE, QUARTER_RE):
        m = rx.search(text)
        if m:
            candidates.append((m.start(), rx, m))
    if not candidates:
        return None, ""
    _, rx, m = min(candidates, key=lambda c: c[0])
    y = int(m.group("y")) if m.group("y") else year
    if y is None:
        return None, m.group(0).strip()
    if rx is DEADLINE_RE:
        month = int(m.group("m"))
        if not 1 <= month <= 12:
            return None, ""
        if m.group("d"):
            day = int(m.group("d"))
        else:
            day = {"上旬": 10, "中旬": 20}.get(m.group("suffix") or "", _last_day(y, month))
        return _safe_date(y, month, day), m.group(0).strip()
    if rx is YEAR_END_RE:
        return datetime.date(y, 12, 31), m.group(0).strip()
    if rx is HALF_RE:
        return (datetime.date(y, 6, 30) if m.group("h") == "上半年" else datetime.date(y, 12, 31)), m.group(0).strip()
    q = m.group("q")
    qn = int(q) if q.isdigit() else cn_to_int(q)
    month = qn * 3
    return datetime.date(y, month, _last_day(y, month)), m.group(0).strip()


def guess_years(text: str) -> tuple[int | None, int | None]:
    """The plan's own years: a cycle "2020-2022届", the year in its title, "2023年度", the date signed at the end.

    Not the first year the text happens to mention ("2021年是…", a cited "2021-2023年" programme): with none of
    these the result is (None, None) and the caller asks.
    """
    m = re.search(r"(20\d{2})\s*[-—–~至到]\s*(20\d{2})\s*届", text)
    if m:
        return int(m.group(1)), int(m.group(2))
    head = [line.strip() for line in text.strip().splitlines()[:3] if line.strip()]
    for line in head:
        if len(line) <= 60 and re.search(r"(?:方案|计划|意见|安排|要点|通知)$", line):
            m = re.search(r"(20\d{2})\s*年", line)
            if m:
                return int(m.group(1)), int(m.group(1))
    m = re.search(r"(20\d{2})\s*年度", text)
    if m:
        return int(m.group(1)), int(m.group(1))
    tail = [line.strip() for line in text.strip().splitlines()[-6:]]
    for line in reversed(tail):
        m = re.fullmatch(r"(20\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", line)
        if m:
            return int(m.group(1)), int(m.group(1))
    return None, None


# ---------------------------------------------------------------------------------------------------------------
# Targets and recurrence

TARGET_RE = re.compile(
    r"(?P<lead>[\u4e00-\u9fa5]{0,14}?)(?P<op>≥|≤|>=|<=|不低于|不少于|超过|达到|高于|低于|以上|至少)\s*"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|％|小时|次|人次|人|场|篇|个|期|项|分)"
)


def parse_target(text: str) -> tuple[str, Decimal | None, str]:
    m = TARGET_RE.search(text)
    if not m:
        return "", None, ""
    try:
        value = Decimal(m.group("num"))
    except InvalidOperation:
        value = None
    unit = m.group("unit").replace("％", "%")
    return m.group(0).strip(), value, unit


def guess_recurrence(text: str) -> str:
    if re.search(r"每月|每个月|按月|月度", text):
        return "monthly"
    if re.search(r"每季度|每季|按季度", text):
        return "quarterly"
    if re.search(r"每年|年度|每一年", text):
        return "yearly"
    if re.search(r"常态化|经常化|长效|长期坚持|持续开展", text):
        return "ongoing"
    return "once"


# ---------------------------------------------------------------------------------------------------------------
# Sections

# Checked in order; "tasks" only for strong words, so a plan whose sections are themselves tasks
# ("四、开展志愿服务活动") falls back to treating every unnamed section as tasks.
SECTION_KINDS = [
    ("guiding", re.compile(r"指导思想|总体要求|指导原则")),
    ("phases", re.compile(r"步骤|阶段|时间安排|进度安排|实施计划|工作安排|时间节点")),
    ("leadership", re.compile(r"组织领导|领导小组|组织机构|保障|要求|组织实施")),
    ("tasks", re.compile(r"任务|内容|措施|重点工作|工作重点|举措|责任分工|具体工作")),
    ("goals", re.compile(r"目标")),
]


def section_kind(title: str) -> str:
    """What a top-level section holds, from its heading; a long heading with commas is a speech point ("other")."""
    if re.search(r"[，,。；]", title) or len(title) > 16:
        return "other"
    for kind, rx in SECTION_KINDS:
        if rx.search(title):
            return kind
    return "other"


# A title ends at the first sentence mark or colon; an ASCII colon between digits is a clock time ("上午9:30").
TITLE_END_RE = re.compile(r"[。；;！!？?：]|(?<!\d):|:(?!\d)")


def make_title(text: str) -> str:
    """The task's title: its first sentence, shortened to a clause when long."""
    text = text.strip()
    m = TITLE_END_RE.search(text)
    first = text[: m.start()] if m else text
    if len(first) > 60:
        parts = split_top_level(first, "，,")
        acc = ""
        for part in parts:
            if acc and len(acc) + len(part) > 40:
                break
            acc = f"{acc}，{part}" if acc else part
        first = acc
    return first.strip().strip("，,")[:200] or text[:60]


LEADER_ROLES = r"常务副组长|副组长|组长|办公室主任|成员|联络员"
LEADER_PATTERNS = [
    re.compile(rf"由?(?P<name>[^，,。；;：:]{{2,60}}?)(?:同志)?(?:任|担任)(?P<role>{LEADER_ROLES})"),
    re.compile(
        r"(?P<role>常务副组长|副组长|组长|办公室主任|联络员)由(?P<name>[^，,。；;]{2,60}?)(?:同志)?(?:兼任|担任|出任)"
    ),
    re.compile(r"(?P<name>[^，,。；;：:]{2,60}?)为(?P<role>常务副组长|副组长|组长|成员|组员|办公室主任)"),
    re.compile(rf"(?P<role>{LEADER_ROLES})[：:]\s*(?P<name>[^。\n；;]{{2,120}})"),
]


ROLE_SPACES_RE = re.compile(r"(?<=[组成副务])\s+(?=[长员组副])|(?<=办公室)\s+(?=主任)|(?<=联络)\s+(?=员)")
NEXT_ROLE_RE = re.compile(r"[，,；;。\s]\s*(?:常务副组长|副组长|组长|成员|办公室主任|联络员)\s*[：:]")


def _leader_name(name: str) -> str:
    """A name as written, without what follows it: the next role ("，成员：…") or a 兼任 ("王五兼办公室主任")."""
    m = NEXT_ROLE_RE.search(name)
    if m:
        name = name[: m.start()]
    name = re.split(r"(?<=[\u4e00-\u9fa5）)])兼(?:任)?", name, maxsplit=1)[0]
    return name.strip().strip("，,。； ")


def parse_leadership(lines: list[str]) -> list[ParsedLeader]:
    found: list[tuple[int, ParsedLeader]] = []
    seen = set()
    lines = [ROLE_SPACES_RE.sub("", line) for line in lines]
    # "组长：A，副组长：B、C，成员：…" on one line: each role ends where the next begins.
    next_role = r"[，,]\s*(?=(?:常务副组长|副组长|组长|成员|办公室主任|联络员)\s*[：:])"
    lines = [re.sub(next_role, "；", line) for line in lines]
    for li, line in enumerate(lines):
        if "组长" not in line and "办公室主任" not in line and "成员" not in line and "联络员" not in line:
            continue
        for rx in LEADER_PATTERNS:
            for m in rx.finditer(line):
                role = m.group("role").replace("组员", "成员").replace("常务副组长", "副组长")
                name = re.sub(r"\s*[,，]\s*", "、", _leader_name(m.group("name")))
                name = re.sub(r"^(?:由|其中|成立以|成立[^，。]*?领导小组，?|以)", "", name).strip()
                if not name or len(name) > 100 or (role, name) in seen or not re.search(r"[\w\u4e00-\u9fa5]", name):
                    continue  # "成员：……" names nobody
                if "领导小组" in name and role != "成员":
                    continue
                duty = ""
                tail = line[m.end() :]
                dm = re.match(r"[，,]\s*((?:具体|主要)?负责[^。；;]+)", tail)
                if dm:
                    duty = dm.group(1)
                seen.add((role, name))
                found.append((li * 10000 + m.start(), ParsedLeader(name=name, role=role, duty=duty)))
    # "副组长：A（…）" followed by lines holding only more names ("B（…）"): each is one more of that role.
    role_line = re.compile(rf"^(?P<role>{LEADER_ROLES})[：:]")
    for li, line in enumerate(lines):
        m = role_line.match(line)
        if not m:
            continue
        role = m.group("role").replace("常务副组长", "副组长")
        for k, more in enumerate(lines[li + 1 : li + 30], start=li + 1):
            if (
                len(more) > 40
                or re.search(r"[。；;：:]", more)
                or match_marker(more)
                or re.search(LEADER_ROLES, more.split("（")[0].split("(")[0])
            ):
                break
            name = _leader_name(more)
            if name and (role, name) not in seen and re.search(r"[\w\u4e00-\u9fa5]", name):
                seen.add((role, name))
                found.append((k * 10000, ParsedLeader(name=name, role=role)))
    return [leader for _, leader in sorted(found, key=lambda x: x[0])]


# ---------------------------------------------------------------------------------------------------------------
# The parser


def parse_plan(text: str, *, year: int | None = None, default_year: int | None = None) -> ParsedPlan:
    """Parse a plan's text into phases, leadership and the task tree.

    `year` overrides the plan's own year; `default_year` is used (and said in a warning) when the plan names none.
    """
    text = restore_line_breaks(restore_text_tables(text))
    lines = normalise_lines(text)
    plan = ParsedPlan()
    guessed_start, guessed_end = guess_years(text)
    plan.year = year or guessed_start
    plan.end_year = guessed_end if (year is None and guessed_end) else plan.year
    if plan.year is None and default_year is not None:
        plan.year = plan.end_year = default_year
        plan.year_from_default = True
    if plan.year and plan.end_year and plan.end_year < plan.year:
        plan.end_year = plan.year

    # Title: a short line near the top naming the document, else a short first line without sentences.
    for line in lines[:3]:
        if re.search(r"(方案|计划|意见|讲话|通知|安排)$", line) and len(line) <= 60 and not match_marker(line):
            plan.title = line
            break
    first = lines[0] if lines else ""
    if (
        not plan.title
        and first
        and len(first) <= 40
        and not re.search(r"[。；！!，]", first)
        and not match_marker(first)
    ):
        plan.title = first

    # Split into top-level sections.
    sections: list[tuple[str, str, list[str]]] = []  # (marker, title, lines)
    for line in lines:
        mk = match_marker(line)
        if mk and mk[0] == 0:
            sections.append((mk[1], mk[2], []))
        elif sections:
            sections[-1][2].append(line)
    kinds = [section_kind(title) for _, title, _ in sections]
    if "tasks" not in kinds:
        kinds = ["tasks" if k == "other" else k for k in kinds]
    leadership_lines: list[str] = []

    for (marker, section_title, body), kind in zip(sections, kinds, strict=True):
        if kind == "guiding":
            plan.guiding_idea = "\n".join(body)
        elif kind == "goals":
            plan.goals = "\n".join(body)
        elif kind == "phases":
            _parse_phases(plan, body)
            leadership_lines += body
        elif kind == "tasks":
            _parse_tasks(plan, marker, body, section=section_title)
        else:
            leadership_lines += body
            if _items_carry_units(plan, marker, body):
                # "三、保障措施 一是…（责任单位：…）二是…": items with owners are tasks, whatever the heading says.
                _parse_tasks(plan, marker, body, section=section_title)
    # Phases may also be written outside a 实施步骤 section.
    if not plan.phases:
        for kind_lines in (s[2] for s in sections):
            for line in kind_lines:
                if "阶段" in line and DATE_RANGE_RE.search(line):
                    _parse_phases(plan, [line])
    plan.leadership = parse_leadership(leadership_lines or lines)
    if not plan.nodes and (plan.phases or plan.leadership):
        plan.warnings.append(
            "方案中没有找到任务清单：已识别出阶段和领导小组，可以先导入这些内容，再用 Excel 任务分解表导入任务。"
        )
    elif not plan.nodes:
        plan.warnings.append("没有识别出任何任务条目，请检查方案是否按“一、（一）1.”等格式编号。")
    if plan.year_from_default:
        plan.warnings.append(f"方案中没有写明年度，时限按 {plan.year} 年计算，请在下方确认起始年度。")
    return plan


def _items_carry_units(plan: ParsedPlan, marker: str, body: list[str]) -> bool:
    """Whether at least half the items of a section that is not headed as tasks name responsible units."""
    trial = ParsedPlan(year=plan.year, end_year=plan.end_year)
    _parse_tasks(trial, marker, body)
    leaves = trial.tasks
    with_units = sum(bool(t.lead_units or t.cooperating_units) for t in leaves)
    return bool(leaves) and with_units * 2 >= len(leaves)


def _parse_phases(plan: ParsedPlan, body: list[str]) -> None:
    current: ParsedPhase | None = None
    for line in body:
        mk = match_marker(line)
        rest = mk[2] if mk else line
        is_phase_line = bool(mk) or (bool(re.match(r"^第[一二三四五六七八九十\d]+阶段", line)))
        if is_phase_line and (("阶段" in rest) or DATE_RANGE_RE.search(rest) or mk):
            name_part = rest
            dates = parse_date_range(rest, plan.year)
            # Name: text before the first bracket / colon / date.
            nm = re.split(r"[（(，,。]|\d{4}|\d{1,2}月", name_part, maxsplit=1)[0].strip().rstrip("：:")
            if re.search(r"[：:]", nm) and not re.match(r"^第.{1,3}阶段", nm):
                nm = re.split(r"[：:]", nm)[0]
            name = nm or name_part[:30]
            desc = ""
            cm = re.search(r"[：:）)]\s*(.+)$", rest)
            if cm and not DATE_RANGE_RE.fullmatch(cm.group(1)):
                desc = cm.group(1).strip()
            if dates is None:
                month = re.search(r"(?:(\d{4})\s*[年.．])?\s*(\d{1,2})\s*月(?!\s*\d{1,2}\s*日)", rest)
                y = int(month.group(1)) if month and month.group(1) else plan.year
                if month and y and 1 <= int(month.group(2)) <= 12:
                    m = int(month.group(2))
                    dates = (datetime.date(y, m, 1), datetime.date(y, m, _last_day(y, m)))
                else:
                    d, _ = parse_deadline(rest, plan.year)
                    dates = (None, d) if d else (None, None)
            current = ParsedPhase(name=name[:100], start=dates[0], end=dates[1], description=desc)
            plan.phases.append(current)
        elif current is not None:
            current.description = (current.description + "\n" + line).strip()


def _parse_tasks(plan: ParsedPlan, section_marker: str, body: list[str], *, section: str = "") -> None:
    # Stack of (rank, node index); the section itself is the root (not a node).
    stack: list[tuple[float, int]] = []
    last: int | None = None
    next_ordinal = 1

    def add(rank: float, marker: str, text: str) -> int:
        nonlocal last
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1] if stack else None
        number_prefix = plan.nodes[parent].number if parent is not None else section_marker
        own = re.sub(r"[.．、，,\s]+$", "", marker) if rank >= 2 else marker
        explicit = re.fullmatch(r"【([^】]+)】", marker)
        text, clause = extract_inline_responsibility(text)
        node = ParsedTask(
            number=explicit.group(1) if explicit else f"{number_prefix}{own}",
            marker=marker,
            title=make_title(text),
            content=text,
            rank=rank,
            parent=parent,
            index=len(plan.nodes),
            section=section[:100],
        )
        if clause:
            _apply_responsibility(plan, node, clause)
        _enrich(plan, node)
        plan.nodes.append(node)
        if parent is not None:
            plan.nodes[parent].children.append(node.index)
        stack.append((rank, node.index))
        last = node.index
        return node.index

    for line in body:
        if RESP_LINE_RE.match(line) and last is not None:
            clause = line.strip()
            if clause[0] in OPEN:
                clause = clause[1 : -1 if clause[-1] in CLOSE else None]
            _apply_responsibility(plan, plan.nodes[last], clause)
            continue
        mk = match_marker(line)
        if mk and mk[0] > 0:
            next_ordinal = 1
            rank, marker, rest = mk
            # "（二）标题。一是……。二是……": a heading whose items share its paragraph.
            split_at = re.search(r"(?<=[。：:；;，,])\s*一是", rest)
            if split_at:
                head_text, clause = extract_inline_responsibility(rest[: split_at.start()])
                tail, tail_clause = extract_inline_responsibility(rest[split_at.start() :])
                items = split_ordinal_items(tail.strip())
                if items and len(items) >= 2:
                    head = add(rank, marker, head_text + (f"（责任单位：{clause}）" if clause else ""))
                    for item_marker, item_text in items:
                        child = add(2.5, item_marker, item_text)
                        for c in (clause, tail_clause):
                            if c:
                                _apply_responsibility(plan, plan.nodes[child], c)
                    while stack and stack[-1][1] != head:
                        stack.pop()
                    continue
            add(rank, marker, rest)
            continue
        items = split_ordinal_items(line, next_ordinal)
        if items:
            next_ordinal = cn_to_int(items[-1][0][:-1]) + 1
            for marker, text in items:
                add(2.5, marker, text)
            # The next ordinal run (in another paragraph) restarts under the same heading.
            while stack and stack[-1][0] >= 2.5:
                stack.pop()
            continue
        # Unnumbered paragraph: more content for the current item (or an intro, ignored).
        if last is not None:
            node = plan.nodes[last]
            rest, clause = extract_inline_responsibility(line)
            node.content = (node.content + "\n" + rest).strip()
            if clause:
                _apply_responsibility(plan, node, clause)
            _enrich(plan, node)


def _apply_responsibility(plan: ParsedPlan, node: ParsedTask, clause: str) -> None:
    lead, coop, due_text = parse_responsibility(clause, has_lead=bool(node.lead_units))
    # Masked names ("****") each stand for a different unit, so they are kept even when repeated.
    for name in lead:
        if is_masked(name) or name not in node.lead_units:
            node.lead_units.append(name)
    for name in coop:
        if is_masked(name) or (name not in node.cooperating_units and name not in node.lead_units):
            node.cooperating_units.append(name)
    if due_text:
        due, _ = parse_deadline(due_text + "前" if not re.search(r"前|完成$", due_text) else due_text, plan.year)
        if due:
            node.due, node.due_text = due, due_text
        elif guess_recurrence(due_text) != "once":
            node.recurrence, node.due_text = guess_recurrence(due_text), due_text


def _enrich(plan: ParsedPlan, node: ParsedTask) -> None:
    if not node.lead_units and not node.cooperating_units:
        m = RESP_PROSE_RE.search(node.content)
        if m:
            node.lead_units = _names(m.group("lead"))
            node.cooperating_units = [n for n in _names(m.group("coop") or "") if n not in node.lead_units]
    if node.due is None:
        due, due_text = parse_deadline(node.content, plan.year)
        if due:
            node.due, node.due_text = due, due_text
    if not node.target_text:
        node.target_text, node.target_value, node.target_unit = parse_target(node.content)
    recurrence = guess_recurrence(node.content)
    if recurrence != "once":
        node.recurrence = recurrence
