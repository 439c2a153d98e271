"""A 领导's 工作台 says where the campaign stands, with a link behind every number (not only who they are)."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import TaskStatus
from dashboards.measures import unit_cockpit
from evaluation.models import RectificationStatus
from tests.factories import (
    CampaignFactory,
    CampaignSystemFactory,
    CriterionFactory,
    EventFactory,
    RectificationItemFactory,
    ScoreFactory,
    SelfAssessmentFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def _campaign(world):
    today = timezone.localdate()
    campaign = CampaignFactory(unit=world.unit_a, start_year=today.year, end_year=today.year)
    TaskFactory(campaign=campaign, lead_units=[world.dept_a], status=TaskStatus.DONE, due_date=today)
    TaskFactory(campaign=campaign, lead_units=[world.dept_a], due_date=today - datetime.timedelta(days=5))
    TaskFactory(campaign=campaign, lead_units=[world.affiliate_a], due_date=today - datetime.timedelta(days=1))
    TaskFactory(campaign=campaign, lead_units=[world.dept_a], due_date=today + datetime.timedelta(days=30))
    for day in (1, 2, 3):
        EventFactory(campaign=campaign, organization=world.dept_a, start_date=datetime.date(today.year, 1, day))
    link = CampaignSystemFactory(campaign=campaign)
    round_ = SelfAssessmentFactory(campaign=campaign, system=link.system, date=datetime.date(today.year, 1, 5))
    ScoreFactory(
        assessment=round_,
        criterion=CriterionFactory(system=link.system, points=Decimal("4")),
        points=Decimal("3"),
        value=Decimal("3"),
    )
    RectificationItemFactory(campaign=campaign, deadline=today - datetime.timedelta(days=2))
    RectificationItemFactory(campaign=campaign, deadline=today + datetime.timedelta(days=9))
    RectificationItemFactory(campaign=campaign, status=RectificationStatus.DONE)
    return campaign, round_


def test_leader_workbench_shows_the_campaigns_numbers_with_links(world, django_assert_max_num_queries):
    campaign, round_ = _campaign(world)
    client = Client()
    client.force_login(world.user("a_leader"))
    with django_assert_max_num_queries(40):
        response = client.get(reverse("dashboards:home"))
    (progress,) = response.context["workbench"].progress
    # The numbers are the 驾驶舱's own (one definition of each measure).
    expected = unit_cockpit(world.unit_a)
    assert progress.campaign == campaign
    assert (progress.tasks_done, progress.tasks_total, progress.tasks_overdue) == (1, 4, 2)
    assert (progress.tasks_done, progress.tasks_total) == (expected.tasks_done, expected.tasks_total)
    assert (progress.dossiers, progress.rect_open, progress.rect_overdue) == (3, 2, 1)
    assert progress.latest_round.percent == Decimal("75.0")
    html = response.content.decode()
    tasks_url = reverse("campaigns:tasks", args=[campaign.pk])
    for testid, href, text in (
        ("progress-tasks", tasks_url, "1 / 4"),
        ("progress-overdue", f"{tasks_url}?status=late", "2 项"),
        ("progress-dossiers", f"{reverse('ledger:index')}?organization={world.unit_a.pk}&amp;year=", "3 份"),
        ("progress-self", reverse("evaluation:round_detail", args=[round_.pk]), "75%"),
        ("progress-rectifications", reverse("evaluation:rectification_list", args=[campaign.pk]), "2 项"),
    ):
        start = html.index(f'data-testid="{testid}"')
        anchor = html.rindex("<a ", 0, start)
        assert href in html[anchor:start], (testid, html[anchor:start])
        assert text in html[start : html.index("</a>", start)], testid
    assert reverse("dashboards:unit_cockpit", args=[world.unit_a.pk]) in html
    # Who is behind: the departments with late tasks, each a link to their late tasks.
    assert f"{tasks_url}?lead={world.dept_a.pk}&amp;status=late" in html
    # Every link works for the leader.
    for url in (
        tasks_url,
        f"{tasks_url}?status=late",
        reverse("evaluation:round_detail", args=[round_.pk]),
        reverse("evaluation:rectification_list", args=[campaign.pk]),
        reverse("dashboards:unit_cockpit", args=[world.unit_a.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_city_leader_gets_the_city_page_and_others_no_progress(world):
    _campaign(world)
    client = Client()
    client.force_login(world.user("city_leader"))
    response = client.get(reverse("dashboards:home"))
    assert response.context["workbench"].progress == ()
    assert 'data-testid="leader-city"' in response.content.decode()
    assert reverse("dashboards:city") in response.content.decode()
    for actor in ("a_office", "a_liaison"):
        client.force_login(world.user(actor))
        response = client.get(reverse("dashboards:home"))
        assert response.context["workbench"].progress == (), actor
        assert 'data-testid="leader-progress"' not in response.content.decode(), actor
    # The sibling unit's leader sees their own unit only, which has no campaign yet.
    client.force_login(world.user("b_leader"))
    response = client.get(reverse("dashboards:home"))
    (progress,) = response.context["workbench"].progress
    assert progress.unit == world.unit_b and progress.campaign is None
    assert "本单位还没有创建活动" in response.content.decode()
