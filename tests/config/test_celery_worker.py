"""A real Celery worker on Redis runs a task and hands its result back."""

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from dashboards.tasks import health_check
from tests.conftest import SERVICE_NOTES
from tests.factories import OrganizationFactory


@pytest.mark.worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set (with CI=true the suite refuses to start)")
@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_redis_and_a_worker(celery_worker):
    OrganizationFactory(code="w1")
    OrganizationFactory(code="w2")
    result = health_check.delay()
    payload = result.get(timeout=30)
    assert payload == {"database": connection.vendor, "organizations": 2}
    assert app.conf.broker_url.startswith("redis://")
    SERVICE_NOTES.append(f"Celery worker on {app.conf.broker_url} with {connection.vendor} answered {payload}")


def test_celery_configuration_is_safe():
    conf = app.conf
    assert conf.task_serializer == "json" and list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] >= 3600
