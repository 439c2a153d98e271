"""A plan's text (pasted, .txt or .docx) into a campaign: read safely, match names, confirm in one transaction."""

from __future__ import annotations

import datetime
import difflib
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from organizations.field_ranges import date_problem, number_problem
from organizations.history import records_actor
from organizations.models import Organization, OrganizationKind
from organizations.services import organization_create

from . import services
from .models import Campaign, CampaignLevel, CampaignStatus, LeadershipRole, Recurrence, Task
from .plan_parser import ParsedPlan, is_masked, parse_plan, table_lines


class PlanImportError(ValueError):
    """The upload or the plan cannot be imported; the message is for the user (Chinese)."""


def max_upload_bytes() -> int:
    return int(getattr(settings, "CAMPAIGNS_PLAN_MAX_MB", 5)) * 1024 * 1024


def max_docx_uncompressed_bytes() -> int:
    return int(getattr(settings, "CAMPAIGNS_DOCX_MAX_UNCOMPRESSED_MB", 50)) * 1024 * 1024


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanImportError("无法识别文件的文字编码，请另存为 UTF-8 编码的 .txt 文件后再上传。")


def read_docx(data: bytes) -> str:
    """Text of a .docx, refusing non-Word files and zip bombs before python-docx opens them."""
    if not data.startswith(b"PK"):
        raise PlanImportError(
            "该文件不是有效的 Word（.docx）文档，可能是改了扩展名的其他文件，请用 Word 另存为 .docx 后上传。"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PlanImportError("该文件不是有效的 Word（.docx）文档，文件已损坏或格式不对。") from exc
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        raise PlanImportError("该文件不是有效的 Word（.docx）文档（缺少正文内容）。")
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if total > max_docx_uncompressed_bytes() or (total > 10 * 1024 * 1024 and total / compressed > 100):
        raise PlanImportError("该 Word 文档解压后体积异常（疑似压缩炸弹），已拒绝处理。")
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise PlanImportError("无法读取该 Word 文档，请确认文件未损坏。") from exc
    lines = [p.text for p in document.paragraphs]
    sections = sum(1 for line in lines if re.match(r"^\s*[一二三四五六七八九十]{1,3}、", line))
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        converted = table_lines(rows, section_number=sections + 1)
        if converted:
            sections += 1
            lines += converted
        else:
            lines += [" ".join(dict.fromkeys(c for c in row if c)) for row in rows]
    return "\n".join(lines)


def read_plan_upload(uploaded: Any) -> str:
    """Text of an uploaded .txt or .docx plan; raises PlanImportError with a Chinese message."""
    name = (getattr(uploaded, "name", "") or "").lower()
    size = getattr(uploaded, "size", None)
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise PlanImportError(f"文件过大（超过 {limit // (1024 * 1024)} MB），请只上传方案正文。")
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise PlanImportError(f"文件过大（超过 {limit // (1024 * 1024)} MB），请只上传方案正文。")
    if not data.strip():
        raise PlanImportError("文件是空的，请选择方案正文文件。")
    if name.endswith(".docx"):
        text = read_docx(data)
    elif name.endswith(".txt") or not name:
        if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
            raise PlanImportError("该文件不是文本文件，请上传 .txt 或 .docx 格式的方案。")
        text = decode_text(data)
    elif name.endswith(".doc"):
        raise PlanImportError("暂不支持旧版 .doc 格式，请用 Word 另存为 .docx 后上传。")
    else:
        raise PlanImportError("只支持 .txt 和 .docx 格式的方案文件。")
    return check_plan_text(text)


def check_plan_text(text: str) -> str:
    if len(text.encode("utf-8")) > max_upload_bytes():
        raise PlanImportError(f"方案文字过长（超过 {max_upload_bytes() // (1024 * 1024)} MB）。")
    if not text.strip():
        raise PlanImportError("方案内容是空的，请粘贴方案全文或上传文件。")
    return text


def parse_checked(text: str, *, year: int | None = None) -> ParsedPlan:
    """Parse and check a plan; a plan naming no year of its own is read in this year (the preview says so).

    A plan with phases or a leadership group but no task list is not refused: the preview imports what was found
    and offers the Excel 任务分解表 import next.
    """
    plan = parse_plan(check_plan_text(text), year=year, default_year=timezone.localdate().year)
    if not plan.nodes and not plan.phases and not plan.leadership:
        raise PlanImportError("没有从方案中识别出任何任务，请确认方案按“一、（一）1.”或“一是、二是”等格式分条编号。")
    check_payload(plan.to_payload())
    return plan


def plan_payload(plan: ParsedPlan) -> dict:
    """The payload the preview shows and the confirm imports: the parse, each task with the phase it falls in."""
    payload = plan.to_payload()
    assign_phases(payload)
    return payload


# ---------------------------------------------------------------------------------------------------------------
# Phases: which phase the parser found does each task belong to

# The phase in which "the work itself" happens (全面创建阶段, 集中实施阶段), where undated tasks of the task list go;
# not the phases of preparation, mobilisation, self-inspection, rectification or acceptance.
MAIN_PHASE_RE = re.compile(r"全面|集中|实施|推进|深化|落实|创建|攻坚")
SIDE_PHASE_RE = re.compile(r"准备|动员|宣传|发动|部署|自查|自检|整改|迎检|验收|评估|总结|巩固|提高|申报")


def _phase_key(name: str) -> str:
    return re.sub(r"阶段$|^第[一二三四五六七八九十\d]+阶段[：:]?", "", (name or "").strip())


def assign_phases(payload: dict) -> None:
    """Give each node of the payload the index of its phase ("phase", None when none fits), in place.

    By deadline: the phase whose dates hold the task's 完成时限 (of two, the one ending first). Else by section:
    the phase named by the task's section heading ("四、自检自查" → 自检自查阶段), else its parent's phase, else —
    for the plan's task list — the one main phase the plan names (全面创建阶段), if there is exactly one.
    """
    phases = payload.get("phases") or []
    nodes = payload.get("nodes") or []
    dated = []
    for j, p in enumerate(phases):
        start, end = _parse_date(p.get("start")), _parse_date(p.get("end"))
        if start and end and end < start:
            start, end = end, start
        dated.append((j, start, end))
    keys = [(j, _phase_key(p.get("name", ""))) for j, p in enumerate(phases)]
    mains = [
        j
        for j, p in enumerate(phases)
        if MAIN_PHASE_RE.search(p.get("name", "")) and not SIDE_PHASE_RE.search(p.get("name", ""))
    ]
    main = mains[0] if len(mains) == 1 else None
    by_index: dict[int, int | None] = {}
    for node in nodes:
        phase = None
        due = _parse_date(node.get("due"))
        if due:
            holding = [(end, j) for j, start, end in dated if start and end and start <= due <= end]
            if holding:
                phase = min(holding)[1]
        if phase is None:
            section = node.get("section") or ""
            phase = next((j for j, key in keys if len(key) >= 2 and key in section), None)
        if phase is None and node.get("parent") is not None:
            phase = by_index.get(node["parent"])
        if phase is None and due is None:
            phase = main
        node["phase"] = phase
        by_index[node["index"]] = phase


# ---------------------------------------------------------------------------------------------------------------
# The payload: what the preview shows and the confirm imports, checked field by field

_NODE_TEXT = {"number": 60, "title": 500, "content": 20000, "target_text": 200, "target_unit": 20}


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and "\x00" not in value


def _date_problem(value: Any, what: str) -> str:
    """Why a payload date ("YYYY-MM-DD" or empty) cannot be imported, or ""."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        return f"{what}不是日期"
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return f"{what}“{value[:20]}”不是有效日期"
    return date_problem(day, what)


def payload_problems(payload: Any) -> list[str]:
    """Every reason the payload cannot be imported as it is (Chinese), empty when it can.

    The payload is built by the parser and kept server-side between preview and confirm; this check is what stands
    between it and the database whatever the path (web, CLI, a crafted call): shape, types, the recurrence, each
    number against its field's range and each date against the plausible years.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("nodes"), list):
        return ["预览数据不完整"]
    problems: list[str] = []
    nodes = payload["nodes"]
    indexes: set[int] = set()
    for position, node in enumerate(nodes, start=1):
        if not isinstance(node, dict):
            problems.append(f"第 {position} 条不是任务")
            continue
        where = f"第 {position} 条任务“{str(node.get('number') or '')[:20]}{str(node.get('title') or '')[:30]}”"
        index = node.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index in indexes:
            problems.append(f"{where}的序号无效")
        else:
            indexes.add(index)
        parent = node.get("parent")
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int) or parent not in indexes):
            problems.append(f"{where}的上级任务无效")
        for key, limit in _NODE_TEXT.items():
            value = node.get(key, "")
            if value is None and key not in ("number", "title"):
                continue
            if not _is_text(value):
                problems.append(f"{where}的{key}不是文字")
            elif len(value) > limit:
                problems.append(f"{where}的文字过长（超过 {limit} 字）")
        for key in ("lead_units", "cooperating_units"):
            names = node.get(key)
            if not isinstance(names, list) or not all(_is_text(n) for n in names):
                problems.append(f"{where}的单位名单无效")
        if not isinstance(node.get("is_heading", False), bool):
            problems.append(f"{where}的层级标记无效")
        if node.get("recurrence") not in (None, "", *Recurrence.values):
            problems.append(f"{where}的频次“{str(node.get('recurrence'))[:20]}”无效")
        target = node.get("target_value")
        if target not in (None, ""):
            problem = number_problem(Task, "target_value", target, label="目标值") if _is_text(target) else "目标值无效"
            if problem:
                problems.append(f"{where}：{problem}")
        problem = _date_problem(node.get("due"), "完成时限")
        if problem:
            problems.append(f"{where}：{problem}")
        phase = node.get("phase")
        phase_count = len(payload.get("phases") or []) if isinstance(payload.get("phases"), list) else 0
        if phase is not None and (
            isinstance(phase, bool) or not isinstance(phase, int) or not 0 <= phase < phase_count
        ):
            problems.append(f"{where}的所属阶段无效")
    for key in ("phases", "leadership"):
        if not isinstance(payload.get(key) or [], list):
            problems.append("预览数据不完整")
    for position, phase in enumerate(payload.get("phases") or [], start=1):
        if not isinstance(phase, dict) or not _is_text(phase.get("name", "")):
            problems.append(f"第 {position} 个阶段无效")
            continue
        for key, what in (("start", "开始日期"), ("end", "结束日期")):
            problem = _date_problem(phase.get(key), what)
            if problem:
                problems.append(f"阶段“{phase['name'][:30]}”：{problem}")
    for position, member in enumerate(payload.get("leadership") or [], start=1):
        if not isinstance(member, dict) or not all(_is_text(member.get(k, "")) for k in ("name", "role", "duty")):
            problems.append(f"领导小组第 {position} 名成员无效")
        elif member.get("role") not in (*ROLE_BY_LABEL, *LeadershipRole.values):
            problems.append(f"领导小组成员“{member.get('name', '')[:20]}”的职务“{member.get('role', '')[:20]}”无效")
    return problems


