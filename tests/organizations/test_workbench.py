"""The 工作台 tells each person what waits for them."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import TaskStatus
from ledger.models import EventStatus
from tests.factories import CampaignFactory, EventFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(user):
    return _client(user).get(reverse("dashboards:home"))


def test_liaison_sees_their_open_and_overdue_tasks_and_returned_dossiers(world, django_assert_max_num_queries):
    today = timezone.localdate()
    campaign = CampaignFactory(unit=world.unit_a)
    TaskFactory(campaign=campaign, lead_units=[world.dept_a], due_date=today - datetime.timedelta(days=3))
    TaskFactory(campaign=campaign, cooperating_units=[world.dept_a], due_date=today + datetime.timedelta(days=2))
    TaskFactory(
        campaign=campaign,
        lead_units=[world.dept_a],
        status=TaskStatus.DONE,
        due_date=today - datetime.timedelta(days=9),
    )
    TaskFactory(campaign=campaign, lead_units=[world.affiliate_a], due_date=today - datetime.timedelta(days=3))
    EventFactory(campaign=campaign, organization=world.dept_a, status=EventStatus.RETURNED)
    EventFactory(campaign=campaign, organization=world.dept_a, status=EventStatus.DRAFT)
    EventFactory(campaign=campaign, organization=world.affiliate_a, status=EventStatus.RETURNED)

    client = _client(world.user("a_liaison"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("dashboards:home"))
    todo = response.context["workbench"].todo
    assert todo == {
        "tasks_open": 2,
        "tasks_overdue": 1,
        "tasks_due_soon": 1,
        "events_draft": 1,
        "events_returned": 1,
    }
    assert "新建档案" in response.content.decode()


def test_office_sees_dossiers_waiting_for_review(world):
    campaign = CampaignFactory(unit=world.unit_a)
    EventFactory(campaign=campaign, organization=world.dept_a, status=EventStatus.SUBMITTED)
    EventFactory(campaign=campaign, organization=world.unit_a, status=EventStatus.SUBMITTED)
    response = _page(world.user("a_office"))
    assert response.context["workbench"].todo["events_to_review"] == 2
    assert "待审核档案" in response.content.decode()
    # The sibling unit's office has nothing waiting.
    assert _page(world.user("b_office")).context["workbench"].todo["events_to_review"] == 0


def test_readers_get_no_todo_cards(world):
    response = _page(world.user("a_leader"))
    assert response.context["workbench"].todo == {}
    assert 'data-testid="todo"' not in response.content.decode()
