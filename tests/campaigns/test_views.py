"""Campaign pages: the task tree in fixed queries, filters, 我的任务 and progress reports, Excel, next cycle."""

from __future__ import annotations

import datetime
import io

import pytest
import tablib
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, ProgressReport, Task, TaskStatus
from organizations.models import Organization
from tests.factories import CampaignFactory, LeadershipMemberFactory, PhaseFactory, TaskFactory


@pytest.fixture
def campaign(world) -> Campaign:
    return CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建", start_year=2026, end_year=2026)


def _bulk_tasks(campaign, world, n: int) -> None:
    """n tasks under 10 headings, each led by a department with a cooperating affiliate (bulk, for speed)."""
    headings = Task.objects.bulk_create(
        [Task(campaign=campaign, number=f"（{i}）", title=f"专题{i}", order=i * 1000) for i in range(10)]
    )
    tasks = Task.objects.bulk_create(
        [
            Task(
                campaign=campaign,
                parent=headings[i % 10],
                number=f"{i}",
                title=f"任务{i}",
                order=(i % 10) * 1000 + i // 10 + 1,
                due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 365),
                status=[TaskStatus.TODO, TaskStatus.DOING, TaskStatus.DONE][i % 3],
                progress=(i * 7) % 101,
            )
            for i in range(n - 10)
        ]
    )
    Task.lead_units.through.objects.bulk_create(
        [Task.lead_units.through(task_id=t.pk, organization_id=world.dept_a.pk) for t in tasks]
    )
    Task.cooperating_units.through.objects.bulk_create(
        [Task.cooperating_units.through(task_id=t.pk, organization_id=world.affiliate_a.pk) for t in tasks]
    )


@pytest.mark.parametrize("query", ["", "?status=late&sort=-due", "?lead={lead}&q=任务&due_within=30&page=3"])
def test_task_list_of_1000_tasks_in_fixed_queries(client, world, campaign, django_assert_max_num_queries, query):
    """GIVEN a campaign with 1,000 tasks WHEN its task list is opened (filtered or not) THEN ≤ 15 queries."""
    _bulk_tasks(campaign, world, 1000)
    client.force_login(world.users["a_leader"])
    url = reverse("campaigns:tasks", args=[campaign.pk]) + query.format(lead=world.dept_a.pk)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) <= 50


def test_task_list_tree_and_filters(client, world, campaign):
    heading = services.task_create(campaign=campaign, title="思想教育", number="（一）")
    today = timezone.localdate()
    late = services.task_create(
        campaign=campaign,
        title="专题学习",
        number="1",
        parent=heading,
        lead_units=[world.dept_a],
        due_date=today - datetime.timedelta(days=3),
    )
    soon = services.task_create(
        campaign=campaign,
        title="志愿服务",
        number="2",
        parent=heading,
        lead_units=[world.affiliate_a],
        cooperating_units=[world.dept_a],
        due_date=today + datetime.timedelta(days=5),
    )
    done = services.task_create(
        campaign=campaign,
        title="环境整治",
        number="3",
        parent=heading,
        status=TaskStatus.DONE,
        progress=100,
        due_date=today - datetime.timedelta(days=10),
    )
    client.force_login(world.users["a_office"])
    url = reverse("campaigns:tasks", args=[campaign.pk])

    def titles(params):
        return [r["task"].title for r in client.get(url, params).context["rows"]]

    rows = client.get(url).context["rows"]
    assert [(r["task"].title, r["depth"], r["heading"]) for r in rows] == [
        ("思想教育", 0, True),
        ("专题学习", 1, False),
        ("志愿服务", 1, False),
        ("环境整治", 1, False),
    ]
    assert titles({"status": "late"}) == ["专题学习"]
    assert titles({"due_within": 7}) == ["志愿服务"]
    assert titles({"lead": world.affiliate_a.pk}) == ["志愿服务"]
    assert titles({"coop": world.dept_a.pk}) == ["志愿服务"]
    assert titles({"status": "done"}) == ["环境整治"]
    assert titles({"q": "志愿"}) == ["志愿服务"]
    assert titles({"sort": "due"}) == ["环境整治", "专题学习", "志愿服务", "思想教育"]
    assert late.is_overdue and not soon.is_overdue and not done.is_overdue