def check_payload(payload: Any) -> None:
    """Raise PlanImportError naming the first problems of the payload (see payload_problems)."""
    problems = payload_problems(payload)
    if problems:
        more = f"等 {len(problems)} 处" if len(problems) > 5 else ""
        raise PlanImportError("；".join(problems[:5]) + more + "。请修改后重新导入。")


# ---------------------------------------------------------------------------------------------------------------
# Matching names to the organisation tree

GROUP_PATTERNS = [
    (re.compile(r"^[^、，]{0,6}?各?(?:同创单位|直属单位|下属单位|派出机构|二级单位)$"), OrganizationKind.AFFILIATE),
    (re.compile(r"^[^、，]{0,6}?各(?:科室|处室|部门|内设机构|股室|科（室）)$"), OrganizationKind.DEPARTMENT),
]


@dataclass
class UnitMatch:
    name: str
    status: str  # exact / short / close / group / masked / unmatched
    orgs: list[Organization] = field(default_factory=list)
    candidates: list[Organization] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return {
            "exact": "完全匹配",
            "short": "简称匹配",
            "close": "近似匹配，请确认",
            "group": "单位群组",
            "masked": "原文隐去名称，请选择",
            "unmatched": "未匹配，确认时新建",
        }[self.status]


def _norm(name: str) -> str:
    return re.sub(r"[\s（）()]", "", name).replace("某市", "").replace("市", "", 1)


