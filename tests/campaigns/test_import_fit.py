"""Issue 14, item 5: tasks land in the phases the parser found, the preview shows the source text beside searchable
unit pickers, the same plan twice updates the campaign it made, and a campaign's status follows its years."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.importer import PlanImportError, parse_checked, plan_import_update, plan_payload
from campaigns.models import Campaign, CampaignStatus, ProgressReport, Task
from evaluation.models import Criterion
from tests.factories import CampaignFactory, EventFactory

pytestmark = pytest.mark.django_db

PLANS = Path(settings.BASE_DIR).parent / "shared" / "domain" / "plans"
ECOLOGY = PLANS / "生态环境局-市级文明单位创建实施方案.txt"

# Our own text: a dated task in the first phase, an undated one in the main phase, one under a phase's own section.
OWN_PLAN = (
    "2026年度乙单位文明单位创建方案\n一、主要任务\n"
    "（一）召开动员大会。全体干部职工参加，3月底前完成。（责任单位：甲办公室）\n"
    "（二）开展文明交通志愿服务。每月组织一次上路执勤。（责任单位：甲同创单位）\n"
    "二、自检自查\n（一）对照测评体系逐项打分。（责任单位：甲办公室）\n"
    "三、实施步骤\n（一）动员部署阶段（2026.03-2026.04）\n（二）全面创建阶段（2026.05-2026.09）\n"
    "（三）自检自查阶段（2026.10-2026.11）\n"
)


def _preview(client, world, text: str, **extra):
    r = client.post(reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": text, **extra})
    assert r.status_code == 200, r.content.decode()[:500]
    return r


def _confirm_data(world, r, **extra) -> dict:
    ctx = r.context
    data = {
        "unit": world.unit_a.pk,
        "preview": ctx["preview_token"],
        "title": ctx["title"],
        "start_year": str(ctx["start_year"]),
        "end_year": str(ctx["end_year"]),
        "level": "city",
    }
    for row in ctx["rows"]:
        i = row["node"]["index"]
        data[f"n{i}-lead"] = [v for v, _, sel in row["lead_options"] if sel]
        data[f"n{i}-coop"] = [v for v, _, sel in row["coop_options"] if sel]
        chosen = [str(j) for j, _, sel in row["phase_options"] if sel]
        data[f"n{i}-phase"] = chosen[0] if chosen else ""
    data.update(extra)
    return data


def test_the_real_ecology_plans_tasks_land_in_its_main_phase(client, world):
    """GIVEN the ecology bureau's plan (13 undated tasks, six dated phases) WHEN imported THEN every task sits in
    全面创建阶段, the phase in which the plan's work is done (today: no phase at all)."""
    payload = plan_payload(parse_checked(ECOLOGY.read_text(encoding="utf-8")))
    names = [p["name"] for p in payload["phases"]]
    main = names.index("全面创建阶段")
    assert [n["phase"] for n in payload["nodes"]] == [main] * 13
    client.force_login(world.user("a_office"))
    r = _preview(client, world, ECOLOGY.read_text(encoding="utf-8"))
    assert 'data-testid="phase-0"' in r.content.decode()
    assert client.post(reverse("campaigns:plan_import_confirm"), _confirm_data(world, r)).status_code == 302
    campaign = Campaign.objects.get()
    tasks = campaign.tasks.select_related("phase")
    assert tasks.count() == 13 and {t.phase.name for t in tasks} == {"全面创建阶段"}


def test_phase_by_deadline_else_by_section_and_the_user_can_change_it(client, world):
    client.force_login(world.user("a_office"))
    r = _preview(client, world, OWN_PLAN)
    nodes = {n["number"]: n for n in r.context["payload"]["nodes"]}
    phases = [p["name"] for p in r.context["payload"]["phases"]]
    assert phases[nodes["一、（一）"]["phase"]] == "动员部署阶段"  # due 3月底, inside 2026.03-2026.04
    assert phases[nodes["一、（二）"]["phase"]] == "全面创建阶段"  # undated task of the task list
    assert phases[nodes["二、（一）"]["phase"]] == "自检自查阶段"  # its section names the phase
    data = _confirm_data(world, r)
    data[f"n{nodes['一、（二）']['index']}-phase"] = ""  # the user says: no phase
    client.post(reverse("campaigns:plan_import_confirm"), data)
    assert Task.objects.get(number="一、（一）").phase.name == "动员部署阶段"
    assert Task.objects.get(number="二、（一）").phase.name == "自检自查阶段"
    assert Task.objects.get(number="一、（二）").phase is None


def test_preview_shows_source_text_beside_searchable_unit_pickers_that_work_without_script(client, world):
    client.force_login(world.user("a_office"))
    r = _preview(client, world, OWN_PLAN)
    page = r.content.decode()
    node = r.context["payload"]["nodes"][0]
    source = page.split(f'data-testid="source-{node["index"]}">', 1)[1].split("</td>", 1)[0]
    assert "全体干部职工参加" in source
    lead = page.split(f'data-testid="lead-{node["index"]}"', 1)[1].split(">", 1)[0]
    assert "data-searchable-select" in lead
    # Without JavaScript it is a plain multi-select posting its values.
    head = page.split(f'name="n{node["index"]}-lead"', 1)[0].rsplit("<select", 1)[1]
    assert "multiple" in head
    assert "<script>" not in page and " onclick=" not in page


