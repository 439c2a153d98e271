"""Every domain model's changes are recorded: who, when, what, imports and bulk actions included."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import services as evaluation_services
from evaluation.models import Criterion, EvaluationSystem, Item
from evaluation.workbook import parse_workbook
from organizations.history import REGISTRY, acting_as, is_historical, object_history
from tests.evaluation.workbooks import make_workbook
from tests.factories import EventFactory, ServiceActivityFactory, VolunteerFactory
from volunteers import services as volunteer_services
from volunteers.models import RecordStatus, ServiceRecord
from volunteers.services import HoursEntry

# Models deliberately not tracked, and why. Any other model of a project app must have `history = TrackedHistory(...)`.
UNTRACKED = {
    "organizations.User": "账号：口令散列不复制进历史表；姓名、手机号、口令重置、角色变化记在操作记录（AuditEntry）",
    "organizations.AuditEntry": "操作记录本身，只追加不修改",
    "organizations.AccessRefusal": "拒绝访问记录本身，只追加",
    "campaigns.Urge": "催办记录本身，只追加",
    "ledger.EventLog": "档案记录本身，只追加",
    "ledger.ArchiveCounter": "档号计数器，由数据库原子递增，不是人填写的内容",
    "ledger.PhotoCheck": "图片检查结果，由机器计算，可随时重算",
    "ledger.PhotoDuplicate": "疑似重复图片对，由机器计算，可随时重算",
    "ledger.ArchiveBuild": "归档 PDF 的生成记录（后台任务结果）",
    "evaluation.ColumnMapping": "导入时记住的列对应，机器保存的偏好",
    "dashboards.UnitSnapshot": "每日快照，由定时任务计算",
    "jobs.Job": "后台任务行，进度与心跳每秒变化",
    "notifications.RobotConfig": "送达通道配置，不属于创建内容",
    "notifications.Outbox": "发件记录本身",
    "notifications.Notice": "站内消息本身",
    "notifications.CalendarDay": "工作日历数据，由法定节假日数据生成",
    "notifications.NotificationPreference": "个人偏好",
    "backups.FileCheck": "文件检查结果，由每周定时任务计算",
    "trash.Deletion": "回收站记录本身：一次删除所移除的记录的整份副本（被删对象各自的删除已记入它们的历史）",
}


def _project_models():
    for label in settings.LOCAL_APPS:
        for model in apps.get_app_config(label.split(".")[-1]).get_models():
            if not is_historical(model):
                yield model


def test_every_domain_model_is_tracked_or_excluded_with_a_reason():
    """GIVEN the project's models WHEN compared with the history registry THEN each is tracked or named above."""
    labels = {m._meta.label for m in _project_models()}
    tracked = set(REGISTRY)
    assert labels - tracked - set(UNTRACKED) == set(), "models without history (add TrackedHistory or a reason)"
    assert set(UNTRACKED) - labels == set(), "stale exclusions"
    assert tracked & set(UNTRACKED) == set()
    for label in ("ledger.Event", "campaigns.Task", "volunteers.Volunteer", "evaluation.Score"):
        assert label in tracked
    for t in REGISTRY.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(t.history_model._meta.verbose_name))


def _records(world, n: int) -> list[ServiceRecord]:
    activity = ServiceActivityFactory(organization=world.dept_a, date=datetime.date(2026, 5, 12))
    people = [VolunteerFactory(organization=world.dept_a) for _ in range(n)]
    return volunteer_services.records_add(
        activity=activity,
        entries=[HoursEntry(volunteer=p, hours=Decimal("2")) for p in people],
        created_by=world.user("a_liaison"),
    )