def unit_organizations(unit: Organization) -> list[Organization]:
    return list(Organization.objects.filter(path__startswith=unit.path).order_by("path"))


def match_unit_names(
    names: list[str], unit: Organization, orgs: list[Organization] | None = None
) -> dict[str, UnitMatch]:
    """Match names as written to the unit's subtree: exact name, then short name, then close matches."""
    orgs = orgs if orgs is not None else unit_organizations(unit)
    by_name = {o.name: o for o in orgs}
    by_short = {o.short_name: o for o in orgs if o.short_name}
    result: dict[str, UnitMatch] = {}
    for name in names:
        if name in result:
            continue
        if is_masked(name):
            result[name] = UnitMatch(name, "masked", candidates=[o for o in orgs if o.pk != unit.pk])
        elif name in by_name:
            result[name] = UnitMatch(name, "exact", [by_name[name]])
        elif name in by_short:
            result[name] = UnitMatch(name, "short", [by_short[name]])
        else:
            group = next((kind for rx, kind in GROUP_PATTERNS if rx.search(name)), None)
            members = [o for o in orgs if o.kind == group and o.parent_id == unit.pk] if group else []
            if members:
                result[name] = UnitMatch(name, "group", members)
                continue
            scored = []
            for o in orgs:
                for candidate in {o.name, o.short_name} - {""}:
                    a, b = _norm(name), _norm(candidate)
                    ratio = difflib.SequenceMatcher(None, a, b).ratio()
                    if a and b and (a in b or b in a):
                        ratio = max(ratio, 0.8)
                    if ratio >= 0.6:
                        scored.append((ratio, o))
            scored.sort(key=lambda x: -x[0])
            seen: list[Organization] = []
            for _, o in scored:
                if o not in seen:
                    seen.append(o)
            if seen:
                result[name] = UnitMatch(name, "close", [seen[0]], candidates=seen[:5])
            else:
                result[name] = UnitMatch(name, "unmatched")
    return result


