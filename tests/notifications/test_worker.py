"""催办 through a real Celery worker on Redis: the delivery run is enqueued on commit and the worker sends."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import transaction

from notifications import services, workdays
from notifications.models import Outbox, OutboxStatus, RobotVendor
from tests.factories import OrganizationFactory, RobotConfigFactory, UserFactory


@pytest.mark.worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set")
@pytest.mark.django_db(transaction=True)
def test_urgent_notice_is_delivered_by_the_worker_after_commit_and_never_on_rollback(
    celery_worker, robot_server, settings
):
    # The real clock may be after hours in Shanghai; make today a working day with working hours all day.
    settings.NOTIFY_WORK_START, settings.NOTIFY_WORK_END = "00:00", "23:59"
    services.calendar_day_set(day=workdays.local_today(), is_workday=True, name="测试")
    org = OrganizationFactory()
    robot = RobotConfigFactory(
        organization=org, vendor=RobotVendor.WECOM, webhook_url=f"{robot_server.base}/wecom?key=w", enabled=True
    )

    def urge(title: str) -> None:
        services.notify(
            rule="notifytest.urge",
            obj=org,
            recipients=[UserFactory()],
            title=title,
            body="请今天下班前填报进展",
            period=title,
            robot_organizations=[org],
            urgent=True,
        )

    with pytest.raises(RuntimeError), transaction.atomic():
        urge("回滚的催办")
        raise RuntimeError("the 催办 itself failed")
    with transaction.atomic():
        urge("催办：文明交通志愿服务")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not robot_server.requests:
        time.sleep(0.2)
    time.sleep(0.5)
    titles = [p["markdown"]["content"].split("\n", 1)[0] for p in robot_server.payloads()]
    assert titles == ["### 催办：文明交通志愿服务"]
    assert Outbox.objects.get(robot=robot).status == OutboxStatus.SENT
    assert not Outbox.objects.filter(title="回滚的催办").exists()
