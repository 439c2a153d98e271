"""seed_demo for campaigns: made by the importer from our own demo plan; every state; idempotent."""

from __future__ import annotations

from django.utils import timezone

from campaigns import demo as campaigns_demo
from campaigns.models import Campaign, ProgressReport, Task, TaskStatus
from demo.context import DemoContext
from organizations import demo as organizations_demo


def _seed() -> tuple[DemoContext, dict]:
    ctx = DemoContext()
    organizations_demo.seed(ctx)
    return ctx, campaigns_demo.seed(ctx)


def test_demo_campaigns_are_imported_from_the_demo_plan(db):
    ctx, out = _seed()
    assert set(ctx.extra["campaigns"]) == {"scjgj", "sthjj"}
    year = timezone.localdate().year
    assert [(c["unit_code"], c["year"]) for c in out["campaigns"]] == [("scjgj", year), ("sthjj", year)]
    campaign = ctx.extra["campaigns"]["sthjj"]
    assert campaign.plan_text.startswith(f"{year}年度市生态环境局文明单位创建工作方案")
    assert campaign.phases.count() == 4 and campaign.leadership.filter(role="leader").exists()
    leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
    assert leaves.count() == 12
    assert {t.status for t in leaves} == {TaskStatus.TODO, TaskStatus.DOING, TaskStatus.DONE}
    assert any(t.is_overdue for t in leaves) or timezone.localdate().month < 4
    volunteer = leaves.get(number="三、（三）1")
    assert [o.code for o in volunteer.lead_units.all()] == ["sthjj-xcjyk"]  # liaison2's department
    assert volunteer.target_text == "在册志愿者人均服务时长不少于20小时"
    assert ProgressReport.objects.filter(task__campaign=campaign).exists()
    # The liaison of 办公室 has tasks in 我的任务.
    from campaigns.selectors import tasks_for_department

    assert tasks_for_department(ctx.users["sthjj_liaison"]).filter(campaign=campaign).exists()


def test_demo_is_idempotent_and_resets(db):
    _seed()
    counts = (Campaign.objects.count(), Task.objects.count(), ProgressReport.objects.count())
    ctx, _ = _seed()
    assert (Campaign.objects.count(), Task.objects.count(), ProgressReport.objects.count()) == counts
    campaigns_demo.reset(ctx)
    assert Campaign.objects.count() == 0