def test_my_tasks_lists_only_the_departments_tasks(client, world, campaign):
    mine = TaskFactory(campaign=campaign, title="本部门牵头", lead_units=[world.dept_a])
    coop = TaskFactory(
        campaign=campaign, title="本部门配合", lead_units=[world.affiliate_a], cooperating_units=[world.dept_a]
    )
    TaskFactory(campaign=campaign, title="与本部门无关", lead_units=[world.affiliate_a])
    client.force_login(world.users["a_liaison"])
    response = client.get(reverse("campaigns:my_tasks"))
    assert [r["task"] for r in response.context["rows"]] == [mine, coop] or {
        r["task"] for r in response.context["rows"]
    } == {mine, coop}
    assert "与本部门无关" not in response.content.decode()


def test_liaison_reports_inline_with_htmx(client, world, campaign):
    task = TaskFactory(campaign=campaign, lead_units=[world.dept_a])
    client.force_login(world.users["a_liaison"])
    response = client.post(
        reverse("campaigns:task_report", args=[task.pk]),
        {f"t{task.pk}-percent": "50", f"t{task.pk}-text": "已完成一半"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "已填报，当前进度 50%" in response.content.decode()
    task.refresh_from_db()
    assert (task.progress, task.status) == (50, TaskStatus.DOING)
    report = ProgressReport.objects.get()
    assert (report.organization, report.author, report.percent) == (world.dept_a, world.users["a_liaison"], 50)


def test_report_form_keeps_input_and_shows_chinese_error(client, world, campaign):
    task = TaskFactory(campaign=campaign, lead_units=[world.dept_a])
    client.force_login(world.users["a_liaison"])
    response = client.post(
        reverse("campaigns:task_report", args=[task.pk]),
        {f"t{task.pk}-percent": "150", f"t{task.pk}-text": "写了一半的说明"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "进度不能大于 100。" in page and "写了一半的说明" in page
    assert ProgressReport.objects.count() == 0


def test_liaison_cannot_report_on_a_task_without_their_department(client, world, campaign):
    """GIVEN a task only the affiliate has a part in WHEN dept_a's liaison reports THEN 403 and nothing saved."""
    task = TaskFactory(campaign=campaign, lead_units=[world.affiliate_a])
    client.force_login(world.users["a_liaison"])
    response = client.post(
        reverse("campaigns:task_report", args=[task.pk]), {f"t{task.pk}-percent": "50", f"t{task.pk}-text": "x"}
    )
    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0
    assert "填报进展" not in client.get(reverse("campaigns:task_detail", args=[task.pk])).content.decode()
    # The service refuses too, whatever the caller.
    with pytest.raises(services.PermissionDenied):
        services.progress_report_create(task=task, author=world.users["a_liaison"], text="x", percent=50)


def test_overview_shows_phases_today_and_numbers(client, world, campaign):
    today = timezone.localdate()
    PhaseFactory(
        campaign=campaign,
        name="全面创建阶段",
        start=today - datetime.timedelta(days=10),
        end=today + datetime.timedelta(days=10),
    )
    LeadershipMemberFactory(campaign=campaign, name="局长王某")
    TaskFactory(campaign=campaign, status=TaskStatus.DONE, progress=100, lead_units=[world.dept_a])
    TaskFactory(campaign=campaign, due_date=today - datetime.timedelta(days=1), lead_units=[world.dept_a])
    client.force_login(world.users["city_leader"])
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    page = response.content.decode()
    assert response.context["stats"] == {"total": 2, "done": 1, "doing": 0, "todo": 1, "late": 1, "done_pct": 50}
    assert 'data-testid="today-marker"' in page and "全面创建阶段" in page and "局长王某" in page
    assert [(u["lead_units__name"], u["total"], u["done"], u["late"]) for u in response.context["by_unit"]] == [
        ("甲办公室", 2, 1, 1)
    ]


def test_office_creates_and_edits_campaign_and_task(client, world):
    client.force_login(world.users["a_office"])
    response = client.post(
        reverse("campaigns:create"),
        {
            "unit": world.unit_a.pk,
            "title": "甲单位创建",
            "level": "city",
            "start_year": 2026,
            "end_year": 2025,
            "status": "active",
        },
    )
    assert "结束年度不能早于起始年度。" in response.content.decode()
    assert 'value="甲单位创建"' in response.content.decode()  # what was typed is kept
    client.post(
        reverse("campaigns:create"),
        {
            "unit": world.unit_a.pk,
            "title": "甲单位创建",
            "level": "city",
            "start_year": 2026,
            "end_year": 2026,
            "status": "active",
        },
    )
    campaign = Campaign.objects.get()
    response = client.post(
        reverse("campaigns:task_create", args=[campaign.pk]),
        {
            "title": "开展学习",
            "lead_units": [world.dept_a.pk],
            "cooperating_units": [world.affiliate_a.pk],
            "recurrence": "monthly",
            "status": "todo",
            "progress": 0,
            "due_date": "2026-06-30",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert list(task.lead_units.all()) == [world.dept_a] and task.recurrence == "monthly"
    client.post(
        reverse("campaigns:task_edit", args=[task.pk]),
        {
            "title": "开展专题学习",
            "lead_units": [world.affiliate_a.pk],
            "recurrence": "once",
            "status": "doing",
            "progress": 30,
        },
    )
    task.refresh_from_db()
    assert task.title == "开展专题学习" and list(task.lead_units.all()) == [world.affiliate_a]


def test_excel_export_then_import_roundtrip(client, world, campaign):
    heading = services.task_create(campaign=campaign, title="思想教育")
    services.task_create(
        campaign=campaign,
        title="专题学习",
        number="1",
        parent=heading,
        lead_units=[world.dept_a],
        cooperating_units=[world.affiliate_a],
        due_date=datetime.date(2099, 6, 30),
        status=TaskStatus.DOING,
        progress=40,
        responsible_people=[world.users["a_liaison"]],
    )
    client.force_login(world.users["a_office"])
    response = client.get(reverse("campaigns:task_export", args=[campaign.pk]))
    data = b"".join(response.streaming_content) if response.streaming else response.content
    ds = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
    assert ds.headers == [
        "序号",
        "创建内容",
        "具体任务",
        "牵头单位",
        "配合单位",
        "责任人",
        "完成时限",
        "完成情况",
        "进度",
    ]
    person = world.users["a_liaison"].display_name
    assert list(ds[0]) == ["1", "思想教育", "专题学习", "甲办公室", "甲同创单位", person, "2099-06-30", "进行中", "40%"]

    other = CampaignFactory(unit=world.unit_a)
    url = reverse("campaigns:task_import", args=[other.pk])
    response = client.post(url, {"file": SimpleUploadedFile("t.xlsx", data)})
    assert response.status_code == 200 and not response.context["result"].has_errors
    assert other.tasks.count() == 0  # preview only
    assert default_storage.listdir("campaigns/pending")[1] == [f"{response.context['token']}.xlsx"]
    response = client.post(url, {"confirm": "1", "token": response.context["token"]})
    assert response.status_code == 302
    assert default_storage.listdir("campaigns/pending")[1] == []  # imported: the previewed file is not kept
    task = other.tasks.get(title="专题学习")
    assert task.parent.title == "思想教育" and task.progress == 40 and list(task.lead_units.all()) == [world.dept_a]


def test_excel_import_with_errors_creates_nothing(client, world, campaign):
    ds = tablib.Dataset(
        headers=["序号", "创建内容", "具体任务", "牵头单位", "配合单位", "完成时限", "完成情况", "进度"]
    )
    ds.append(["1", "", "好的一行", "甲办公室", "", "2026-06-30", "未开始", "0%"])
    ds.append(["2", "", "", "不存在的科室", "", "六月底", "差不多", "120%"])
    client.force_login(world.users["a_office"])
    url = reverse("campaigns:task_import", args=[campaign.pk])
    response = client.post(url, {"file": SimpleUploadedFile("t.xlsx", ds.export("xlsx"))})
    result = response.context["result"]
    assert result.has_errors and result.rows[0].errors == []
    # An unknown unit name is offered for creation as a department (as the plan import does), not a row error…
    assert result.unknown_units == ["不存在的科室"] and result.rows[1].new_units == ["不存在的科室"]
    assert result.rows[1].errors == [
        "“具体任务”不能为空",
        "完成时限“六月底”不是日期（例如 2026-06-30）",
        "完成情况“差不多”应为 未开始、进行中 或 已完成",
        "进度“120%”应为 0 到 100 之间的数字",
    ]
    assert "确认导入" not in response.content.decode()
    # A forged confirm with the same workbook is refused as a whole; with the creation unticked the name is an error.
    response = client.post(url, {"confirm": "1", "token": response.context["token"]})
    assert campaign.tasks.count() == 0
    assert response.context["result"].rows[1].errors == [
        "“具体任务”不能为空",
        "牵头单位“不存在的科室”不在本单位的组织结构中",
        "完成时限“六月底”不是日期（例如 2026-06-30）",
        "完成情况“差不多”应为 未开始、进行中 或 已完成",
        "进度“120%”应为 0 到 100 之间的数字",
    ]
    assert not Organization.objects.filter(name="不存在的科室").exists()
    response = client.post(url, {"file": SimpleUploadedFile("t.xlsx", b"not a workbook")})
    assert "不是有效的 Excel" in response.content.decode()


def test_excel_template_download(client, world):
    client.force_login(world.users["a_liaison"])
    response = client.get(reverse("campaigns:excel_template"))
    ds = tablib.Dataset().load(io.BytesIO(response.content), format="xlsx")
    assert ds.headers[:3] == ["序号", "创建内容", "具体任务"]


def test_next_cycle_copies_and_resets(client, world, campaign):
    phase = PhaseFactory(
        campaign=campaign, name="全面创建阶段", start=datetime.date(2026, 3, 1), end=datetime.date(2026, 10, 31)
    )
    LeadershipMemberFactory(campaign=campaign, name="局长王某")
    heading = services.task_create(campaign=campaign, title="思想教育")
    services.task_create(
        campaign=campaign,
        title="专题学习",
        parent=heading,
        phase=phase,
        lead_units=[world.dept_a],
        due_date=datetime.date(2026, 6, 30),
        status=TaskStatus.DONE,
        progress=100,
    )
    client.force_login(world.users["a_office"])
    response = client.post(reverse("campaigns:next_cycle", args=[campaign.pk]), {"years": "1"})
    new = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response.status_code == 302
    assert (new.title, new.start_year, new.status) == ("甲单位2027年度创建", 2027, "draft")
    new_phase = new.phases.get()
    assert (new_phase.start, new_phase.end) == (datetime.date(2027, 3, 1), datetime.date(2027, 10, 31))
    assert new.leadership.get().name == "局长王某"
    task = new.tasks.get(title="专题学习")
    assert (task.status, task.progress, task.due_date) == (TaskStatus.TODO, 0, datetime.date(2027, 6, 30))
    assert task.parent.title == "思想教育" and task.phase == new_phase and list(task.lead_units.all()) == [world.dept_a]


def test_office_edits_phases_and_leadership(client, world, campaign):
    PhaseFactory(campaign=campaign, name="准备阶段", start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    client.force_login(world.users["a_office"])
    url = reverse("campaigns:edit", args=[campaign.pk])
    page = client.get(url)
    phases, leaders = page.context["phases"], page.context["leaders"]
    phase = campaign.phases.get()
    data = {
        "title": campaign.title,
        "level": "city",
        "start_year": 2026,
        "end_year": 2026,
        "status": "active",
        "phases-TOTAL_FORMS": 2,
        "phases-INITIAL_FORMS": 1,
        "phases-MIN_NUM_FORMS": 0,
        "phases-MAX_NUM_FORMS": 1000,
        "phases-0-id": phase.pk,
        "phases-0-name": "准备阶段",
        "phases-0-start": "2026-03-01",
        "phases-0-end": "2026-02-01",
        "phases-0-order": 1,
        "phases-1-name": "",
        "phases-1-order": "0",
        "leaders-TOTAL_FORMS": 1,
        "leaders-INITIAL_FORMS": 0,
        "leaders-MIN_NUM_FORMS": 0,
        "leaders-MAX_NUM_FORMS": 1000,
        "leaders-0-role": "leader",
        "leaders-0-name": "局长王某",
        "leaders-0-order": 1,
    }
    assert phases.total_form_count() == 2 and leaders.total_form_count() == 1
    response = client.post(url, data)
    assert response.status_code == 200 and "结束日期不能早于开始日期。" in response.content.decode()
    assert campaign.leadership.count() == 0  # nothing saved while a part is invalid
    data["phases-0-end"] = "2026-04-30"
    response = client.post(url, data)
    assert response.status_code == 302
    phase.refresh_from_db()
    assert phase.end == datetime.date(2026, 4, 30)
    assert campaign.leadership.get().name == "局长王某"


def test_my_tasks_in_fixed_queries(client, world, campaign, django_assert_max_num_queries):
    _bulk_tasks(campaign, world, 1000)
    client.force_login(world.users["a_liaison"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("campaigns:my_tasks"))
    assert len(response.context["rows"]) == 50
