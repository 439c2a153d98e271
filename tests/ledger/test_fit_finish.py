"""Issue 14, items 1–3 on the ledger side: a submitted dossier is finished at the desk (with 新增 marks for the
reviewer), an incomplete one is asked about once, dossiers start from tasks, and the exports hold only what goes
to the inspectors unless asked, following the filters on screen."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignStatus
from ledger import services
from ledger.models import Event, EventStatus, EvidenceFile, MediaReport, Slot
from tests.factories import CampaignFactory, EventFactory, TaskFactory

from . import samples

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _photos(event, n: int = 3, seed: int = 0) -> None:
    services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[services.Upload(f"现场{i}.jpg", samples.jpeg(seed=seed + i)) for i in range(n)],
        uploaded_by=None,
    )


def _body(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------------------
# 1. Submit in the corridor, finish at the desk
# ------------------------------------------------------------------------------
def test_incomplete_dossier_is_asked_about_once_then_submitted(world, event_a):
    """GIVEN a dossier with photos and a plan but no 总结简报
    WHEN the liaison presses 提交 (no confirm flag)
    THEN nothing is submitted and the dossier page asks "尚缺：总结简报。仍要提交吗？" with a form posting confirm=1,
    which submits it."""
    _photos(event_a, 2, seed=10)
    services.evidence_add(
        event=event_a, slot=Slot.PLAN, uploads=[services.Upload("方案.pdf", samples.pdf())], uploaded_by=None
    )
    c = client_for(world.user("a_liaison"))
    r = c.post(reverse("ledger:submit", args=[event_a.pk]))
    assert r.status_code == 302 and "confirm=submit" in r["Location"]
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.DRAFT and event_a.archive_number is None
    page = _body(c.get(r["Location"]))
    assert "尚缺：总结简报。仍要提交吗？" in page
    form = re.search(r'<div[^>]*data-testid="submit-confirm".*?</div>\s*</div>', page, re.S).group(0)
    assert 'name="confirm" value="1"' in form and reverse("ledger:submit", args=[event_a.pk]) in form
    r = c.post(reverse("ledger:submit", args=[event_a.pk]), {"confirm": "1"})
    assert r.status_code == 302 and "confirm" not in r["Location"]
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.SUBMITTED and event_a.archive_number == "2026-t-a-0001"
    # Asked once only: the submitted dossier's page no longer asks.
    assert "仍要提交吗" not in _body(c.get(reverse("ledger:detail", args=[event_a.pk]) + "?confirm=submit"))


def test_complete_dossier_submits_without_a_question(world, event_a):
    _photos(event_a, 2, seed=20)
    for slot, name in ((Slot.PLAN, "方案.pdf"), (Slot.SUMMARY, "总结.pdf")):
        services.evidence_add(
            event=event_a, slot=slot, uploads=[services.Upload(name, samples.pdf(name))], uploaded_by=None
        )
    r = client_for(world.user("a_liaison")).post(reverse("ledger:submit", args=[event_a.pk]))
    assert r.status_code == 302 and "confirm" not in r["Location"]
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.SUBMITTED


def test_submitted_dossier_takes_files_reports_and_edits_marked_new_until_archived(world, event_a):
    """GIVEN a dossier submitted from the corridor with three photos
    WHEN its liaison adds the summary, registers the news report and edits the text at the desk, and the 创建办
    adds a sign-in sheet
    THEN all of it is saved, and the reviewer sees exactly those items marked 新增 (the photos not); once archived,
    nothing more is taken."""
    _photos(event_a, 3, seed=30)
    liaison, office = client_for(world.user("a_liaison")), client_for(world.user("a_office"))
    liaison.post(reverse("ledger:submit", args=[event_a.pk]), {"confirm": "1"})
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.SUBMITTED

    from django.core.files.uploadedfile import SimpleUploadedFile

    r = liaison.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {"slot": "summary", "files": [SimpleUploadedFile("活动总结.pdf", samples.pdf("summary"))]},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["ok"], r.content
    r = liaison.post(
        reverse("ledger:media_report_add", args=[event_a.pk]),
        {"outlet": "某市日报", "date": "2026-05-14", "title": "文明交通志愿服务", "url": "https://example.com/n/1"},
    )
    assert r.status_code == 302
    assert MediaReport.objects.filter(event=event_a).count() == 1
    edit = liaison.get(reverse("ledger:edit", args=[event_a.pk]))
    assert edit.status_code == 200 and "不能再修改" not in _body(edit)
    r = liaison.post(
        reverse("ledger:edit", args=[event_a.pk]),
        {
            "title": event_a.title,
            "category": event_a.category,
            "start_date": "2026-05-12",
            "place": event_a.place,
            "description": "共 25 人参加，劝导不文明行为 40 余次。",
        },
    )
    assert r.status_code == 302, _body(r)
    services.evidence_add(
        event=event_a,
        slot=Slot.SIGNIN,
        uploads=[services.Upload("签到表.pdf", samples.pdf("signin"))],
        uploaded_by=world.user("a_office"),
    )
    event_a.refresh_from_db()
    assert event_a.status == EventStatus.SUBMITTED and event_a.description.startswith("共 25 人")
    assert event_a.has_additions

    page = _body(office.get(reverse("ledger:detail", args=[event_a.pk])))
    summary = re.search(r'data-testid="additions-summary">(.*?)</div>', page, re.S).group(1)
    assert "材料 2 份" in summary and "媒体报道 1 篇" in summary and "修改了活动内容" in summary
    items = re.findall(r'data-testid="evidence-item">(.*?)</div>\s*</div>', page, re.S)
    names = {re.search(r">([^<>]+\.(?:pdf|jpg))</a>", item).group(1): item for item in items}
    assert len(names) == 5
    assert sorted(n for n, item in names.items() if 'data-testid="new-badge"' in item) == ["活动总结.pdf", "签到表.pdf"]
    report = re.search(r'data-testid="media-report">(.*?)</div>', page, re.S).group(1)
    assert 'data-testid="new-badge"' in report
    # The review list says which submitted dossiers have something new.
    listing = _body(office.get(reverse("ledger:index") + "?status=submitted"))
    assert 'data-testid="additions-badge"' in listing

    services.event_archive(event=event_a, actor=world.user("a_office"))
    with pytest.raises(services.LedgerError, match="档案已归档，不能再修改。"):
        services.evidence_add(
            event=event_a, slot=Slot.OTHER, uploads=[services.Upload("晚.txt", b"late")], uploaded_by=None
        )
    r = liaison.get(reverse("ledger:edit", args=[event_a.pk]))
    assert r.status_code == 302
    assert 'data-testid="new-badge"' not in _body(office.get(reverse("ledger:detail", args=[event_a.pk])))


def test_after_submission_only_what_was_added_since_can_be_removed(world, event_a):
    _photos(event_a, 1, seed=40)
    seen = EvidenceFile.objects.get(event=event_a)
    services.event_submit(event=event_a, actor=None)
    (late,) = services.evidence_add(
        event=event_a, slot=Slot.SUMMARY, uploads=[services.Upload("总结.pdf", samples.pdf("s"))], uploaded_by=None
    )
    with pytest.raises(services.LedgerError, match="只能删除提交后新增的材料"):
        services.evidence_delete(evidence=seen, actor=None)
    services.evidence_delete(evidence=late, actor=None)
    assert list(EvidenceFile.objects.filter(event=event_a)) == [seen]


def test_after_a_return_new_means_added_since_the_return(world, event_a):
    """GIVEN a submitted dossier that got a file, then was sent back
    WHEN the liaison adds another and resubmits
    THEN only the file added after the return is 新增 (the office saw the first one when it sent the dossier back)."""
    services.event_submit(event=event_a, actor=None)
    (before,) = services.evidence_add(
        event=event_a, slot=Slot.PLAN, uploads=[services.Upload("方案.pdf", samples.pdf("p"))], uploaded_by=None
    )
    services.event_return(event=event_a, actor=world.user("a_office"), reason="缺总结")
    (after,) = services.evidence_add(
        event=event_a, slot=Slot.SUMMARY, uploads=[services.Upload("总结.pdf", samples.pdf("s"))], uploaded_by=None
    )
    services.event_submit(event=event_a, actor=None)
    event_a.refresh_from_db()
    assert event_a.review_baseline == event_a.returned_at
    assert before.uploaded_at < event_a.review_baseline < after.uploaded_at
    page = _body(client_for(world.user("a_office")).get(reverse("ledger:detail", args=[event_a.pk])))
    assert "材料 1 份" in re.search(r'data-testid="additions-summary">(.*?)</div>', page, re.S).group(1)


# ------------------------------------------------------------------------------
# 2. Tasks and dossiers meet
# ------------------------------------------------------------------------------
@pytest.fixture
def tasks_a(world, campaign_a):
    """A heading with two sub-tasks (one the liaison's department leads), and a loose task of another unit part."""
    heading = TaskFactory(campaign=campaign_a, number="一、", title="思想道德建设", order=1)
    mine = TaskFactory(
        campaign=campaign_a, parent=heading, number="1.", title="开展道德讲堂", order=2, lead_units=[world.dept_a]
    )
    other = TaskFactory(
        campaign=campaign_a, parent=heading, number="2.", title="评选身边好人", order=3, lead_units=[world.affiliate_a]
    )
    return heading, mine, other


def _task_options(page: str) -> tuple[list[str], list[str]]:
    select = re.search(r'<select name="tasks".*?</select>', page, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", select)
    return groups, [o.strip() for o in options]


def test_task_picker_offers_own_tasks_first_without_headings(world, campaign_a, tasks_a):
    page = _body(client_for(world.user("a_liaison")).get(reverse("ledger:create") + f"?campaign={campaign_a.pk}"))
    groups, options = _task_options(page)
    assert groups == ["本部门的任务", "其他任务"]
    assert options == ["1. 开展道德讲堂", "2. 评选身边好人"]
    assert "思想道德建设" not in re.search(r'<select name="tasks".*?</select>', page, re.S).group(0)


def test_new_dossier_from_a_task_links_it(world, campaign_a, tasks_a):
    _heading, mine, _other = tasks_a
    c = client_for(world.user("a_office"))
    page = _body(c.get(reverse("ledger:create") + f"?task={mine.pk}"))
    assert re.search(rf'<option value="{mine.pk}" selected>', page)
    # The organisation the task names is chosen for the 创建办, who may pick any.
    assert re.search(rf'<option value="{world.dept_a.pk}" selected>', page)
    r = c.post(
        reverse("ledger:create") + f"?task={mine.pk}",
        {
            "campaign": campaign_a.pk,
            "organization": world.dept_a.pk,
            "title": "道德讲堂第三讲",
            "category": "study",
            "start_date": "2026-05-20",
            "tasks": [mine.pk],
        },
    )
    assert r.status_code == 302
    assert list(Event.objects.get(title="道德讲堂第三讲").tasks.all()) == [mine]


def test_task_page_lists_its_dossiers_with_completeness_and_a_button(world, campaign_a, tasks_a):
    heading, mine, _other = tasks_a
    done = EventFactory(campaign=campaign_a, organization=world.dept_a, title="道德讲堂第一讲")
    open_ = EventFactory(campaign=campaign_a, organization=world.dept_a, title="道德讲堂第二讲")
    foreign = EventFactory(campaign=campaign_a, organization=world.affiliate_a, title="同创单位的讲堂")
    for e in (done, open_, foreign):
        e.tasks.add(mine)
    Event.objects.filter(pk=done.pk).update(is_complete=True)
    c = client_for(world.user("a_liaison"))
    page = _body(c.get(reverse("campaigns:task_detail", args=[mine.pk])))
    block = re.search(r'data-testid="task-dossiers".*?</section>', page, re.S).group(0)
    rows = re.findall(r'data-testid="task-dossier">(.*?)</li>', block, re.S)
    assert len(rows) == 2  # the liaison does not see the affiliate's dossier
    by_title = {re.search(r"道德讲堂第.讲", r).group(0): r for r in rows}
    assert "材料齐全" in by_title["道德讲堂第一讲"] and "材料不全" in by_title["道德讲堂第二讲"]
    assert f'href="{reverse("ledger:create")}?task={mine.pk}"' in block
    # A section heading takes no dossier of its own.
    heading_page = _body(c.get(reverse("campaigns:task_detail", args=[heading.pk])))
    assert 'data-testid="task-new-dossier"' not in heading_page
    # 我的任务: each card has its 建档 button.
    mine_page = _body(c.get(reverse("campaigns:my_tasks")))
    assert f'href="{reverse("ledger:create")}?task={mine.pk}"' in mine_page


# ------------------------------------------------------------------------------
# 3. What goes to the inspectors
# ------------------------------------------------------------------------------
@pytest.fixture
def mixed_year(world, campaign_a):
    """Four 2026 dossiers of unit A: a draft, a returned, a submitted and an archived one, each with a photo."""
    events = {}
    for i, (status, org) in enumerate(
        (("draft", world.dept_a), ("returned", world.dept_a), ("submitted", world.dept_a), ("archived", world.unit_a))
    ):
        e = EventFactory(
            campaign=campaign_a, organization=org, title=f"{status}活动", start_date=datetime.date(2026, 3, 1 + i)
        )
        _photos(e, 1, seed=60 + i)
        if status != "draft":
            services.event_submit(event=e, actor=None)
        if status == "returned":
            services.event_return(event=e, actor=None, reason="照片不清楚")
        if status == "archived":
            services.event_archive(event=e, actor=None)
        e.refresh_from_db()
        events[status] = e
    return events


def _export(c: Client, name: str, capture, **data) -> bytes:
    with capture(execute=True):
        r = c.post(reverse(name), data)
    assert r.status_code == 302 and r["Location"].startswith("/jobs/"), r
    r = c.get(r["Location"] + "download/")
    assert r.status_code == 200
    return b"".join(r.streaming_content)


def _catalogue(body: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(body))["台账目录"].iter_rows(min_row=2, values_only=True))


def test_exports_leave_out_drafts_and_returned_unless_asked(
    world, campaign_a, mixed_year, django_capture_on_commit_callbacks
):
    c = client_for(world.user("a_office"))
    cap = django_capture_on_commit_callbacks
    rows = _catalogue(_export(c, "ledger:export_workbook", cap, campaign=campaign_a.pk, year=2026))
    assert sorted(r[2] for r in rows) == ["archived活动", "submitted活动"]
    with zipfile.ZipFile(io.BytesIO(_export(c, "ledger:export_archive", cap, campaign=campaign_a.pk, year=2026))) as zf:
        names = zf.namelist()
        index = zf.read("index.html").decode()
    assert not any("未编号" in n or "draft活动" in n or "returned活动" in n for n in names), names
    assert "draft活动" not in index and any("submitted活动" in n for n in names)

    # On request they come along, marked.
    rows = _catalogue(
        _export(c, "ledger:export_workbook", cap, campaign=campaign_a.pk, year=2026, include_unfinished="1")
    )
    numbers = {r[2]: r[0] for r in rows}
    assert numbers["draft活动"] == "【草稿】未编号"
    assert numbers["returned活动"] == f"【退回】{mixed_year['returned'].archive_number}"
    assert numbers["submitted活动"] == mixed_year["submitted"].archive_number
    body = _export(c, "ledger:export_archive", cap, campaign=campaign_a.pk, year=2026, include_unfinished="1")
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        folders = {n.split("/")[2] for n in zf.namelist() if n.startswith("2026年/")}
    assert f"【草稿】未编号{mixed_year['draft'].pk}-draft活动" in folders
    assert f"【退回】{mixed_year['returned'].archive_number}-returned活动" in folders


def test_exports_follow_the_filters_on_screen(world, campaign_a, mixed_year, django_capture_on_commit_callbacks):
    """GIVEN the list filtered to one department WHEN the export button is pressed (the page's form carries the
    filters) THEN the workbook holds that department's dossiers only."""
    c = client_for(world.user("a_office"))
    page = _body(c.get(reverse("ledger:index") + f"?organization={world.dept_a.pk}"))
    form = re.search(r'<form[^>]*data-testid="export-form".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert fields["organization"] == str(world.dept_a.pk) and fields["campaign"] == str(campaign_a.pk)
    rows = _catalogue(_export(c, "ledger:export_workbook", django_capture_on_commit_callbacks, **fields))
    assert [r[2] for r in rows] == ["submitted活动"]  # the archived one belongs to the unit itself


def test_annual_export_buttons_show_for_the_current_campaign_without_filtering(world, campaign_a):
    today = timezone.localdate()
    campaign_a.start_year = campaign_a.end_year = today.year
    campaign_a.status = CampaignStatus.ACTIVE
    campaign_a.save()
    CampaignFactory(unit=world.unit_a, title="上一轮创建", start_year=today.year - 4, end_year=today.year - 2)
    page = _body(client_for(world.user("a_office")).get(reverse("ledger:index")))
    form = re.search(r'<form[^>]*data-testid="export-form".*?</form>', page, re.S)
    assert form, "no export buttons without filtering"
    assert f'name="campaign" value="{campaign_a.pk}"' in form.group(0)
    assert f"生成{today.year}年度台账（Excel）" in form.group(0)


def test_workbook_task_sheet_names_the_responsible_person(world, campaign_a, mixed_year, tmp_path):
    from ledger.exports import write_workbook

    task = TaskFactory(campaign=campaign_a, title="开展道德讲堂")
    task.responsible_people.set([world.user("a_liaison"), world.user("a_office")])
    path = tmp_path / "wb.xlsx"
    write_workbook(str(path), campaign=campaign_a, year=2026, events=Event.objects.all())
    ws = openpyxl.load_workbook(path)["任务完成情况"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "开展道德讲堂")
    people = sorted((world.user("a_liaison"), world.user("a_office")), key=lambda u: u.pk)
    expected = "、".join(u.display_name for u in people)
    assert row[3] == expected and "None" not in row[3]
