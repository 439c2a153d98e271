"""The 后台任务 pages: the polled progress bar, download, cancel, retry, the paginated list."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import Job, JobStatus
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _client(world, actor: str) -> Client:
    c = Client()
    c.force_login(world.user(actor))
    return c


def _job(world, **fields) -> Job:
    return JobFactory(started_by=world.user("a_office"), organization=world.unit_a, **fields)


def test_running_job_page_polls_every_two_seconds_and_a_finished_one_stops(world):
    job = _job(world, status=JobStatus.RUNNING, progress=42, step="正在打包第 42/100 份档案", attempt=1)
    c = _client(world, "a_office")
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    status_url = reverse("jobs:status", args=[job.pk])
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    assert 'data-wm-width="42"' in page and "42%" in page and "正在打包第 42/100 份档案" in page
    assert "取消任务" not in page  # only a queued job can be cancelled

    content = b"PK\x05\x06" + b"\x00" * 18
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100)
    job.refresh_from_db()
    job.result.save("x.zip", ContentFile(content))
    Job.objects.filter(pk=job.pk).update(result_name="甲单位-2026年度台账档案.zip", result_size=len(content))
    fragment = c.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "已完成" in fragment
    assert reverse("jobs:download", args=[job.pk]) in fragment

    r = c.get(reverse("jobs:download", args=[job.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert "filename*=utf-8''" in r["Content-Disposition"]
    assert hashlib.sha256(b"".join(r.streaming_content)).digest() == hashlib.sha256(content).digest()


def test_failed_job_shows_its_error_and_retry(world, django_capture_on_commit_callbacks):
    job = _job(world, status=JobStatus.FAILED, error="后台进程中断，请重试", attempt=3, max_attempts=3)
    c = _client(world, "a_admin")  # the unit's 管理员 may act on the 创建办's job
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "后台进程中断，请重试" in page and "重试" in page and 'hx-trigger="every 2s"' not in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = c.post(reverse("jobs:retry", args=[job.pk]), follow=True)
    assert "任务已重新排队" in r.content.decode() and len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.max_attempts == 6 and not job.error


def test_cancel_while_queued_and_a_clear_message_after(world):
    job = _job(world)
    c = _client(world, "a_office")
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-confirm="确定取消这个任务？"' in page
    r = c.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert "任务已取消" in r.content.decode()
    r = c.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert r.status_code == 200 and "只能取消排队中的任务" in r.content.decode()
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    assert c.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405
    assert c.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_list_shows_my_jobs_paginated_in_a_constant_number_of_queries(world):
    c = _client(world, "a_office")
    JobFactory(started_by=world.user("a_admin"), organization=world.unit_a, title="别人的任务")
    for i in range(5):
        _job(world, title=f"我的任务{i}")
    c.get(reverse("jobs:list"))
    with CaptureQueriesContext(connection) as few:
        page = c.get(reverse("jobs:list")).content.decode()
    assert "我的任务4" in page and "别人的任务" not in page
    for i in range(5, 25):
        _job(world, title=f"我的任务{i}", status=JobStatus.DONE if i % 2 else JobStatus.FAILED)
    with CaptureQueriesContext(connection) as many:
        page = c.get(reverse("jobs:list")).content.decode()
    assert len(many) == len(few)
    assert page.count('data-testid="job-row-') == 20 and "共 25 条" in page
    page2 = c.get(reverse("jobs:list"), {"page": 2}).content.decode()
    assert page2.count('data-testid="job-row-') == 5
    assert c.get(reverse("jobs:list"), {"page": "x"}).status_code == 200


def test_navbar_links_to_the_job_list(world):
    page = _client(world, "a_liaison").get(reverse("dashboards:home")).content.decode()
    assert f'href="{reverse("jobs:list")}"' in page and "后台任务" in page
