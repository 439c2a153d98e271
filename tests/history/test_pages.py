"""The 历史 tab of dossiers, tasks, volunteers, rounds and rectifications, and 操作记录 · 数据变更."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Task
from ledger.models import Event
from organizations.history import acting_as
from tests.factories import CampaignFactory, EventFactory, TaskFactory, VolunteerFactory


def _client(world, actor: str) -> Client:
    client = Client()
    client.force_login(world.user(actor))
    return client


def _text(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _round(world):
    from evaluation.models import Criterion
    from evaluation.services import assessment_create, system_import
    from evaluation.workbook import parse_workbook
    from tests.evaluation.workbooks import make_workbook

    parsed = parse_workbook(
        make_workbook(
            [["1", "创建工作机制", 4, "1.1", "组织领导", 4, "1.1.1", "班子研究2次", 4, "", "材料审核", "2次纪要"]],
            info={"名称": "历史页测试体系"},
        )
    )
    system = system_import(parsed=parsed)
    campaign = CampaignFactory(unit=world.unit_a)
    assessment = assessment_create(campaign=campaign, system=system, name="第一轮自查")
    return assessment, Criterion.objects.get(system=system)


def test_editing_a_dossier_title_and_a_score_shows_old_and_new_on_the_history_tab(world):
    """GIVEN unit A's dossier and round WHEN the admin renames the dossier and the office changes a score from 2 to
    3 through the pages THEN each 历史 tab shows the Chinese field name, the old and the new value and who did it."""
    campaign = CampaignFactory(unit=world.unit_a)
    event = EventFactory(
        campaign=campaign, organization=world.dept_a, title="五月学习会", start_date=datetime.date(2026, 5, 12)
    )
    admin = _client(world, "a_admin")
    response = admin.post(
        reverse("ledger:edit", args=[event.pk]),
        {
            "organization": world.dept_a.pk,
            "title": "五月专题学习会",
            "category": event.category,
            "start_date": "2026-05-12",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = admin.get(reverse("ledger:detail", args=[event.pk]))
    assert reverse("history:dossier", args=[event.pk]) in detail.content.decode()
    page = admin.get(reverse("history:dossier", args=[event.pk]))
    assert page.status_code == 200
    text = _text(page)
    assert "活动名称 ： 五月学习会 → 五月专题学习会" in text
    assert world.user("a_admin").display_name in text

    assessment, criterion = _round(world)
    office = _client(world, "a_office")
    for points in ("2", "3"):
        response = office.post(reverse("evaluation:score_save", args=[assessment.pk, criterion.pk]), {"points": points})
        assert response.status_code == 302
    detail = office.get(reverse("evaluation:round_detail", args=[assessment.pk]))
    assert reverse("history:round", args=[assessment.pk]) in detail.content.decode()
    text = _text(office.get(reverse("history:round", args=[assessment.pk])))
    assert "评分 ： 2 → 3" in text
    assert "得分 ： 2 → 3" in text
    assert world.user("a_office").display_name in text
    assert "1.1.1" in text  # the score is named by its criterion


def test_each_history_page_answers_for_its_object_and_404_for_another_unit(world):
    from evaluation.services import rectification_create

    assessment, _criterion = _round(world)
    rectification = rectification_create(campaign=assessment.campaign, problem="缺少会议纪要")
    task = TaskFactory(campaign=assessment.campaign, title="开展专题学习")
    volunteer = VolunteerFactory(organization=world.dept_a, name="张志愿")
    event = EventFactory(campaign=assessment.campaign, organization=world.dept_a)
    pages = [
        ("history:dossier", event.pk),
        ("history:task", task.pk),
        ("history:volunteer", volunteer.pk),
        ("history:round", assessment.pk),
        ("history:rectification", rectification.pk),
    ]
    a_leader, b_admin = _client(world, "a_leader"), _client(world, "b_admin")
    for name, pk in pages:
        url = reverse(name, args=[pk])
        response = a_leader.get(url)
        assert response.status_code == 200, name
        assert "新建" in _text(response), name
        assert b_admin.get(url).status_code == 404, name


def _edit(event: Event, n: int, user) -> None:
    with acting_as(user):
        for i in range(n):
            event.title = f"第{i}次修改"
            event.save()


def test_a_history_page_costs_the_same_queries_for_3_or_30_changes(world):
    campaign = CampaignFactory(unit=world.unit_a)
    few = EventFactory(campaign=campaign, organization=world.dept_a)
    many = EventFactory(campaign=campaign, organization=world.dept_a)
    _edit(few, 3, world.user("a_admin"))
    _edit(many, 30, world.user("a_office"))
    client = _client(world, "a_admin")
    client.get(reverse("history:dossier", args=[few.pk]))
    counts = []
    for event in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("history:dossier", args=[event.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_changes_feed_shows_what_the_scope_holds_in_constant_queries(world):
    """GIVEN changes in units A and B WHEN A's admin opens 操作记录 · 数据变更 THEN A's dossier changes are listed
    with their old and new values, B's are not, and a page of 3 changes costs what a page of 50 costs."""
    a_campaign, b_campaign = CampaignFactory(unit=world.unit_a), CampaignFactory(unit=world.unit_b)
    a_event = EventFactory(campaign=a_campaign, organization=world.dept_a, title="甲的档案")
    b_event = EventFactory(campaign=b_campaign, organization=world.dept_b, title="乙的档案")
    with acting_as(world.user("b_admin")):
        b_event.title = "乙改过的档案"
        b_event.save()
    _edit(a_event, 2, world.user("a_admin"))
    client = _client(world, "a_admin")
    audit = client.get(reverse("organizations:audit"))
    assert reverse("organizations:changes") in audit.content.decode()
    url = reverse("organizations:changes")
    text = _text(client.get(url))
    assert "活动名称 ： 第0次修改 → 第1次修改" in text
    assert "乙的档案" not in text and "乙改过的档案" not in text

    def revise_tasks(n: int) -> None:
        TaskFactory.create_batch(n, campaign=a_campaign)
        for task in Task.objects.filter(campaign=a_campaign).exclude(title__endswith="（修订）"):
            with acting_as(world.user("a_office")):
                task.title = f"{task.title}（修订）"
                task.save()

    # Query counts depend on the kinds of objects on the page (a few per kind), never on the number of rows.
    dossiers = {"model": "ledger.Event"}
    client.get(url, dossiers)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, dossiers).status_code == 200
    revise_tasks(10)
    _edit(a_event, 60, world.user("a_admin"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, dossiers)
    assert response.status_code == 200 and "第59次修改" in _text(response)
    assert len(many) == len(few), (len(few), len(many))
    assert "（修订）" in _text(client.get(url, {"page": 2}))  # older than the 60 dossier edits
    # The filter by kind of object.
    only_tasks = _text(client.get(url, {"model": "campaigns.Task"}))
    assert "（修订）" in only_tasks and "第1次修改" not in only_tasks
    assert client.get(url, {"model": "no.such", "organization": "x" * 40, "page": "-1"}).status_code == 200


@pytest.mark.parametrize("actor", ["b_admin", "b_liaison"])
def test_changes_feed_of_unit_b_does_not_show_unit_a(world, actor):
    a_event = EventFactory(campaign=CampaignFactory(unit=world.unit_a), organization=world.dept_a, title="甲档案一")
    _edit(a_event, 1, world.user("a_admin"))
    text = _text(_client(world, actor).get(reverse("organizations:changes")))
    assert "甲档案一" not in text and "第0次修改" not in text
