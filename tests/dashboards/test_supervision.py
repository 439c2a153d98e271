"""督办: the office issues, the unit's 创建办 is told and answers, the office closes; an unanswered 督办 past its
deadline escalates to the unit's 组长 once per deadline."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import LeadershipRole, TaskStatus
from campaigns.reminders import load_context
from dashboards import supervision as sv
from dashboards.models import Supervision, SupervisionStatus
from notifications.models import Notice
from tests.factories import CampaignFactory, LeadershipMemberFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(world):
    today = timezone.localdate()
    campaign = CampaignFactory(unit=world.unit_a, start_year=today.year, end_year=today.year, status="active")
    task = TaskFactory(
        campaign=campaign, status=TaskStatus.DOING, due_date=today - datetime.timedelta(5), lead_units=[world.dept_a]
    )
    leader = UserFactory(username="zuzhang")
    LeadershipMemberFactory(campaign=campaign, user=leader, role=LeadershipRole.LEADER, name="局长")
    return {"campaign": campaign, "task": task, "leader": leader, "today": today}


def _issue(world, late, **kw):
    args = {
        "office": world.city,
        "unit": world.unit_a,
        "request_text": "逾期任务较多，请说明原因",
        "deadline": late["today"] + datetime.timedelta(3),
        "actor": world.user("city_office"),
        "tasks": [late["task"]],
    }
    args.update(kw)
    return sv.supervision_issue(**args)


def test_issue_tells_the_units_office_and_shows_on_both_sides(world, late, client):
    s = _issue(world, late)
    notice = Notice.objects.get(user=world.user("a_office"))
    assert "督办" in notice.title and notice.url == reverse("dashboards:supervision_detail", kwargs={"pk": s.pk})
    assert not Notice.objects.filter(user=world.user("a_liaison")).exists()
    client.force_login(world.user("a_office"))
    cockpit = client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})).content.decode()
    assert 'data-testid="cockpit-supervisions"' in cockpit
    client.force_login(world.user("city_office"))
    city = client.get(reverse("dashboards:city")).content.decode()
    assert f'<tr data-unit="{world.unit_a.pk}">' in city
    assert "督办" in city
    listing = client.get(reverse("dashboards:supervision_list")).content.decode()
    assert world.unit_a.name in listing
    client.force_login(world.user("b_office"))
    assert world.unit_a.name not in client.get(reverse("dashboards:supervision_list")).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"request_text": "  "}, "请填写督办要求"),
        ({"deadline": datetime.date(2000, 1, 1)}, "答复期限不能早于今天"),
        ({"tasks": [], "measure": ""}, "至少一项"),
        ({"measure": "logins"}, "没有这个指标"),
    ],
)
def test_issue_refuses_bad_input(world, late, change, message):
    with pytest.raises(sv.SupervisionError, match=message):
        _issue(world, late, **change)


def test_issue_refuses_another_units_task_and_a_leader(world, late):
    other = TaskFactory(campaign=CampaignFactory(unit=world.unit_b), due_date=datetime.date(2020, 1, 1))
    with pytest.raises(sv.SupervisionError, match="不是该单位当前的逾期任务"):
        _issue(world, late, tasks=[other])
    with pytest.raises(sv.SupervisionError, match="只有文明办的管理员和创建办"):
        _issue(world, late, actor=world.user("city_leader"))


def test_answer_then_close(world, late, client):
    s = _issue(world, late)
    client.force_login(world.user("a_office"))
    bad = client.post(
        reverse("dashboards:supervision_answer", kwargs={"pk": s.pk}),
        {"answer_text": "已处理", "answer_links": "javascript:alert(1)"},
    )
    assert bad.status_code == 400 and "链接须以" in bad.content.decode()
    ok = client.post(
        reverse("dashboards:supervision_answer", kwargs={"pk": s.pk}),
        {"answer_text": "已召开专题会议，任务本周完成", "answer_links": "/campaigns/\nhttps://example.cn/a"},
    )
    assert ok.status_code == 302
    s.refresh_from_db()
    assert s.status == SupervisionStatus.ANSWERED and s.links == ["/campaigns/", "https://example.cn/a"]
    assert Notice.objects.filter(user=world.user("city_office"), title__contains="已答复").exists()
    client.force_login(world.user("city_office"))
    closed = client.post(reverse("dashboards:supervision_close", kwargs={"pk": s.pk}), {"close_note": "同意办结"})
    assert closed.status_code == 302
    s.refresh_from_db()
    assert s.status == SupervisionStatus.CLOSED and s.closed_by == world.user("city_office")
    again = client.post(reverse("dashboards:supervision_close", kwargs={"pk": s.pk}))
    assert again.status_code == 400 and "已办结" in again.content.decode()


def test_overdue_escalates_to_the_units_leader_once(world, late):
    """GIVEN a 督办单 whose deadline passed unanswered WHEN the escalation rule runs twice THEN the 组长 and the unit's
    创建办 are told once; once it is answered, a held escalation is stale and the rule yields nothing."""
    s = _issue(world, late)
    Supervision.objects.filter(pk=s.pk).update(deadline=late["today"] - datetime.timedelta(2))
    due = list(sv.supervision_reminders(load_context(late["today"])))
    assert len(due) == 1
    assert {u.pk for u in due[0].recipients} == {late["leader"].pk, world.user("a_office").pk}
    assert due[0].rule == "supervision.overdue"
    assert sv.escalate_overdue(today=late["today"]) == 2
    assert sv.escalate_overdue(today=late["today"]) == 0  # the outbox never writes it twice
    assert Notice.objects.filter(user=late["leader"], title__contains="督办逾期").count() == 1
    s.refresh_from_db()
    assert sv.still_due("supervision.overdue", s, due[0].period) is True
    sv.supervision_answer(supervision=s, text="已答复", links="", actor=world.user("a_admin"))
    s.refresh_from_db()
    assert sv.still_due("supervision.overdue", s, due[0].period) is False
    assert list(sv.supervision_reminders(load_context(late["today"]))) == []


def test_escalation_rule_runs_in_constant_queries(world, late, django_assert_max_num_queries):
    for _ in range(3):
        s = _issue(world, late)
        Supervision.objects.filter(pk=s.pk).update(deadline=late["today"] - datetime.timedelta(1))
    ctx = load_context(late["today"])
    with django_assert_max_num_queries(3):
        assert len(list(sv.supervision_reminders(ctx))) == 3