def unmatched_names(matches: dict[str, UnitMatch]) -> list[str]:
    return [n for n, m in matches.items() if m.status in ("unmatched", "masked", "close")]


def default_tokens(names: list[str], matches: dict[str, UnitMatch]) -> list[str]:
    """The preselected choices for names as written: org ids, or "new:<name>" for names that will be created."""
    tokens: list[str] = []
    for name in names:
        m = matches.get(name)
        if m is None or m.status == "masked":
            continue
        if m.status == "unmatched":
            tokens.append(f"new:{name}")
        else:
            tokens += [f"org:{o.pk}" for o in m.orgs]
    return list(dict.fromkeys(tokens))


def payload_unit_names(payload: dict) -> list[str]:
    """Every unit name written in the plan, in order of first appearance."""
    return list(
        dict.fromkeys(
            n for node in payload.get("nodes") or [] for n in (*node["lead_units"], *node["cooperating_units"])
        )
    )


def resolve_node_units(
    payload: dict,
    unit: Organization,
    posted: dict[int, tuple[list[str], list[str]]],
    name_choices: dict[str, str],
) -> dict[int, tuple[list[str], list[str]]]:
    """Combine the two ways the preview corrects units.

    A choice per name as written (`name_choices`: "" keeps the match found, "none" drops the name, else a
    token) applies to every task naming it; a task whose own selection the user changed from what was found
    keeps that selection.
    """
    matches = match_unit_names(payload_unit_names(payload), unit)

    def by_name(names: list[str]) -> list[str]:
        tokens: list[str] = []
        for name in names:
            choice = name_choices.get(name, "")
            if choice == "none":
                continue
            tokens += [choice] if choice else default_tokens([name], matches)
        return list(dict.fromkeys(tokens))

    out: dict[int, tuple[list[str], list[str]]] = {}
    for node in payload.get("nodes") or []:
        lead_posted, coop_posted = posted.get(node["index"], (None, None))
        lead_default = default_tokens(node["lead_units"], matches)
        coop_default = default_tokens(node["cooperating_units"], matches)
        lead = (
            by_name(node["lead_units"]) if lead_posted is None or set(lead_posted) == set(lead_default) else lead_posted
        )
        coop = (
            by_name(node["cooperating_units"])
            if coop_posted is None or set(coop_posted) == set(coop_default)
            else coop_posted
        )
        out[node["index"]] = (lead, [t for t in coop if t not in lead])
    return out


