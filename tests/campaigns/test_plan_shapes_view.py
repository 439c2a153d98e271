"""Plan import on the page for the shapes of issue 13: tasks without units flagged, a plan without a task list not
refused, a Word 任务分解表 with its own header words and numbers, numbering guards when line breaks are restored."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.importer import read_plan_upload
from campaigns.models import Campaign, LeadershipMember, Phase
from campaigns.plan_parser import parse_plan, restore_line_breaks

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"


@pytest.mark.django_db
def test_tasks_without_units_are_flagged_with_a_count(client, world):
    plan = (
        "2026年度某单位创建方案\n一、主要任务\n（一）开展专题学习（责任单位：甲办公室）。\n"
        "（二）开展文明餐桌行动。\n（三）组织道德讲堂。\n"
    )
    client.force_login(world.users["a_office"])
    response = client.post(reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": plan})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["no_unit_count"] == 2
    assert "有 2 条任务没有识别出责任单位" in html
    assert html.count('data-no-units="1"') == 2


@pytest.mark.django_db
def test_a_plan_with_phases_and_leaders_but_no_tasks_is_imported_and_points_to_the_excel_import(client, world):
    text = (SHAPES / "no-tasks.txt").read_text(encoding="utf-8")
    client.force_login(world.users["a_office"])
    response = client.post(reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert "方案中没有找到任务清单" in html and 'data-testid="no-task-list"' in html
    ctx = response.context
    data = {"unit": world.unit_a.pk, "preview": ctx["preview_token"], "title": ctx["title"], "level": "city"}
    data.update(start_year="2025", end_year="2025")
    response = client.post(reverse("campaigns:plan_import_confirm"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:task_import", args=[campaign.pk])
    assert Phase.objects.filter(campaign=campaign).count() == 3
    assert LeadershipMember.objects.filter(campaign=campaign).count() == 2
    assert campaign.tasks.count() == 0


def test_a_word_task_table_with_its_own_headers_keeps_its_numbers():
    """GIVEN a Word table 序号 | 工作任务 | 责任单位 | 协同单位 | 时间节点 with "1.1" numbers, two units on two lines in
    one cell and a row continuing a merged cell THEN each row is a task with its own number and all its units."""
    document = docx.Document()
    document.add_paragraph("某局2026年度文明单位创建实施方案")
    document.add_paragraph("一、主要任务")
    table = document.add_table(rows=5, cols=5)
    rows = [
        ["序号", "工作任务", "责任单位", "协同单位", "时间节点"],
        ["1.1", "开展理论学习", "办公室\n人事科", "工会", "6月30日"],
        ["1.2", "建设道德讲堂", "宣传科", "", "每季度末"],
        ["", "", "团支部", "", ""],
        ["2.1", "开展志愿服务", "机关党委", "各科室", "年底前"],
    ]
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            table.cell(r, c).text = text
    buf = io.BytesIO()
    document.save(buf)
    plan = parse_plan(read_plan_upload(SimpleUploadedFile("方案.docx", buf.getvalue())))
    got = [
        (t.number, t.title, t.lead_units, t.cooperating_units, t.due and t.due.isoformat(), t.recurrence)
        for t in plan.tasks
    ]
    assert got == [
        ("1.1", "开展理论学习", ["办公室", "人事科"], ["工会"], "2026-06-30", "once"),
        ("1.2", "建设道德讲堂", ["宣传科", "团支部"], [], None, "quarterly"),
        ("2.1", "开展志愿服务", ["机关党委"], ["各科室"], "2026-12-31", "once"),
    ]


def test_restored_line_breaks_respect_dates_decimals_counts_and_quoted_titles():
    line = (
        "一、工作任务 推进《2.高质量发展行动》宣传，到2025.3.5前完成第1次培训，覆盖率达1.5倍，落实“3.优化服务”要求，"
        "上午9:30开展升旗仪式，统一、规范开展活动，各部门要高度重视、精心组织、狠抓落实，把创建工作摆上重要议事日程，确保各项工作取得实效。1.组织学习。2.开展志愿服务。3.召开总结会，时间为2025.12.20。"
    )
    lines = restore_line_breaks(line).split("\n")
    assert lines == [
        "一、工作任务 推进《2.高质量发展行动》宣传，到2025.3.5前完成第1次培训，覆盖率达1.5倍，落实“3.优化服务”要求，"
        "上午9:30开展升旗仪式，统一、规范开展活动，各部门要高度重视、精心组织、狠抓落实，把创建工作摆上重要议事日程，确保各项工作取得实效。",
        "1.组织学习。",
        "2.开展志愿服务。",
        "3.召开总结会，时间为2025.12.20。",
    ]
