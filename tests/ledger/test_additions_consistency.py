"""新增 after the office last saw a dossier: the list's 有新增 and the dossier page's 新增 marks follow one rule
(ledger.selectors), so they never disagree — a tasks-only change counts, a new file or media report removed again
leaves nothing new, and a file put back from the 回收站 after the baseline is new (and removable) like an upload.

Each test reads the list the way the office does (the real list page, and the annotation it renders from) and the
dossier page, and asserts that both say the same."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from ledger import selectors, services
from ledger.models import Event, EventStatus, EvidenceFile, MediaReport, Slot
from tests.factories import CampaignFactory, EventFactory, TaskFactory
from trash import services as trash_services
from trash.models import Deletion

from . import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world) -> Client:
    c = Client()
    c.force_login(world.user("a_office"))
    return c


@pytest.fixture
def dossier(world) -> Event:
    """A draft of unit A's department holding two photos."""
    event = EventFactory(campaign=CampaignFactory(unit=world.unit_a), organization=world.dept_a, title="新增核对档案")
    _add(event, "照片一.jpg", seed=1)
    _add(event, "照片二.jpg", seed=2)
    return Event.objects.get(pk=event.pk)


def _add(event: Event, name: str, seed: int) -> EvidenceFile:
    (row,) = services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[services.Upload(name, samples.jpeg(seed=seed))],
        uploaded_by=None,
    )
    return row


def _edit(event: Event, actor, **changes) -> None:
    e = Event.objects.get(pk=event.pk)
    fields = dict(
        title=e.title,
        start_date=e.start_date,
        end_date=e.end_date,
        category=e.category,
        place=e.place,
        participant_count=e.participant_count,
        description=e.description,
        tasks=list(e.tasks.all()),
    )
    services.event_update(event=e, actor=actor, **{**fields, **changes})


def list_says_new(client: Client, user, event: Event) -> bool:
    """The list page's 有新增 on the dossier's row, checked against the annotation the list renders from."""
    page = client.get(reverse("ledger:index")).content.decode()
    href = reverse("ledger:detail", args=[event.pk])
    (row,) = [r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f'href="{href}"' in r]
    shown = 'data-testid="additions-badge"' in row
    annotated = selectors.event_list(user=user, filters=selectors.EventFilters()).get(pk=event.pk)
    assert annotated.additions_after_baseline == shown == Event.objects.get(pk=event.pk).has_additions
    return shown


def detail_marks(client: Client, event: Event) -> dict:
    """The dossier page's 新增: its summary line and each mark (a file's or report's 新增, a field's 已修改)."""
    page = client.get(reverse("ledger:detail", args=[event.pk])).content.decode()
    summary = re.search(r'data-testid="additions-summary">(.*?)</div>', page, re.S)
    items = re.findall(r'data-testid="evidence-item">(.*?)</div>\s*</div>', page, re.S)
    reports = re.findall(r'data-testid="media-report">(.*?)</div>', page, re.S)
    return {
        "summary": re.sub(r"\s+", " ", summary.group(1)) if summary else "",
        "badge": 'data-testid="additions-badge"' in page,
        "new_files": sorted(
            re.search(r">([^<>]+\.jpg)</a>", i).group(1) for i in items if 'data-testid="new-badge"' in i
        ),
        "new_reports": sum('data-testid="new-badge"' in r for r in reports),
        "changed_marks": page.count("已修改</span>"),
        "any_mark": 'data-testid="new-badge"' in page,
    }


def assert_agree(client: Client, user, event: Event) -> tuple[bool, dict]:
    """The list's 有新增 is shown exactly when the dossier page shows 新增 (its summary, and at least one mark)."""
    listed = list_says_new(client, user, event)
    marks = detail_marks(client, event)
    assert listed == bool(marks["summary"]) == marks["any_mark"] == marks["badge"], (listed, marks)
    return listed, marks


# ------------------------------------------------------------------------------
# (a) a change of the linked tasks only
# ------------------------------------------------------------------------------
def test_a_tasks_only_change_after_submission_is_new_on_the_list_and_the_page(world, office, dossier):
    """GIVEN a submitted dossier
    WHEN its liaison only links a task to it
    THEN the list says 有新增 and the page says 提交后新增 …修改了关联任务, with 已修改 on 关联任务."""
    task = TaskFactory(campaign=dossier.campaign, title="关联的任务")
    services.event_submit(event=dossier, actor=world.user("a_office"))
    assert assert_agree(office, world.user("a_office"), dossier)[0] is False

    _edit(dossier, world.user("a_liaison"), tasks=[task])

    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed is True
    assert "修改了关联任务" in marks["summary"] and marks["changed_marks"] == 1 and marks["new_files"] == []
    assert Event.objects.get(pk=dossier.pk).content_changed_at > Event.objects.get(pk=dossier.pk).submitted_at


def test_saving_the_form_unchanged_after_submission_is_nothing_new(world, office, dossier):
    services.event_submit(event=dossier, actor=world.user("a_office"))
    _edit(dossier, world.user("a_liaison"))
    assert assert_agree(office, world.user("a_office"), dossier)[0] is False