# ---------------------------------------------------------------------------------------------------------------
# Confirm


def _new_org_code(unit: Organization, name: str) -> str:
    base = f"{unit.code}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"[:60]
    code, n = base, 1
    while Organization.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _parse_date(value: Any) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _resolve_tokens(
    tokens: list[str], unit: Organization, allowed: dict[int, Organization], created: dict[str, Organization]
) -> list[Organization]:
    """Organisations for the preview's tokens: "org:<id>" of the unit's tree, "new:<name>" created under the unit."""
    out: list[Organization] = []
    for token in tokens:
        kind, _, value = token.partition(":")
        if kind == "org":
            try:
                org = allowed[int(value)]
            except (KeyError, ValueError) as exc:
                raise PlanImportError("所选单位不属于本单位的组织结构。") from exc
        elif kind == "new" and value.strip():
            name = value.strip()[:200]
            org = created.get(name) or Organization.objects.filter(parent=unit, name=name).first()
            if org is None:
                org = organization_create(
                    name=name, code=_new_org_code(unit, name), kind=OrganizationKind.DEPARTMENT, parent=unit
                )
                allowed[org.pk] = org
            created[name] = org
        else:
            continue
        if org not in out:
            out.append(org)
    return out


ROLE_BY_LABEL = {
    "组长": LeadershipRole.LEADER,
    "副组长": LeadershipRole.DEPUTY,
    "成员": LeadershipRole.MEMBER,
    "办公室主任": LeadershipRole.OFFICE_DIRECTOR,
    "联络员": LeadershipRole.LIAISON,
}