def test_bulk_confirmation_of_100_records_writes_100_history_rows_in_bulk(world):
    """GIVEN 100 pending records WHEN 创建办 confirms them in one go THEN each has a history row saying who
    confirmed it, old and new status, and the batch it belonged to; and the number of queries does not grow with
    the number of records (10 records cost what 100 cost)."""
    office = world.user("a_office")
    warm, small, big = _records(world, 1), _records(world, 10), _records(world, 100)
    volunteer_services.records_confirm(records=warm, by=office)  # the office's scope, read once per user
    # The liaison recorded them: one "+" row each, by the liaison (explicit actor, no request).
    created = ServiceRecord.history.filter(id__in=[r.pk for r in big], history_type="+")
    assert created.count() == 100
    assert set(created.values_list("history_user__username", flat=True)) == {"a_liaison"}

    with CaptureQueriesContext(connection) as q_small:
        volunteer_services.records_confirm(records=small, by=office)
    with CaptureQueriesContext(connection) as q_big:
        assert volunteer_services.records_confirm(records=big, by=office) == 100
    # SQLite splits a bulk UPDATE into batches of at most 999 parameters; PostgreSQL sends one.
    batches = 0 if connection.vendor == "postgresql" else 2
    assert len(q_big) <= len(q_small) + batches, "bulk confirmation must stay bulk (no query per record)"

    rows = ServiceRecord.history.filter(id__in=[r.pk for r in big], history_type="~")
    assert rows.count() == 100
    assert set(rows.values_list("history_user__username", flat=True)) == {"a_office"}
    assert set(rows.values_list("status", flat=True)) == {RecordStatus.CONFIRMED}
    assert set(rows.values_list("history_change_reason", flat=True)) == {"批量确认（共 100 条）"}
    # The field-level difference of one of them, as the 历史 tab shows it.
    entry = next(e for e in object_history(ServiceRecord, id=big[0].pk) if e.kind == "~")
    status = next(c for c in entry.changes if c.name == "status")
    assert (status.label, status.old, status.new) == ("状态", "待确认", "已确认")
    assert entry.user == office and entry.reason == "批量确认（共 100 条）"


def test_a_returned_batch_is_recorded_too(world):
    records = _records(world, 3)
    volunteer_services.records_return(records=records, by=world.user("a_office"), reason="签到表缺少签名")
    rows = ServiceRecord.history.filter(history_type="~", id__in=[r.pk for r in records])
    assert sorted(rows.values_list("return_reason", flat=True)) == ["签到表缺少签名"] * 3


def test_an_evaluation_system_import_records_every_row_it_creates(world):
    """GIVEN a 测评体系 workbook WHEN it is imported (bulk inserts) THEN each item and criterion has a "+" row by
    the importer."""
    parsed = parse_workbook(
        make_workbook(
            [
                ["1", "创建工作机制", 4, "1.1", "组织领导", 4, "1.1.1", "班子研究2次", 2, "", "材料审核", "2次纪要"],
                ["1", "创建工作机制", 4, "1.1", "组织领导", 4, "1.1.2", "制定方案", 2, "", "材料审核", "方案"],
            ],
            info={"名称": "历史测试体系"},
        )
    )
    importer = world.user("a_office")
    system = evaluation_services.system_import(parsed=parsed, user=importer)
    criteria = Criterion.objects.filter(system=system)
    assert criteria.count() == 2
    rows = Criterion.history.filter(id__in=criteria.values("pk"))
    assert rows.count() == 2
    assert set(rows.values_list("history_user__username", "history_type")) == {("a_office", "+")}
    assert Item.history.filter(system_id=system.pk).count() == Item.objects.filter(system=system).count() == 1
    assert EvaluationSystem.history.get(id=system.pk).history_user == importer


def test_acting_as_names_the_author_and_none_is_the_system(world):
    event = EventFactory(organization=world.dept_a)
    with acting_as(world.user("a_admin")):
        event.title = "改过的名称"
        event.save()
    with acting_as(None):
        event.place = "会议室"
        event.save()
    entries = object_history(type(event), id=event.pk)
    assert [(e.kind, e.user_label) for e in entries] == [
        ("~", "系统"),
        ("~", world.user("a_admin").display_name),
        ("+", "系统"),
    ]
    title = next(c for c in entries[1].changes if c.name == "title")
    assert title.label == "活动名称" and title.new == "改过的名称"


def test_a_plan_import_outside_a_request_records_its_user(world):
    """GIVEN a parsed plan WHEN it is imported by a service call with `user` (as a command or job would) THEN the
    campaign, its phases and every task have a "+" row naming that user."""
    from campaigns.importer import plan_import_confirm
    from campaigns.models import Phase, Task
    from campaigns.plan_parser import parse_plan

    text = (
        "2026年度甲单位文明单位创建方案\n一、主要任务\n"
        "（一）开展专题学习。组织干部职工集中学习，6月底前完成。（责任单位：甲办公室牵头）\n"
        "二、实施步骤\n（一）动员部署阶段（2026.03-2026.04）\n"
    )
    payload = parse_plan(text).to_payload()
    campaign = plan_import_confirm(unit=world.unit_a, payload=payload, user=world.user("a_office"), plan_text=text)
    tasks = Task.objects.filter(campaign=campaign)
    assert tasks.exists()
    rows = Task.history.filter(id__in=tasks.values("pk"), history_type="+")
    assert rows.count() == tasks.count()
    assert set(rows.values_list("history_user__username", flat=True)) == {"a_office"}
    phases = Phase.history.filter(campaign_id=campaign.pk)
    assert set(phases.values_list("history_user__username", flat=True)) == {"a_office"}