# ------------------------------------------------------------------------------
# (b) something new removed again
# ------------------------------------------------------------------------------
def test_a_new_file_deleted_again_leaves_nothing_new_on_either(world, office, dossier):
    """GIVEN a submitted dossier that got one more photo (有新增, 材料 1 份)
    WHEN the liaison deletes that photo again
    THEN neither the list nor the page shows anything new."""
    services.event_submit(event=dossier, actor=world.user("a_office"))
    late = _add(Event.objects.get(pk=dossier.pk), "补拍.jpg", seed=9)
    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed and marks["new_files"] == ["补拍.jpg"] and "材料 1 份" in marks["summary"]

    services.evidence_delete(evidence=late, actor=world.user("a_liaison"))

    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed is False and marks["summary"] == ""


def test_a_new_media_report_deleted_again_leaves_nothing_new_on_either(world, office, dossier):
    services.event_submit(event=dossier, actor=world.user("a_office"))
    report = services.media_report_add(
        event=dossier, actor=world.user("a_liaison"), outlet="晚报", date=datetime.date(2026, 5, 2), title="志愿者上街"
    )
    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed and marks["new_reports"] == 1 and "媒体报道 1 篇" in marks["summary"]

    services.media_report_delete(report=report, actor=world.user("a_liaison"))

    assert not MediaReport.objects.filter(event=dossier).exists()
    assert assert_agree(office, world.user("a_office"), dossier)[0] is False


def test_with_a_text_change_left_only_the_text_change_remains_new(world, office, dossier):
    """A text change has no row of its own to delete: removing the new photo leaves the 已修改 of the text."""
    services.event_submit(event=dossier, actor=world.user("a_office"))
    _edit(dossier, world.user("a_liaison"), place="人民广场")
    late = _add(Event.objects.get(pk=dossier.pk), "补拍.jpg", seed=9)
    services.evidence_delete(evidence=late, actor=world.user("a_liaison"))

    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed and marks["new_files"] == [] and "修改了地点" in marks["summary"]


# ------------------------------------------------------------------------------
# (c) a file put back from the 回收站
# ------------------------------------------------------------------------------
def test_a_file_restored_into_a_submitted_dossier_is_new_and_removable_again(world, office, dossier):
    """GIVEN a photo deleted from a draft, the draft then submitted
    WHEN the 回收站 puts the photo back
    THEN the list says 有新增, the page marks that photo 新增 (材料 1 份) and keeps its upload time; the liaison may
    delete it again like any new file, after which nothing is new."""
    photo = EvidenceFile.objects.filter(event=dossier).order_by("pk").first()
    uploaded_at = photo.uploaded_at
    services.evidence_delete(evidence=photo, actor=world.user("a_liaison"))
    services.event_submit(event=dossier, actor=world.user("a_office"))

    trash_services.deletion_restore(deletion=Deletion.objects.get(), actor=world.user("a_office"))

    restored = EvidenceFile.objects.get(pk=photo.pk)
    submitted = Event.objects.get(pk=dossier.pk)
    assert restored.uploaded_at == uploaded_at < submitted.submitted_at < restored.restored_at
    assert submitted.status == EventStatus.SUBMITTED
    listed, marks = assert_agree(office, world.user("a_office"), dossier)
    assert listed and marks["new_files"] == [photo.original_name] and "材料 1 份" in marks["summary"]
    page = office.get(reverse("ledger:detail", args=[dossier.pk])).content.decode()
    assert page.count(reverse("ledger:file_delete", args=[photo.pk])) == 1  # its 删除 is offered

    services.evidence_delete(evidence=restored, actor=world.user("a_liaison"))  # no refusal

    assert assert_agree(office, world.user("a_office"), dossier)[0] is False


def test_a_file_restored_before_submission_is_not_new(world, office, dossier):
    photo = EvidenceFile.objects.filter(event=dossier).order_by("pk").first()
    services.evidence_delete(evidence=photo, actor=world.user("a_liaison"))
    trash_services.deletion_restore(deletion=Deletion.objects.get(), actor=world.user("a_office"))
    services.event_submit(event=dossier, actor=world.user("a_office"))

    assert assert_agree(office, world.user("a_office"), dossier)[0] is False
    with pytest.raises(services.LedgerError, match="只能删除提交后新增的材料"):
        services.evidence_delete(evidence=EvidenceFile.objects.get(pk=photo.pk), actor=world.user("a_liaison"))


def test_after_a_return_the_list_annotation_and_the_page_follow_the_return(world, office, dossier):
    """退回 moves the baseline: what was new before it is seen; a file restored after it is 退回后新增."""
    services.event_submit(event=dossier, actor=world.user("a_office"))
    photo = _add(Event.objects.get(pk=dossier.pk), "补拍.jpg", seed=9)
    services.evidence_delete(evidence=photo, actor=world.user("a_liaison"))
    services.event_return(event=dossier, actor=world.user("a_office"), reason="缺总结")
    user = world.user("a_office")
    annotated = selectors.event_list(user=user, filters=selectors.EventFilters()).get(pk=dossier.pk)
    assert annotated.additions_after_baseline is False and not detail_marks(office, dossier)["summary"]

    trash_services.deletion_restore(deletion=Deletion.objects.get(), actor=user)

    annotated = selectors.event_list(user=user, filters=selectors.EventFilters()).get(pk=dossier.pk)
    marks = detail_marks(office, dossier)
    assert annotated.additions_after_baseline is True and "退回后新增" in marks["summary"]
    assert marks["new_files"] == ["补拍.jpg"]