@records_actor("user")
@transaction.atomic
def plan_import_confirm(
    *,
    unit: Organization,
    payload: dict,
    user: Any = None,
    campaign: Campaign | None = None,
    title: str = "",
    level: str = CampaignLevel.CITY,
    start_year: int | None = None,
    end_year: int | None = None,
    plan_text: str = "",
    node_units: dict[int, tuple[list[str], list[str]]] | None = None,
) -> Campaign:
    """Create the campaign (or fill `campaign`) with phases, leadership and the task tree, all or nothing.

    `node_units` maps a node index to (lead tokens, cooperating tokens): "org:<id>" for an organisation of the
    unit, "new:<name>" for a new department created under the unit. Nodes without an entry use the names'
    default matches.
    """
    check_payload(payload)
    nodes = payload.get("nodes") or []
    if not nodes and not payload.get("phases") and not payload.get("leadership"):
        # A plan with phases or a leadership group but no task list still imports what it has.
        raise PlanImportError("没有可导入的任务。")
    if level not in CampaignLevel.values:
        raise PlanImportError("创建级别无效。")
    allowed = {o.pk: o for o in unit_organizations(unit)}
    if node_units is None:
        names = list(dict.fromkeys(n for node in nodes for n in (*node["lead_units"], *node["cooperating_units"])))
        matches = match_unit_names(names, unit, list(allowed.values()))
        node_units = {
            node["index"]: (
                default_tokens(node["lead_units"], matches),
                default_tokens(node["cooperating_units"], matches),
            )
            for node in nodes
        }
    created: dict[str, Organization] = {}

    def resolve(tokens: list[str]) -> list[Organization]:
        return _resolve_tokens(tokens, unit, allowed, created)

    year = start_year or payload.get("year") or timezone.localdate().year
    if campaign is None:
        campaign = services.campaign_create(
            unit=unit,
            title=(title or payload.get("title") or f"{year}年度文明单位创建")[:200],
            level=level,
            start_year=year,
            end_year=max(end_year or payload.get("end_year") or year, year),
            created_by=user,
            status=CampaignStatus.ACTIVE,
            guiding_idea=payload.get("guiding_idea", ""),
            goals=payload.get("goals", ""),
            plan_text=plan_text,
        )
    elif campaign.unit_id != unit.pk:
        raise PlanImportError("所选创建活动不属于该单位。")
    phases: list = []
    phase_by_index: dict[int, Any] = {}
    for j, p in enumerate(payload.get("phases") or []):
        if not (p.get("name") or "").strip():
            continue
        start, end = _parse_date(p.get("start")), _parse_date(p.get("end"))
        if start and end and end < start:
            start, end = end, start
        phase = services.phase_create(
            campaign=campaign, name=p["name"].strip(), start=start, end=end, description=p.get("description", "")
        )
        phases.append(phase)
        phase_by_index[j] = phase
    for m in payload.get("leadership") or []:
        role = ROLE_BY_LABEL.get(m.get("role", ""), m.get("role"))
        if role in LeadershipRole.values and (m.get("name") or "").strip():
            services.leadership_member_create(
                campaign=campaign, name=m["name"].strip(), role=role, duty=m.get("duty", "")
            )
    base_order = (campaign.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    by_index: dict[int, Task] = {}
    for i, node in enumerate(nodes):
        if node.get("skip"):
            continue
        lead_tokens, coop_tokens = node_units.get(node["index"], ([], []))
        parent = by_index.get(node["parent"]) if node.get("parent") is not None else None
        target_value = node.get("target_value")
        task = services.task_create(
            campaign=campaign,
            title=(node.get("title") or "").strip() or node.get("number") or "未命名任务",
            number=node.get("number", ""),
            parent=parent,
            content=node.get("content", ""),
            lead_units=resolve(lead_tokens),
            cooperating_units=resolve(coop_tokens),
            phase=_node_phase(node, phase_by_index, phases),
            due_date=_parse_date(node.get("due")),
            order=base_order + i,
            recurrence=node.get("recurrence") or "once",
            target_text=node.get("target_text") or "",
            target_value=Decimal(target_value) if target_value else None,
            target_unit=node.get("target_unit") or "",
        )
        by_index[node["index"]] = task
    return campaign


def _node_phase(node: dict, phase_by_index: dict[int, Any], phases: list):
    """The phase chosen on the preview ("phase": index into the payload's phases), else the one holding its deadline."""
    if "phase" in node:
        return phase_by_index.get(node["phase"]) if node["phase"] is not None else None
    return _phase_for(phases, _parse_date(node.get("due")))


def _phase_for(phases: list, due: datetime.date | None):
    if due is None:
        return None
    for p in phases:
        if p.start and p.end and p.start <= due <= p.end:
            return p
    return None


# ---------------------------------------------------------------------------------------------------------------
# The same plan again: find the campaign it already made, and update that one


def _text_key(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def matching_campaigns(unit: Organization, *, text: str, title: str = "", start_year: int | None = None) -> list:
    """Campaigns of the unit whose plan text is this one (whitespace aside), or with the same title and first year."""
    key = _text_key(text)
    out = []
    for c in Campaign.objects.filter(unit=unit).order_by("-start_year", "-pk"):
        same_text = bool(key) and _text_key(c.plan_text) == key
        same_title = bool(title) and c.title == title and (start_year is None or c.start_year == start_year)
        if same_text or same_title:
            out.append(c)
    return out


@dataclass
class UpdateResult:
    campaign: Campaign
    updated: int = 0
    created: int = 0
    kept: int = 0  # tasks of the campaign the plan no longer lists: kept as they are


@transaction.atomic
def plan_import_update(
    *,
    campaign: Campaign,
    payload: dict,
    user: Any = None,
    title: str = "",
    level: str = "",
    start_year: int | None = None,
    end_year: int | None = None,
    plan_text: str = "",
    node_units: dict[int, tuple[list[str], list[str]]] | None = None,
) -> UpdateResult:
    """Bring an existing campaign in line with the plan, all or nothing, never losing what hangs on its tasks.

    A task of the plan is matched to the campaign's task with the same number and title (else the same number, else
    the same title) and changed in place, so its dossiers, criterion tags, progress reports, status and progress stay;
    its 责任单位 and 责任人 stay too when it has any (the plan's units fill only tasks that have none). Tasks the plan
    does not name are kept. Phases are matched by name (dates updated), leadership members by name and role.
    """
    check_payload(payload)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    fields: dict[str, Any] = {"plan_text": plan_text or campaign.plan_text}
    if title:
        fields["title"] = title[:200]
    if level:
        if level not in CampaignLevel.values:
            raise PlanImportError("创建级别无效。")
        fields["level"] = level
    if start_year:
        fields["start_year"] = start_year
        fields["end_year"] = max(end_year or start_year, start_year)
    for key in ("guiding_idea", "goals"):
        if payload.get(key):
            fields[key] = payload[key]
    services.campaign_update(campaign=campaign, **fields)

    existing_phases = {p.name: p for p in campaign.phases.all()}
    phase_by_index: dict[int, Any] = {}
    for j, p in enumerate(payload.get("phases") or []):
        name = (p.get("name") or "").strip()
        if not name:
            continue
        start, end = _parse_date(p.get("start")), _parse_date(p.get("end"))
        if start and end and end < start:
            start, end = end, start
        phase = existing_phases.get(name)
        if phase is None:
            phase = services.phase_create(
                campaign=campaign, name=name, start=start, end=end, description=p.get("description", "")
            )
        else:
            phase = services.phase_update(phase=phase, start=start, end=end, description=p.get("description", ""))
        phase_by_index[j] = phase
    present = {(m.name, m.role) for m in campaign.leadership.all()}
    for m in payload.get("leadership") or []:
        role = ROLE_BY_LABEL.get(m.get("role", ""), m.get("role"))
        name = (m.get("name") or "").strip()
        if role in LeadershipRole.values and name and (name, role) not in present:
            services.leadership_member_create(campaign=campaign, name=name, role=role, duty=m.get("duty", ""))
            present.add((name, role))

    nodes = [n for n in payload.get("nodes") or [] if not n.get("skip")]
    tasks = list(campaign.tasks.prefetch_related("lead_units", "cooperating_units").order_by("order", "pk"))
    by_both = {(t.number, t.title): t for t in reversed(tasks)}
    by_number = {t.number: t for t in reversed(tasks) if t.number}
    by_title = {t.title: t for t in reversed(tasks)}
    taken: set[int] = set()

    def find(node: dict) -> Task | None:
        number, title = node.get("number") or "", (node.get("title") or "").strip()
        for task in (by_both.get((number, title)), by_number.get(number) if number else None, by_title.get(title)):
            if task is not None and task.pk not in taken:
                return task
        return None

    allowed = {o.pk: o for o in unit_organizations(campaign.unit)}
    if node_units is None:
        names = list(dict.fromkeys(n for node in nodes for n in (*node["lead_units"], *node["cooperating_units"])))
        matches = match_unit_names(names, campaign.unit, list(allowed.values()))
        node_units = {
            node["index"]: (
                default_tokens(node["lead_units"], matches),
                default_tokens(node["cooperating_units"], matches),
            )
            for node in nodes
        }
    created_orgs: dict[str, Organization] = {}

    def resolve(tokens: list[str]) -> list[Organization]:
        return _resolve_tokens(tokens, campaign.unit, allowed, created_orgs)

    result = UpdateResult(campaign=campaign)
    base_order = (campaign.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    by_index: dict[int, Task] = {}
    for i, node in enumerate(nodes):
        lead_tokens, coop_tokens = node_units.get(node["index"], ([], []))
        parent = by_index.get(node["parent"]) if node.get("parent") is not None else None
        target_value = node.get("target_value")
        values = {
            "title": (node.get("title") or "").strip() or node.get("number") or "未命名任务",
            "number": (node.get("number") or "")[:50],
            "content": node.get("content", ""),
            "phase": _node_phase(node, phase_by_index, list(phase_by_index.values())),
            "due_date": _parse_date(node.get("due")),
            "recurrence": node.get("recurrence") or "once",
            "target_text": node.get("target_text") or "",
            "target_value": Decimal(target_value) if target_value else None,
            "target_unit": node.get("target_unit") or "",
        }
        task = find(node)
        if task is None:
            task = services.task_create(
                campaign=campaign,
                parent=parent,
                lead_units=resolve(lead_tokens),
                cooperating_units=resolve(coop_tokens),
                order=base_order + i,
                **values,
            )
            result.created += 1
        else:
            has_units = bool(task.lead_units.all() or task.cooperating_units.all())
            services.task_update(
                task=task,
                parent=parent if parent is not None else task.parent,
                lead_units=None if has_units else resolve(lead_tokens),
                cooperating_units=None if has_units else resolve(coop_tokens),
                **values,
            )
            result.updated += 1
        taken.add(task.pk)
        by_index[node["index"]] = task
    result.kept = sum(1 for t in tasks if t.pk not in taken)
    return result
