"""Dossier rules: archive numbers, review, completeness, timeliness, recorded deletions, thumbnails."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger import services
from ledger.models import ArchiveCounter, Event, EventLog, EventStatus, EvidenceFile, LogAction, Slot
from tests.factories import EventFactory, TaskFactory

from . import samples
from .conftest import files_under

pytestmark = pytest.mark.django_db


def _complete(event, upload, user=None, seed=0):
    services.evidence_add(
        event=event, slot=Slot.PLAN, uploads=[upload("方案.pdf", samples.pdf(f"p{seed}"))], uploaded_by=user
    )
    services.evidence_add(
        event=event, slot=Slot.SUMMARY, uploads=[upload("总结.docx", samples.docx())], uploaded_by=user
    )
    services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[upload("1.jpg", samples.jpeg(seed=seed * 2 + 1)), upload("2.jpg", samples.jpeg(seed=seed * 2 + 2))],
        uploaded_by=user,
    )


def test_event_create_links_tasks_of_the_campaign_only(world, campaign_a, campaign_b):
    task = TaskFactory(campaign=campaign_a)
    event = services.event_create(
        campaign=campaign_a,
        organization=world.dept_a,
        title="学雷锋志愿服务",
        start_date=datetime.date(2026, 3, 5),
        category="volunteer",
        created_by=world.user("a_liaison"),
        tasks=[task],
    )
    assert list(event.tasks.all()) == [task]
    assert event.status == EventStatus.DRAFT and event.archive_number is None
    with pytest.raises(ValidationError):
        services.event_create(
            campaign=campaign_a,
            organization=world.dept_a,
            title="x",
            start_date=datetime.date(2026, 3, 5),
            category="volunteer",
            created_by=None,
            tasks=[TaskFactory(campaign=campaign_b)],
        )


def test_submission_numbers_are_per_unit_and_year_and_kept_on_resubmission(world, campaign_a, campaign_b):
    """GIVEN dossiers of unit A in two years and one of unit B
    WHEN they are submitted
    THEN numbers run {year}-{unit code}-{0001} per unit and year, and a returned dossier keeps its number."""
    a1 = EventFactory(campaign=campaign_a, organization=world.dept_a, start_date=datetime.date(2026, 3, 1))
    a2 = EventFactory(campaign=campaign_a, organization=world.unit_a, start_date=datetime.date(2026, 4, 1))
    a_old = EventFactory(campaign=campaign_a, organization=world.unit_a, start_date=datetime.date(2025, 12, 1))
    b1 = EventFactory(campaign=campaign_b, organization=world.unit_b, start_date=datetime.date(2026, 3, 1))
    for e in (a1, a2, a_old, b1):
        services.event_submit(event=e, actor=None)
    numbers = dict(Event.objects.values_list("pk", "archive_number"))
    assert numbers[a1.pk] == "2026-t-a-0001"
    assert numbers[a2.pk] == "2026-t-a-0002"
    assert numbers[a_old.pk] == "2025-t-a-0001"
    assert numbers[b1.pk] == "2026-t-b-0001"
    services.event_return(event=a1, actor=world.user("a_office"), reason="照片看不出活动地点")
    a1.refresh_from_db()
    assert a1.status == EventStatus.RETURNED and a1.return_reason == "照片看不出活动地点"
    services.event_submit(event=a1, actor=None)
    a1.refresh_from_db()
    assert a1.archive_number == "2026-t-a-0001" and a1.status == EventStatus.SUBMITTED and a1.return_reason == ""
    assert ArchiveCounter.objects.get(unit=world.unit_a, year=2026).last == 2


def test_return_needs_a_reason_and_a_submitted_dossier(world, event_a):
    with pytest.raises(services.LedgerError):
        services.event_return(event=event_a, actor=None, reason="不全")
    services.event_submit(event=event_a, actor=None)
    with pytest.raises(ValidationError):
        services.event_return(event=event_a, actor=None, reason="  ")
    services.event_archive(event=event_a, actor=None)
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.ARCHIVED and event_a.archived_at is not None
    with pytest.raises(services.LedgerError):
        services.evidence_add(
            event=event_a, slot=Slot.OTHER, uploads=[services.Upload("a.txt", b"a")], uploaded_by=None
        )


def test_with_review_switched_off_submitted_means_archived(world, event_a):
    services.ledger_settings_update(campaign=event_a.campaign, review_enabled=False)
    services.event_submit(event=event_a, actor=None)
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.ARCHIVED
    assert event_a.archive_number == "2026-t-a-0001"


def test_completeness_default_and_configured_per_campaign(world, event_a, upload):
    assert services.event_completeness(event_a).missing == ("方案通知", "总结简报", "活动图片（还差 2 份）")
    _complete(event_a, upload)
    event_a.refresh_from_db()
    assert event_a.is_complete
    assert services.event_completeness(event_a).missing == ()
    # The campaign now also wants a sign-in sheet for meetings: the dossier becomes incomplete again.
    services.ledger_settings_update(
        campaign=event_a.campaign,
        review_enabled=True,
        required_slots={"meeting": {"plan": 1, "summary": 1, "photo": 2, "signin": 1}},
    )
    event_a.refresh_from_db()
    assert not event_a.is_complete
    assert services.event_completeness(event_a).missing == ("签到表",)


def test_late_evidence_marks_the_dossier_as_late_entry(world, campaign_a, upload):
    """GIVEN an activity 45 days ago and one 10 days ago
    WHEN both get their evidence today
    THEN only the older is 补录."""
    today = timezone.localdate()
    late = EventFactory(campaign=campaign_a, organization=world.dept_a, start_date=today - datetime.timedelta(days=45))
    timely = EventFactory(
        campaign=campaign_a, organization=world.dept_a, start_date=today - datetime.timedelta(days=10)
    )
    _complete(late, upload, seed=1)
    _complete(timely, upload, seed=2)
    late.refresh_from_db()
    timely.refresh_from_db()
    assert late.is_late_entry and services.late_days(late, late.completed_at) == 45
    assert not timely.is_late_entry and services.late_days(timely, timely.completed_at) == 10


def test_deleting_evidence_is_recorded_and_removes_the_file(
    world, event_a, upload, _media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = services.evidence_add(
            event=event_a, slot=Slot.PHOTO, uploads=[upload("合影.jpg", samples.jpeg())], uploaded_by=None
        )
    row.refresh_from_db()
    assert row.thumbnail, "the thumbnail task ran after commit"
    assert len(files_under(_media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(evidence=row, actor=world.user("a_liaison"))
    assert EvidenceFile.objects.count() == 0
    # 回收站 (issue 16): the stored files stay until the 回收站 is emptied or its retention ends, then they go.
    assert len(files_under(_media_root)) == 2
    from trash.services import trash_empty

    with django_capture_on_commit_callbacks(execute=True):
        trash_empty(unit=world.unit_a, actor=world.user("a_admin"))
    assert files_under(_media_root) == []
    entry = EventLog.objects.get(action=LogAction.DELETE_FILE)
    assert entry.note == "合影.jpg" and entry.actor == world.user("a_liaison") and entry.data["sha256"] == row.sha256


def test_numbered_dossiers_cannot_be_deleted_drafts_can(world, event_a, campaign_a):
    services.event_submit(event=event_a, actor=None)
    with pytest.raises(services.LedgerError):
        services.event_delete(event=event_a, actor=None)
    draft = EventFactory(campaign=campaign_a, organization=world.dept_a)
    services.event_delete(event=draft, actor=world.user("a_liaison"))
    assert not Event.objects.filter(pk=draft.pk).exists()
    assert EventLog.objects.filter(action=LogAction.DELETE, data__event_id=draft.pk).exists()


def test_media_report_counts_for_the_media_slot(world, event_a):
    services.ledger_settings_update(
        campaign=event_a.campaign, review_enabled=True, required_slots={"meeting": {"media": 1}}
    )
    event_a.refresh_from_db()
    assert not event_a.is_complete
    services.media_report_add(
        event=event_a, actor=None, outlet="某市日报", date=datetime.date(2026, 5, 13), title="报道", url=""
    )
    event_a.refresh_from_db()
    assert event_a.is_complete


def test_categories_are_configurable(settings, world, campaign_a):
    settings.LEDGER_CATEGORIES = [("meeting", "会议"), ("lecture", "道德讲堂"), ("other", "其他")]
    event = services.event_create(
        campaign=campaign_a,
        organization=world.unit_a,
        title="道德讲堂第一讲",
        start_date=datetime.date(2026, 6, 1),
        category="lecture",
        created_by=None,
    )
    assert event.get_category_display() == "道德讲堂"
    with pytest.raises(ValidationError):
        services.event_create(
            campaign=campaign_a,
            organization=world.unit_a,
            title="x",
            start_date=datetime.date(2026, 6, 1),
            category="volunteer",
            created_by=None,
        )


def test_media_report_with_a_screenshot_in_the_media_slot_counts_once(world, event_a, upload):
    (shot,) = services.evidence_add(
        event=event_a, slot=Slot.MEDIA, uploads=[upload("报道截图.png", samples.image("PNG"))], uploaded_by=None
    )
    services.media_report_add(
        event=event_a,
        actor=None,
        outlet="某市日报",
        date=datetime.date(2026, 5, 13),
        title="报道",
        screenshot=shot,
    )
    assert services.slot_counts(event_a)[Slot.MEDIA] == 1
