"""Issue 14, item 3 on the campaigns side: the task list and its export name each task's 责任人, and the export
follows the filters on screen (the list's query string) instead of dumping every task."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import TaskStatus
from tests.factories import CampaignFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    return CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建", start_year=2026, end_year=2026)


@pytest.fixture
def tasks(world, campaign):
    """A heading over three tasks: two led by the department (one done, one overdue), one by the affiliate."""
    heading = TaskFactory(campaign=campaign, number="一、", title="思想道德建设", order=1)
    done = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="1.",
        title="开展道德讲堂",
        order=2,
        status=TaskStatus.DONE,
        progress=100,
        due_date=datetime.date(2026, 3, 31),
        lead_units=[world.dept_a],
    )
    late = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="2.",
        title="评选身边好人",
        order=3,
        status=TaskStatus.DOING,
        progress=30,
        due_date=datetime.date(2020, 6, 30),
        lead_units=[world.dept_a],
    )
    other = TaskFactory(
        campaign=campaign, parent=heading, number="3.", title="志愿服务进社区", order=4, lead_units=[world.affiliate_a]
    )
    done.responsible_people.set([world.user("a_liaison")])
    late.responsible_people.set([world.user("a_liaison"), world.user("a_office")])
    return {"heading": heading, "done": done, "late": late, "other": other}


def _rows(response) -> list[dict]:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    ds = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
    return [dict(zip(ds.headers, row, strict=True)) for row in ds]


def _names(*users) -> str:
    return "、".join(u.display_name for u in sorted(users, key=lambda u: u.pk))


def test_task_list_has_a_responsible_person_column(client, world, campaign, tasks):
    client.force_login(world.user("a_office"))
    page = client.get(reverse("campaigns:tasks", args=[campaign.pk])).content.decode()
    head = re.search(r"<thead>.*?</thead>", page, re.S).group(0)
    assert "<th>责任人</th>" in head
    cells = re.findall(r'<td[^>]*data-testid="task-people"[^>]*>(.*?)</td>', page)
    assert _names(world.user("a_liaison"), world.user("a_office")) in cells
    assert world.user("a_liaison").display_name in cells


def test_task_list_people_cost_no_query_per_task(client, world, campaign, tasks):
    client.force_login(world.user("a_office"))
    url = reverse("campaigns:tasks", args=[campaign.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        t = TaskFactory(campaign=campaign, parent=tasks["heading"], title=f"加测任务{i}", order=10 + i)
        t.responsible_people.set([UserFactory()])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_task_export_names_the_responsible_people(client, world, campaign, tasks):
    client.force_login(world.user("a_office"))
    rows = _rows(client.get(reverse("campaigns:task_export", args=[campaign.pk])))
    by_title = {r["具体任务"]: r for r in rows}
    assert set(by_title) == {"开展道德讲堂", "评选身边好人", "志愿服务进社区"}
    assert by_title["评选身边好人"]["责任人"] == _names(world.user("a_liaison"), world.user("a_office"))
    assert by_title["开展道德讲堂"]["责任人"] == world.user("a_liaison").display_name
    assert all("None" not in (r["责任人"] or "") for r in rows)


def test_task_export_follows_the_filters_on_screen(client, world, campaign, tasks):
    """GIVEN the task list filtered to overdue tasks of the department
    WHEN its export link (the list's query string) is followed
    THEN the file holds those tasks only, in the list's order."""
    client.force_login(world.user("a_office"))
    query = f"status=late&lead={world.dept_a.pk}"
    page = client.get(reverse("campaigns:tasks", args=[campaign.pk]) + "?" + query).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="task-export"', page).group(1).replace("&amp;", "&")
    assert link.startswith(reverse("campaigns:task_export", args=[campaign.pk]) + "?")
    rows = _rows(client.get(link))
    assert [r["具体任务"] for r in rows] == ["评选身边好人"]
    rows = _rows(client.get(reverse("campaigns:task_export", args=[campaign.pk]) + "?q=道德讲堂"))
    assert [r["具体任务"] for r in rows] == ["开展道德讲堂"]
    rows = _rows(client.get(reverse("campaigns:task_export", args=[campaign.pk]) + "?sort=-progress"))
    assert [r["具体任务"] for r in rows] == ["开展道德讲堂", "评选身边好人", "志愿服务进社区"]


def test_task_export_refuses_a_bad_filter_in_chinese(client, world, campaign, tasks):
    client.force_login(world.user("a_office"))
    r = client.get(reverse("campaigns:task_export", args=[campaign.pk]) + "?due_within=abc")
    assert r.status_code == 400
    assert "筛选条件有误" in r.content.decode()