def test_the_same_plan_twice_warns_and_updates_keeping_dossiers_and_links(client, world):
    """GIVEN the ecology plan imported once, a dossier, a criterion tag and a progress report on its first task
    WHEN the same text is imported again THEN the preview warns, and 更新 changes that campaign in place."""
    text = ECOLOGY.read_text(encoding="utf-8")
    client.force_login(world.user("a_office"))
    first = _preview(client, world, text)
    assert 'data-testid="same-plan"' not in first.content.decode()
    client.post(reverse("campaigns:plan_import_confirm"), _confirm_data(world, first))
    campaign = Campaign.objects.get()
    task = campaign.tasks.get(number="三、1")
    task.lead_units.set([world.dept_a])
    event = EventFactory(campaign=campaign)
    event.tasks.add(task)
    from evaluation.services import system_import
    from evaluation.workbook import parse_workbook
    from tests.evaluation.workbooks import make_workbook

    system = system_import(
        parsed=parse_workbook(
            make_workbook([["1", "项目", 2, "1.1", "指标", 2, "1.1.1", "标准", 2]], info={"名称": "体"})
        )
    )
    criterion = Criterion.objects.get(system=system)
    criterion.tasks.add(task)
    ProgressReport.objects.create(
        task=task, organization=world.dept_a, author=world.user("a_office"), text="已学", percent=40
    )
    Task.objects.filter(pk=task.pk).update(progress=40, status="doing")

    again = _preview(client, world, text)
    page = again.content.decode()
    assert 'data-testid="same-plan"' in page and campaign.title in page
    assert 'name="mode" value="update"' in page
    data = _confirm_data(world, again, mode="update", target=str(campaign.pk))
    r = client.post(reverse("campaigns:plan_import_confirm"), data)
    assert r.status_code == 302 and r["Location"] == reverse("campaigns:tasks", args=[campaign.pk])
    assert Campaign.objects.count() == 1
    assert campaign.tasks.count() == 13 and campaign.phases.count() == 6 and campaign.leadership.count() == 4
    task.refresh_from_db()
    assert task.progress == 40 and task.status == "doing"
    assert list(task.lead_units.all()) == [world.dept_a]
    assert list(event.tasks.all()) == [task] and list(criterion.tasks.all()) == [task]
    assert task.progress_reports.count() == 1

    # Choosing 仍然新建 is still possible, and says what it does.
    third = _preview(client, world, text)
    client.post(reverse("campaigns:plan_import_confirm"), _confirm_data(world, third, mode="new"))
    assert Campaign.objects.count() == 2


def test_update_is_all_or_nothing(world):
    campaign = CampaignFactory(unit=world.unit_a)
    payload = plan_payload(parse_checked(OWN_PLAN))
    plan_import_update(campaign=campaign, payload=payload, plan_text=OWN_PLAN)
    for t in campaign.tasks.all():  # tasks without units take the plan's units on update
        t.lead_units.clear()
        t.cooperating_units.clear()
    before = list(campaign.tasks.order_by("pk").values_list("pk", "title", "due_date"))
    payload["nodes"][0]["title"] = "改过的标题"
    payload["nodes"][0]["due"] = "2026-04-15"
    node_units = {n["index"]: ([], []) for n in payload["nodes"]}
    node_units[payload["nodes"][-1]["index"]] = ([f"org:{world.dept_b.pk}"], [])  # another unit's department
    with pytest.raises(PlanImportError):
        plan_import_update(campaign=campaign, payload=payload, node_units=node_units, plan_text="新文字")
    assert list(campaign.tasks.order_by("pk").values_list("pk", "title", "due_date")) == before
    campaign.refresh_from_db()
    assert campaign.plan_text == OWN_PLAN


def test_a_campaigns_status_follows_its_years(client, world):
    """GIVEN a 2020–2022 campaign left 进行中 WHEN it is shown in a later year THEN it reads 已结束 (filters too)."""
    year = timezone.localdate().year
    old = CampaignFactory(
        unit=world.unit_a, title="往届创建", start_year=2020, end_year=2022, status=CampaignStatus.ACTIVE
    )
    now = CampaignFactory(
        unit=world.unit_a, title="本届创建", start_year=year, end_year=year, status=CampaignStatus.ACTIVE
    )
    later = CampaignFactory(
        unit=world.unit_a, title="下届创建", start_year=year + 1, end_year=year + 2, status=CampaignStatus.ACTIVE
    )
    draft = CampaignFactory(
        unit=world.unit_a, title="草拟创建", start_year=2020, end_year=2020, status=CampaignStatus.DRAFT
    )
    stopped = CampaignFactory(
        unit=world.unit_a, title="提前结束", start_year=year, end_year=year, status=CampaignStatus.CLOSED
    )
    assert year > 2022
    assert old.current_status_label == "已结束" and now.current_status_label == "进行中"
    assert later.current_status_label == "未开始" and draft.current_status_label == "草稿"
    assert stopped.current_status_label == "已结束"  # set by hand, it stands
    client.force_login(world.user("a_office"))
    page = client.get(reverse("campaigns:index")).content.decode()
    assert f'data-testid="campaign-status-{old.pk}">已结束<' in page
    assert f'data-testid="campaign-status-{now.pk}">进行中<' in page
    active = client.get(reverse("campaigns:index"), {"status": "active"}).content.decode()
    assert "本届创建" in active and "往届创建" not in active and "下届创建" not in active
    closed = client.get(reverse("campaigns:index"), {"status": "closed"}).content.decode()
    assert "往届创建" in closed and "提前结束" in closed and "本届创建" not in closed
    detail = client.get(reverse("campaigns:detail", args=[old.pk])).content.decode()
    assert 'data-testid="campaign-status">已结束<' in detail
