"""后台任务: the list is everyone's own; a job is seen by its starter and the 管理员/创建办 of its organisation."""

from __future__ import annotations

from django.core.files.base import ContentFile

from jobs.models import Job, JobStatus
from tests.factories import JobFactory

from . import Case, only, outcomes

# a_office started the job on unit A; a_admin administers unit A. The city office inspects units but does not
# run them, so unit A's jobs are not theirs (404, like every other object out of reach).
JOB_A = ("a_admin", "a_office")


def _job(w, key: str, **fields) -> Job:
    return w.once(
        f"job_{key}",
        lambda: JobFactory(started_by=w.user("a_office"), organization=w.unit_a, title=f"甲单位任务{key}", **fields),
    )


def done_job(w) -> Job:
    return _job(
        w,
        "done",
        status=JobStatus.DONE,
        progress=100,
        result=ContentFile(b"PK\x05\x06" + b"\x00" * 18, name="a.zip"),
        result_name="甲单位-2026年度台账档案.zip",
        result_size=22,
    )


def liaison_job(w) -> Job:
    return w.once(
        "job_liaison",
        lambda: JobFactory(started_by=w.user("a_liaison"), organization=w.unit_a, title="联络员的任务"),
    )


CASES = [
    Case("jobs:list", outcomes(200)),
    Case("jobs:detail", only(200, JOB_A), kwargs=lambda w: {"pk": done_job(w).pk}, label="started by a_office"),
    Case(
        "jobs:detail",
        only(200, (*JOB_A, "a_liaison")),
        kwargs=lambda w: {"pk": liaison_job(w).pk},
        label="started by a_liaison",
    ),
    Case("jobs:status", only(200, JOB_A), kwargs=lambda w: {"pk": done_job(w).pk}, htmx=True),
    Case("jobs:download", only(200, JOB_A), kwargs=lambda w: {"pk": done_job(w).pk}, label="finished job"),
    Case(
        "jobs:download",
        only(404, ()),
        kwargs=lambda w: {"pk": _job(w, "queued").pk},
        label="nothing to download yet",
    ),
    Case("jobs:cancel", only(302, JOB_A), method="post", kwargs=lambda w: {"pk": _job(w, "queued").pk}),
    Case(
        "jobs:retry",
        only(302, JOB_A),
        method="post",
        kwargs=lambda w: {"pk": _job(w, "failed", status=JobStatus.FAILED, error="后台进程中断，请重试").pk},
    ),
]
