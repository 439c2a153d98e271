"""Plan import: bad uploads refused in Chinese, the preview, the confirm in one transaction, the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from campaigns.importer import PlanImportError, match_unit_names, plan_import_confirm, read_plan_upload
from campaigns.models import Campaign, LeadershipMember, Phase, Task
from campaigns.plan_parser import parse_plan
from organizations.models import Organization

PLANS = Path(settings.BASE_DIR).parent / "shared" / "domain" / "plans"
ECOLOGY = PLANS / "生态环境局-市级文明单位创建实施方案.txt"
YEARLY = PLANS / "2022年度全国文明单位创建工作计划.txt"

OWN_PLAN = (
    "2026年度甲单位文明单位创建方案\n一、主要任务\n"
    "（一）开展专题学习。组织干部职工集中学习，6月底前完成。（责任单位：甲办公室牵头，甲同创单位配合）\n"
    "（二）志愿服务。一是组建志愿服务队。二是每月开展一次活动。（责任单位：新成立的志愿服务中心）\n"
    "二、实施步骤\n（一）动员部署阶段（2026.03-2026.04）\n（二）全面实施阶段（2026.05-2026.11）\n"
    "三、保障措施\n成立领导小组，由局长王某任组长，副局长李某任副组长。\n"
)


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


def _png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


BAD_UPLOADS = [
    ("image renamed .docx", "方案.docx", _png_bytes, "不是有效的 Word"),
    ("empty file", "方案.txt", lambda: b"", "文件是空的"),
    ("empty docx", "方案.docx", lambda: b"", "文件是空的"),
    (
        "50 MB text",
        "方案.txt",
        lambda: ("一、主要任务\n1.学习。\n" * 2_000_000).encode()[: 50 * 1024 * 1024],
        "文件过大",
    ),
    ("zip bomb docx", "方案.docx", _zip_bomb, "压缩炸弹"),
    ("zip without Word content", "方案.docx", lambda: _zip_of({"a.txt": "x"}), "缺少正文"),
    ("unsupported type", "方案.pdf", lambda: b"%PDF-1.4 ...", "只支持 .txt 和 .docx"),
    (
        "text without numbered items",
        "方案.txt",
        lambda: "这是一段没有编号的文字。".encode(),
        "没有从方案中识别出任何任务",
    ),
]


def _zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(("label", "filename", "make", "message"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_upload_gets_a_chinese_message_and_creates_nothing(client, world, label, filename, make, message):
    """GIVEN a 创建办 user WHEN they upload a bad file THEN the page names the problem in Chinese, nothing is saved."""
    client.force_login(world.users["a_office"])
    orgs_before = Organization.objects.count()
    upload = SimpleUploadedFile(filename, make(), content_type="application/octet-stream")
    response = client.post(reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0
    assert Organization.objects.count() == orgs_before


def test_docx_upload_is_read(client, world):
    document = docx.Document()
    for line in OWN_PLAN.splitlines():
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    text = read_plan_upload(SimpleUploadedFile("方案.docx", buf.getvalue()))
    assert parse_plan(text).tasks[0].title == "开展专题学习"


def test_gb18030_text_is_read():
    text = read_plan_upload(SimpleUploadedFile("方案.txt", OWN_PLAN.encode("gb18030")))
    assert "开展专题学习" in text


def test_read_plan_upload_raises_for_zip_bomb():
    with pytest.raises(PlanImportError, match="压缩炸弹"):
        read_plan_upload(SimpleUploadedFile("x.docx", _zip_bomb()))


def test_name_matching(world):
    world.dept_a.short_name = "办公室"
    world.dept_a.save()
    matches = match_unit_names(
        ["甲办公室", "办公室", "甲同创", "机关各科室", "局机关各科室", "各同创单位", "****", "市科协"], world.unit_a
    )
    assert matches["局机关各科室"].orgs == [world.dept_a] and matches["各同创单位"].orgs == [world.affiliate_a]
    assert matches["甲办公室"].status == "exact" and matches["甲办公室"].orgs == [world.dept_a]
    assert matches["办公室"].status == "short"
    assert matches["甲同创"].status == "close" and matches["甲同创"].orgs == [world.affiliate_a]
    assert matches["机关各科室"].status == "group" and matches["机关各科室"].orgs == [world.dept_a]
    assert matches["****"].status == "masked"
    assert matches["市科协"].status == "unmatched"


def test_preview_then_confirm_creates_everything(client, world):
    """GIVEN a pasted plan WHEN the office previews, changes one unit and confirms THEN the tree is saved as shown."""
    client.force_login(world.users["a_office"])
    response = client.post(
        reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": OWN_PLAN}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "核对导入内容" in page and "新建：新成立的志愿服务中心" in page
    assert Campaign.objects.count() == 0  # nothing saved by the preview
    ctx = response.context
    payload = ctx["payload"]
    data = {
        "unit": world.unit_a.pk,
        "preview": ctx["preview_token"],
        "title": ctx["title"],
        "start_year": "2026",
        "end_year": "2026",
        "level": "city",
        "plan_text": OWN_PLAN,
    }
    for row in ctx["rows"]:
        i = row["node"]["index"]
        data[f"n{i}-title"] = row["node"]["title"]
        data[f"n{i}-lead"] = [v for v, _, sel in row["lead_options"] if sel]
        data[f"n{i}-coop"] = [v for v, _, sel in row["coop_options"] if sel]
    # The user corrects the lead of the first task: the affiliate instead of the office.
    first = payload["nodes"][0]["index"]
    data[f"n{first}-lead"] = [f"org:{world.affiliate_a.pk}"]
    data[f"n{first}-coop"] = []
    response = client.post(reverse("campaigns:plan_import_confirm"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:tasks", args=[campaign.pk])
    assert campaign.title == "2026年度甲单位文明单位创建方案" and campaign.plan_text == OWN_PLAN
    t1 = Task.objects.get(number="一、（一）")
    assert list(t1.lead_units.all()) == [world.affiliate_a] and t1.cooperating_units.count() == 0
    assert t1.due_date.isoformat() == "2026-06-30"
    heading = Task.objects.get(number="一、（二）")
    assert heading.children.count() == 2
    new_org = Organization.objects.get(name="新成立的志愿服务中心")
    assert new_org.parent == world.unit_a
    assert list(Task.objects.get(number="一、（二）一是").lead_units.all()) == [new_org]
    assert list(Phase.objects.filter(campaign=campaign).values_list("name", flat=True)) == [
        "动员部署阶段",
        "全面实施阶段",
    ]
    t1_phase = Task.objects.get(number="一、（一）").phase
    assert t1_phase is not None and t1_phase.name == "全面实施阶段"  # due 6月底 falls in 2026.05-2026.11
    assert set(LeadershipMember.objects.values_list("role", "name")) == {
        ("leader", "局长王某"),
        ("deputy", "副局长李某"),
    }


def test_confirm_is_all_or_nothing(world):
    """GIVEN a payload whose second task points at an organisation outside the unit THEN nothing is created."""
    payload = parse_plan(OWN_PLAN).to_payload()
    node_units = {n["index"]: ([], []) for n in payload["nodes"]}
    node_units[payload["nodes"][0]["index"]] = (["new:一个新部门"], [])
    node_units[payload["nodes"][1]["index"]] = ([f"org:{world.dept_b.pk}"], [])
    with pytest.raises(PlanImportError):
        plan_import_confirm(unit=world.unit_a, payload=payload, node_units=node_units)
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0
    assert not Organization.objects.filter(name="一个新部门").exists()


def test_cli_json_shape_on_ecology_plan(world, capsys):
    assert ECOLOGY.exists(), f"shared plan missing: {ECOLOGY}"
    call_command("import_plan", str(ECOLOGY), "--unit", world.unit_a.code, "--dry-run", "--json")
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"phases", "tasks", "units", "unmatched_units"}
    assert out["phases"][0] == {"name": "前期准备阶段", "start": "2020-04-01", "end": "2020-05-31"}
    assert len(out["tasks"]) == 13
    assert out["tasks"][0] == {
        "number": "三、1",
        "title": "深化理论学习宣传",
        "lead_units": [],
        "cooperating_units": [],
        "due": None,
    }
    assert out["units"] == [] and out["unmatched_units"] == []
    assert Campaign.objects.count() == 0  # dry run


def test_cli_imports_yearly_plan(world, capsys):
    assert YEARLY.exists(), f"shared plan missing: {YEARLY}"
    call_command("import_plan", str(YEARLY), "--unit", world.unit_a.code, "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["units"] == ["****", "各同创单位", "机关各科室", "局属各支部", "服务中心"]
    # 各同创单位 / 机关各科室 are groups matched to the unit's affiliates / departments.
    assert out["unmatched_units"] == ["****", "局属各支部", "服务中心"]
    campaign = Campaign.objects.get()
    assert campaign.start_year == 2022
    assert Task.objects.filter(campaign=campaign, children__isnull=True).count() == 25
    t = Task.objects.get(campaign=campaign, number="三、（一）")
    assert list(t.cooperating_units.all()) == [world.dept_a, world.affiliate_a] or set(t.cooperating_units.all()) == {
        world.dept_a,
        world.affiliate_a,
    }
    assert t.lead_units.count() == 0  # masked: left for the user to pick


def test_cli_into_existing_campaign(world, capsys):
    assert ECOLOGY.exists(), f"shared plan missing: {ECOLOGY}"
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(unit=world.unit_a, start_year=2020, end_year=2022)
    call_command("import_plan", str(ECOLOGY), "--unit", world.unit_a.code, "--campaign", str(campaign.pk))
    assert Campaign.objects.count() == 1
    assert campaign.tasks.count() == 13 and campaign.phases.count() == 6 and campaign.leadership.count() == 4


def test_docx_task_table_is_read_as_tasks():
    """GIVEN a Word file whose tasks are a 任务分解表 table THEN each row is a task with its units and deadline."""
    document = docx.Document()
    document.add_paragraph("2024年度某局文明单位创建方案")
    document.add_paragraph("一、指导思想")
    document.add_paragraph("以核心价值观为引领。")
    table = document.add_table(rows=1, cols=6)
    for cell, text in zip(
        table.rows[0].cells, ["序号", "创建内容", "具体任务", "牵头单位", "配合单位", "完成时限"], strict=True
    ):
        cell.text = text
    for row in [
        ["1", "思想教育", "开展专题学习", "办公室", "人事科、机关党委", "2024年6月30日"],
        ["2", "思想教育", "评选文明职工", "机关党委", "", "10月底"],
        ["3", "志愿服务", "组建志愿服务队", "某某集团（某某报社、某某电视台）", "各同创单位", "长期坚持"],
    ]:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    plan = parse_plan(read_plan_upload(SimpleUploadedFile("方案.docx", buf.getvalue())))
    got = [(t.number, t.title, t.lead_units, t.cooperating_units, t.due) for t in plan.tasks]
    import datetime

    # Each row keeps its own number as written in the table (issue 13), not a number made up from its position.
    assert got == [
        ("1", "开展专题学习", ["办公室"], ["人事科", "机关党委"], datetime.date(2024, 6, 30)),
        ("2", "评选文明职工", ["机关党委"], [], datetime.date(2024, 10, 31)),
        ("3", "组建志愿服务队", ["某某集团（某某报社、某某电视台）"], ["各同创单位"], None),
    ]
    assert [t.recurrence for t in plan.tasks][2] == "ongoing"
    assert [h.title for h in plan.headings] == ["思想教育", "志愿服务"]


def test_confirm_with_broken_payload_creates_nothing(client, world):
    client.force_login(world.users["a_office"])
    for payload in ("not json", '{"nodes": [{"title": "x"}]}', '{"nodes": "abc"}'):
        response = client.post(reverse("campaigns:plan_import_confirm"), {"unit": world.unit_a.pk, "payload": payload})
        assert response.status_code == 302 and response["Location"] == reverse("campaigns:plan_import")
    assert Campaign.objects.count() == 0


def _preview_post_data(ctx, unit) -> dict:
    data = {
        "unit": unit.pk,
        "preview": ctx["preview_token"],
        "title": ctx["title"],
        "start_year": str(ctx["start_year"]),
        "end_year": str(ctx["end_year"]),
        "level": "city",
    }
    for row in ctx["rows"]:
        i = row["node"]["index"]
        data[f"n{i}-title"] = row["node"]["title"]
        data[f"n{i}-lead"] = [v for v, _, sel in row["lead_options"] if sel]
        data[f"n{i}-coop"] = [v for v, _, sel in row["coop_options"] if sel]
    for j, m in enumerate(ctx["payload"]["leadership"]):
        data[f"l{j}-name"], data[f"l{j}-role"], data[f"l{j}-duty"] = m["name"], m["role"], m["duty"]
    return data


def test_one_choice_per_name_applies_to_every_task(client, world):
    """GIVEN the 2022 plan, whose 25 tasks name masked leads ("****") WHEN the office maps "****" once to its
    department and drops "局属各支部" THEN every task that named them follows; a task changed by hand keeps its own."""
    assert YEARLY.exists(), f"shared plan missing: {YEARLY}"
    client.force_login(world.users["a_office"])
    text = YEARLY.read_text(encoding="utf-8")
    ctx = client.post(
        reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": text}
    ).context
    names = [r["name"] for r in ctx["name_rows"]]
    assert names == ["****", "各同创单位", "机关各科室", "局属各支部", "服务中心"]
    assert [r["count"] for r in ctx["name_rows"]][:1] == [25]
    data = _preview_post_data(ctx, world.unit_a)
    data["u0"] = f"org:{world.dept_a.pk}"
    data["u3"] = "none"
    first = next(r["node"]["index"] for r in ctx["rows"] if r["node"]["number"] == "三、（十一）")
    data[f"n{first}-lead"] = [f"org:{world.affiliate_a.pk}"]  # changed by hand
    client.post(reverse("campaigns:plan_import_confirm"), data)
    campaign = Campaign.objects.get()
    leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
    assert leaves.count() == 25
    led = {t.number: [o.pk for o in t.lead_units.all()] for t in leaves}
    assert led["三、（一）"] == [world.dept_a.pk] and led["三、（二）"] == [world.dept_a.pk]
    assert led["三、（十一）"] == [world.affiliate_a.pk]
    second = leaves.get(number="三、（二）")
    assert second.cooperating_units.count() == 0  # 局属各支部 dropped
    assert not Organization.objects.filter(name="局属各支部").exists()
    assert Organization.objects.filter(name="服务中心", parent=world.unit_a).exists()  # new on confirm


def test_preview_leadership_can_be_corrected(client, world):
    assert ECOLOGY.exists(), f"shared plan missing: {ECOLOGY}"
    client.force_login(world.users["a_office"])
    text = ECOLOGY.read_text(encoding="utf-8")
    ctx = client.post(
        reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": text}
    ).context
    data = _preview_post_data(ctx, world.unit_a)
    data["l0-name"] = "局长钱锋"
    data["l2-skip"] = "on"  # 成员: 各处室负责人…
    client.post(reverse("campaigns:plan_import_confirm"), data)
    members = list(LeadershipMember.objects.order_by("order").values_list("role", "name"))
    assert members == [
        ("leader", "局长钱锋"),
        ("deputy", "局机关党委书记、副局长张丹宁"),
        ("office_director", "机关党委专职副书记潘玲"),
    ]


def test_cli_refuses_bad_file_in_chinese(world, tmp_path):
    from django.core.management.base import CommandError

    fake = tmp_path / "方案.docx"
    fake.write_bytes(_png_bytes())
    with pytest.raises(CommandError, match="不是有效的 Word"):
        call_command("import_plan", str(fake), "--unit", world.unit_a.code)
    with pytest.raises(CommandError, match="找不到单位代码"):
        call_command("import_plan", str(fake), "--unit", "no-such-unit")
    assert Campaign.objects.count() == 0
