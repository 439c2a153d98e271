"""The planted-token crawl: unit B's text never reaches unit A's users, on any page, fragment, search or export.

GIVEN one world (the permission matrix's city over units A and B) where both units have a campaign with phases,
leadership, tasks, progress and urges, dossiers with files and media reports, volunteers, activities and hours,
a self-assessment round with scores, bonus and negative notes, rectifications, a finished export job, notices,
outbox rows and robots, and where EVERY text field of every row created for unit B (plus B's departments and
people) holds one random token,
WHEN each of unit A's users GETs every URL pattern of the resolver — with unit A's objects (plain and as htmx),
with list-page probes (a search for the token's first characters, B's campaign / organisation ids as filters), and
with unit B's objects (which must answer 404), and starts and downloads the ledger exports —
THEN the token appears nowhere: not in a body, not in a header, not inside any member of a downloaded
xlsx or ZIP (unzipped recursively), and no answer is a 5xx.

The search probe sends only the token's first characters, so a page echoing its search box does not count;
a leaked row shows the whole token.
"""

from __future__ import annotations

import datetime
import io
import os
import secrets
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from ledger import services as ledger_services
from ledger.models import Slot
from organizations.models import Membership, Organization
from tests.conftest import build_world
from tests.factories import (
    ArchiveBuildFactory,
    BonusClaimFactory,
    BonusItemFactory,
    BulletinFactory,
    CampaignFactory,
    CampaignSystemFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    EventFactory,
    IndicatorFactory,
    ItemFactory,
    LeadershipMemberFactory,
    MediaReportFactory,
    NegativeDeclarationFactory,
    NegativeListItemFactory,
    NoticeFactory,
    OutboxFactory,
    PhaseFactory,
    ProgressReportFactory,
    RectificationItemFactory,
    ReminderSettingsFactory,
    RobotConfigFactory,
    ScoreFactory,
    SelfAssessmentFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    SupervisionFactory,
    TaskFactory,
    UrgeFactory,
    VolunteerFactory,
)
from tests.ledger import samples
from trash.services import trash_delete

TOKEN = "PLANTEDB" + secrets.token_hex(4).upper()
SEARCH = TOKEN[:11]  # matches B's rows with icontains, but is not the token itself
A_USERS = ("a_admin", "a_office", "a_leader", "a_liaison")
YEAR = 2026

# Text fields never planted: what code reads as a key or an identifier, not words a person typed.
NOT_TEXT = {"password", "path", "sha256", "result_sha256", "detected_type", "content_type", "claim_token", "kind"}
NOT_TEXT_GENERIC = {"object_id", "object_key", "recipient_key", "rule", "period"}


# ----------------------------------------------------------------------------------------------
# The world: both units alike, then every text field of B's rows planted with the token
# ----------------------------------------------------------------------------------------------
def _side(w, side: str, shared: SimpleNamespace) -> SimpleNamespace:
    unit, dept = getattr(w, f"unit_{side}"), getattr(w, f"dept_{side}")
    admin, liaison = w.user(f"{side}_admin"), w.user(f"{side}_liaison")
    campaign = CampaignFactory(unit=unit, title=f"{unit.name}创建", guiding_idea="指导", goals="目标")
    ReminderSettingsFactory(campaign=campaign)
    PhaseFactory(campaign=campaign, description="阶段工作")
    LeadershipMemberFactory(campaign=campaign, name="局长", duty="全面负责")
    heading = TaskFactory(campaign=campaign, title="思想教育", number="一、")
    task = TaskFactory(
        campaign=campaign,
        parent=heading,
        title="开展专题学习",
        content="学习内容",
        target_text="4次",
        lead_units=[dept],
        cooperating_units=[getattr(w, f"affiliate_{side}")],
    )
    task.responsible_people.set([liaison])
    ProgressReportFactory(task=task, organization=dept, author=liaison, text="已完成一半")
    UrgeFactory(task=task, text="请尽快填报")
    event = EventFactory(
        campaign=campaign,
        organization=dept,
        title="学习活动",
        place="会议室",
        description="活动内容",
        start_date=datetime.date(YEAR, 5, 12),
    )
    event.tasks.add(task)
    ledger_services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[ledger_services.Upload("合影.jpg", samples.jpeg(seed=3 if side == "a" else 4))],
        uploaded_by=liaison,
        caption="合影",
    )
    MediaReportFactory(event=event, outlet="日报", title="报道")
    submitted = EventFactory(
        campaign=campaign, organization=dept, title="志愿服务", start_date=datetime.date(YEAR, 6, 1)
    )
    ledger_services.evidence_add(
        event=submitted,
        slot=Slot.PHOTO,
        uploads=[ledger_services.Upload("服务.jpg", samples.jpeg(seed=5 if side == "a" else 6))],
        uploaded_by=liaison,
    )
    submitted = ledger_services.event_submit(event=submitted, actor=liaison)
    volunteer = VolunteerFactory(organization=dept, name="志愿者", team="服务队")
    activity = ServiceActivityFactory(
        organization=dept, title="学雷锋活动", place="社区", description="清扫", date=datetime.date(YEAR, 3, 5)
    )
    record = ServiceRecordFactory(volunteer=volunteer, activity=activity, hours=Decimal("3"))
    ServiceRecordFactory(
        volunteer=VolunteerFactory(organization=dept, name="志愿者二"),
        activity=activity,
        hours=Decimal("2"),
        status="confirmed",
        confirmed_by=w.user(f"{side}_office"),
    )
    CampaignSystemFactory(campaign=campaign, system=shared.system)
    assessment = SelfAssessmentFactory(campaign=campaign, system=shared.system, name="第一轮")
    score = ScoreFactory(
        assessment=assessment,
        criterion=shared.criterion,
        comment="只有1次纪要",
        deductions=[{"points": "0.5", "reason": "缺纪要"}],
    )
    score.evidence_events.add(event)
    BonusClaimFactory(assessment=assessment, bonus_item=shared.bonus, note="获表彰")
    NegativeDeclarationFactory(assessment=assessment, item=shared.negative, occurred=True, note="已发生")
    rectification = RectificationItemFactory(
        campaign=campaign,
        assessment=assessment,
        criterion=shared.criterion,
        problem="缺少会议纪要",
        measure="补开会议",
        responsible_person="主任",
        proof_links="https://example.com/proof",
        verification_note="已核验",
    )
    rectification.responsible_units.add(dept)
    notice = NoticeFactory(user=admin, title="任务即将到期", body="请处理")
    outbox = OutboxFactory(recipient=admin, organization=unit, title="任务即将到期", body="请处理", status="failed")
    robot = RobotConfigFactory(organization=unit, name="创建工作群")
    job = _finished_export_job(admin, campaign)
    supervision = SupervisionFactory(
        office=w.city, unit=unit, request_text="请说明逾期原因", answer_text="已整改", answer_links="/campaigns/"
    )
    supervision.tasks.add(task)
    archive_build = ArchiveBuildFactory(campaign=campaign)
    return SimpleNamespace(
        supervision=supervision,
        archive_build=archive_build,
        unit=unit,
        dept=dept,
        membership=Membership.objects.get(user=liaison),
        campaign=campaign,
        task=task,
        event=event,
        event_submitted=submitted,
        file=event.evidence.get(),
        volunteer=volunteer,
        activity=activity,
        record=record,
        round=assessment,
        rectification=rectification,
        notice=notice,
        outbox=outbox,
        robot=robot,
        job=job,
        # 回收站: a deleted dossier of this side (its title and the row's snapshot are planted for B).
        deletion=trash_delete(
            obj=EventFactory(campaign=campaign, organization=dept, title="已删除的档案"), actor=admin
        ),
        **vars(shared),
    )


def _finished_export_job(user, campaign):
    from jobs.services import job_start
    from ledger import jobs as ledger_jobs

    with TestCase.captureOnCommitCallbacks(execute=True):
        job = job_start(
            kind=ledger_jobs.WORKBOOK,
            user=user,
            organization=campaign.unit,
            params={"campaign": campaign.pk, "year": YEAR},
            title=ledger_jobs.export_title(campaign, YEAR, ledger_jobs.WORKBOOK),
        )
    job.refresh_from_db()
    return job


def _project_models() -> list[type[models.Model]]:
    base = str(Path(settings.BASE_DIR).resolve())
    return [
        m
        for config in apps.get_app_configs()
        if str(Path(config.path).resolve()).startswith(base) and ".venv" not in config.path
        for m in config.get_models()
    ]


def _plant_json(value):
    """Every string leaf of a JSON value replaced by the token (keys stay: code reads them)."""
    if isinstance(value, str):
        return TOKEN
    if isinstance(value, list):
        return [_plant_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _plant_json(v) for k, v in value.items()}
    return value


def _plant(rows: dict[type[models.Model], set]) -> int:
    """Write the token into every text field of the given rows; returns the number of fields written."""
    written = 0
    for model, pks in rows.items():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not isinstance(f, models.FileField)
            and not f.choices
            and f.name not in NOT_TEXT
            and f.name not in NOT_TEXT_GENERIC
            and not f.primary_key
        ]
        json_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        if not fields and not json_fields:
            continue
        for pk in pks:
            values = {}
            if json_fields:
                row = model._default_manager.filter(pk=pk).values(*(f.attname for f in json_fields)).first() or {}
                for name, value in row.items():
                    planted = _plant_json(value)
                    if planted != value:
                        values[name] = planted
            for f in fields:
                value = f"{TOKEN}{pk}"
                limit = f.max_length or 10_000
                if len(value) > limit:
                    value = TOKEN
                if len(value) <= limit:
                    values[f.attname] = value
            model._default_manager.filter(pk=pk).update(**values)
            written += len(values)
    return written


def _build(media: Path) -> SimpleNamespace:
    from evaluation.models import Score

    with override_settings(MEDIA_ROOT=media):
        w = build_world()
        system = EvaluationSystemFactory(name="共享测评体系")
        item = ItemFactory(system=system, code="1")
        indicator = IndicatorFactory(item=item, code="1.1")
        shared = SimpleNamespace(
            system=system,
            criterion=CriterionFactory(indicator=indicator, code="1.1.1"),
            bonus=BonusItemFactory(system=system),
            negative=NegativeListItemFactory(system=system),
        )
        a = _side(w, "a", shared)
        project = _project_models()
        before = {m: set(m._default_manager.values_list("pk", flat=True)) for m in project}
        b = _side(w, "b", shared)
        rows = {m: set(m._default_manager.values_list("pk", flat=True)) - before[m] for m in project}
        # B's own tree and people, created with the world.
        b_orgs = set(Organization.objects.filter(path__startswith=w.unit_b.path).values_list("pk", flat=True))
        rows[Organization] = rows.get(Organization, set()) | b_orgs
        rows[Membership] = rows.get(Membership, set()) | set(
            Membership.objects.filter(organization__in=b_orgs).values_list("pk", flat=True)
        )
        user_model = type(w.user("b_admin"))
        rows[user_model] = rows.get(user_model, set()) | set(
            Membership.objects.filter(organization__in=b_orgs).values_list("user_id", flat=True)
        )
        planted = _plant(rows)
        # Evidence checks (ledger/evidence_services.py): the samples are near-flat images, so the photos are 疑似重复
        # of one another within each unit and across the units; no page of A may show anything of the cross pairs.
        from ledger.evidence_services import photo_check_run
        from ledger.models import EvidenceFile, PhotoDuplicate

        for pk in EvidenceFile.objects.filter(slot=Slot.PHOTO).values_list("pk", flat=True):
            photo_check_run(evidence_id=pk, ocr=False)
        assert PhotoDuplicate.objects.filter(same_unit=False).exists()
        assert PhotoDuplicate.objects.filter(same_unit=True).exists()
        # Deduction points stay numbers, so B's own pages can still be computed; the reason is text.
        Score.objects.filter(assessment=b.round).update(deductions=[{"points": "0.5", "reason": TOKEN}])
        # The 月度通报 frozen after planting, so B's row carries the token; published WITHOUT the ranking: A's users
        # see their own row only. B's side gets a draft, which no unit may open.
        from django.utils import timezone

        from dashboards import bulletins
        from dashboards.services import snapshot_units

        snapshot_units(units=[w.unit_a, w.unit_b])
        office_user = w.user("city_office")
        month = timezone.localdate().replace(day=1)
        a.bulletin = bulletins.bulletin_freeze(office=w.city, month=month, notes="本月通报", actor=office_user)
        bulletins.bulletin_publish(bulletin=a.bulletin, publish_ranking=False, actor=office_user)
        b.bulletin = BulletinFactory(office=w.city, month=datetime.date(2020, 1, 1), rows=a.bulletin.rows)
        return SimpleNamespace(world=w, a=a, b=b, planted=planted, rows=rows)


@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("crawl-media")


@pytest.fixture(autouse=True)
def _media_root(settings, module_media):
    """The module's files stay in one folder for every test (overrides the per-test folder of conftest)."""
    settings.MEDIA_ROOT = module_media
    return module_media


@pytest.fixture(scope="module")
def crawl_world(django_db_setup, django_db_blocker, module_media):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(module_media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ----------------------------------------------------------------------------------------------
# The crawl table: every URL pattern, with the objects its kwargs take (names of the side's objects)
# ----------------------------------------------------------------------------------------------
SHARED = {"system", "criterion"}


def routes() -> dict[str, list[dict[str, str]]]:
    """URL name → the kwargs variants, each kwarg naming an object of a side ({} for a URL without kwargs)."""
    none: list[dict[str, str]] = [{}]
    table: dict[str, list[dict[str, str]]] = {
        "login": none,
        "logout": none,
        "password_change": none,
        "password_change_done": none,
        "dashboards:home": none,
        "dashboards:cockpit": none,
        "dashboards:unit_cockpit": [{"pk": "unit"}],
        "dashboards:city": none,
        "dashboards:city_thresholds": none,
        "dashboards:city_refresh": none,
        "dashboards:supervision_list": none,
        "dashboards:supervision_create": none,
        "dashboards:supervision_detail": [{"pk": "supervision"}],
        "dashboards:supervision_answer": [{"pk": "supervision"}],
        "dashboards:supervision_close": [{"pk": "supervision"}],
        "dashboards:bulletin_list": none,
        "dashboards:bulletin_create": none,
        "dashboards:bulletin_detail": [{"pk": "bulletin"}],
        "dashboards:bulletin_publish": [{"pk": "bulletin"}],
        "dashboards:bulletin_export": [{"pk": "bulletin"}],
        "dashboards:bulletin_pdf": [{"pk": "bulletin"}],
        "organizations:list": none,
        "organizations:audit": none,
        "organizations:changes": none,
        "history:dossier": [{"pk": "event"}, {"pk": "event_submitted"}],
        "history:task": [{"pk": "task"}],
        "history:volunteer": [{"pk": "volunteer"}],
        "history:round": [{"pk": "round"}],
        "history:rectification": [{"pk": "rectification"}],
        "trash:index": none,
        "trash:restore": [{"pk": "deletion"}],
        "trash:empty": none,
        "organizations:detail": [{"pk": "unit"}, {"pk": "dept"}],
        "organizations:create_child": [{"pk": "unit"}],
        "organizations:edit": [{"pk": "unit"}, {"pk": "dept"}],
        "organizations:member_add": [{"pk": "dept"}],
        "organizations:member_remove": [{"pk": "membership"}],
        "organizations:member_password": [{"pk": "membership"}],
        "organizations:member_edit": [{"pk": "membership"}],
        "campaigns:index": none,
        "campaigns:create": none,
        "campaigns:my_tasks": none,
        "campaigns:plan_import": none,
        "campaigns:plan_import_confirm": none,
        "campaigns:excel_template": none,
        "campaigns:detail": [{"pk": "campaign"}],
        "campaigns:edit": [{"pk": "campaign"}],
        "campaigns:next_cycle": [{"pk": "campaign"}],
        "campaigns:tasks": [{"pk": "campaign"}],
        "campaigns:task_create": [{"pk": "campaign"}],
        "campaigns:task_export": [{"pk": "campaign"}],
        "campaigns:task_import": [{"pk": "campaign"}],
        "campaigns:reminder_settings": [{"pk": "campaign"}],
        "campaigns:task_detail": [{"pk": "task"}],
        "campaigns:task_edit": [{"pk": "task"}],
        "campaigns:task_report": [{"pk": "task"}],
        "campaigns:task_delete": [{"pk": "task"}],
        "campaigns:task_urge": [{"pk": "task"}],
        "ledger:index": none,
        "ledger:create": none,
        "ledger:detail": [{"pk": "event"}, {"pk": "event_submitted"}],
        "ledger:edit": [{"pk": "event"}],
        "ledger:upload": [{"pk": "event"}],
        "ledger:submit": [{"pk": "event"}],
        "ledger:return": [{"pk": "event_submitted"}],
        "ledger:archive": [{"pk": "event_submitted"}],
        "ledger:delete": [{"pk": "event"}],
        "ledger:withdraw": [{"pk": "event_submitted"}],
        "ledger:media_report_add": [{"pk": "event"}],
        "ledger:file_download": [{"pk": "file"}],
        "ledger:file_preview": [{"pk": "file"}],
        "ledger:file_thumbnail": [{"pk": "file"}],
        "ledger:file_delete": [{"pk": "file"}],
        "ledger:export_workbook": none,  # POST: see POST_EXPORTS
        "ledger:export_archive": none,
        "ledger:settings": [{"campaign_pk": "campaign"}],
        "ledger:banner_aliases": [{"campaign_pk": "campaign"}],
        "ledger:export_archive_pdf": none,
        "ledger:archive_download": [{"pk": "archive_build"}],
        "evaluation:index": none,
        "evaluation:system_import": none,
        "evaluation:system_import_published": none,
        "evaluation:template_download": none,
        "evaluation:template_doc": none,
        "evaluation:system_detail": [{"pk": "system"}],
        "evaluation:system_export": [{"pk": "system"}],
        "evaluation:system_weight": [{"pk": "system"}],
        "evaluation:campaign_overview": [{"campaign_pk": "campaign"}],
        "evaluation:system_adopt": [{"campaign_pk": "campaign"}],
        "evaluation:round_create": [{"campaign_pk": "campaign"}],
        "evaluation:coverage": [{"campaign_pk": "campaign", "system_pk": "system"}],
        "evaluation:rectification_list": [{"campaign_pk": "campaign"}],
        "evaluation:rectification_create": [{"campaign_pk": "campaign"}],
        "evaluation:rectification_export": [{"campaign_pk": "campaign"}],
        "evaluation:rectification_edit": [{"pk": "rectification"}],
        "evaluation:rectification_urge": [{"pk": "rectification"}],
        "evaluation:rectification_proof": [{"pk": "rectification"}],
        "evaluation:round_detail": [{"pk": "round"}],
        "evaluation:score_save": [{"pk": "round", "criterion_pk": "criterion"}],
        "evaluation:rectify_from_score": [{"pk": "round", "criterion_pk": "criterion"}],
        "evaluation:round_rectify": [{"pk": "round"}],
        "evaluation:bonus_save": [{"pk": "round"}],
        "evaluation:negative_save": [{"pk": "round"}],
        "evaluation:round_lock": [{"pk": "round"}],
        "evaluation:round_export": [{"pk": "round"}],
        "evaluation:round_compare": [{"pk": "round"}],
        "evaluation:task_tags": [{"task_pk": "task"}],
        "evaluation:event_tags": [{"event_pk": "event"}],
        "volunteers:index": none,
        "volunteers:volunteer_create": none,
        "volunteers:volunteer_detail": [{"pk": "volunteer"}],
        "volunteers:volunteer_update": [{"pk": "volunteer"}],
        "volunteers:volunteer_delete": [{"pk": "volunteer"}],
        "volunteers:activity_list": none,
        "volunteers:activity_create": none,
        "volunteers:activity_detail": [{"pk": "activity"}],
        "volunteers:activity_add_hours": [{"pk": "activity"}],
        "volunteers:activity_delete": [{"pk": "activity"}],
        "volunteers:record_fix": [{"pk": "record"}],
        "volunteers:confirm": none,
        "volunteers:statistics": none,
        "volunteers:targets": none,
        "volunteers:import": none,
        "volunteers:import_template": none,
        "volunteers:export_volunteers": none,
        "volunteers:export_records": none,
        "jobs:list": none,
        "jobs:detail": [{"pk": "job"}],
        "jobs:status": [{"pk": "job"}],
        "jobs:download": [{"pk": "job"}],
        "jobs:cancel": [{"pk": "job"}],
        "jobs:retry": [{"pk": "job"}],
        "notifications:list": none,
        "notifications:bell": none,
        "notifications:open": [{"pk": "notice"}],
        "notifications:mark_read": [{"pk": "notice"}],
        "notifications:mark_all_read": none,
        "notifications:preferences": none,
        "notifications:outbox": none,
        "notifications:outbox_resend": [{"pk": "outbox"}],
        "notifications:robots": none,
        "notifications:robot_create": none,
        "notifications:robot_edit": [{"pk": "robot"}],
        "notifications:robot_delete": [{"pk": "robot"}],
        "notifications:robot_test": [{"pk": "robot"}],
    }
    return table


# The exports that start a job by POST (campaign and year in the form); the job's file is fetched and searched.
POST_EXPORTS = ("ledger:export_workbook", "ledger:export_archive")


def _probes(b: SimpleNamespace) -> list[dict[str, object]]:
    """Query strings tried on every page without kwargs: a search, and B's ids in the usual filter names."""
    return [
        {"q": SEARCH},
        {"q": SEARCH, "view": "gallery"},
        {"campaign": b.campaign.pk, "year": YEAR},
        {"org": b.dept.pk, "organization": b.dept.pk, "unit": b.unit.pk, "year": YEAR},
        {"task": b.task.pk, "event": b.event.pk, "volunteer": b.volunteer.pk, "activity": b.activity.pk},
    ]


def url_names() -> set[str]:
    def walk(patterns, namespace: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or ""
                yield from walk(p.url_patterns, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
            elif isinstance(p, URLPattern):
                name = p.name or f"<unnamed {p.pattern}>"
                yield f"{namespace}:{name}" if namespace else name

    return {n for n in walk(get_resolver().url_patterns) if not n.startswith("admin:")}


def test_every_url_pattern_has_a_crawl_entry():
    """GIVEN the resolver WHEN its URL names are compared with the crawl table THEN none is missing or stale."""
    table = routes()
    assert url_names() - set(table) == set(), "URLs without a crawl entry (add them to routes())"
    assert set(table) - url_names() == set(), "crawl entries for URLs that no longer exist"


# ----------------------------------------------------------------------------------------------
# Looking for the token
# ----------------------------------------------------------------------------------------------
def _contents(data: bytes, where: str, depth: int = 0):
    """(where, bytes) for the data and, for a ZIP (xlsx included), for every member, recursively."""
    yield where, data
    if data[:5] == b"%PDF-":  # a PDF's text sits in compressed streams: search the extracted text too
        from pypdf import PdfReader

        try:
            text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except Exception:  # a sample that only looks like a PDF (its raw bytes are searched above)
            text = ""
        yield f"{where} » text", text.encode()
    if depth < 3 and data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                yield from _contents(zf.read(name), f"{where} » {name}", depth + 1)


def _leaks(response, where: str) -> list[str]:
    found = [f"{where}: header {k}" for k, v in response.items() if TOKEN in v]
    data = b"".join(response.streaming_content) if response.streaming else response.content
    token = TOKEN.encode()
    found += [f"{place}: body" for place, chunk in _contents(data, where) if token in chunk]
    if found and os.environ.get("CRAWL_SHOW"):
        text = data.decode("utf-8", "replace")
        i = text.find(TOKEN)
        found.append(text[max(0, i - 600) : i + 60])
    return found


@dataclass
class Crawl:
    client: Client
    actor: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def get(self, url: str, query=None, *, htmx: bool = False):
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.client.get(url, query, headers=headers)
        self.requests += 1
        where = f"{self.actor} GET {url}{'?' + str(query) if query else ''}{' [htmx]' if htmx else ''}"
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code}")
        self.failures.extend(_leaks(response, where))
        return response


def _kwargs(spec: dict[str, str], side: SimpleNamespace) -> dict[str, int]:
    return {k: getattr(side, obj).pk for k, obj in spec.items()}


def _assert_planted(b: SimpleNamespace, world) -> None:
    """The token really is in B's rows (a crawl of unplanted data would prove nothing)."""
    from evaluation.models import Score

    for obj, attr in (
        (b.campaign, "title"),
        (b.task, "title"),
        (b.event, "title"),
        (b.file, "caption"),
        (b.volunteer, "name"),
        (b.activity, "title"),
        (b.round, "name"),
        (b.rectification, "problem"),
        (b.dept, "name"),
        (b.unit, "name"),
        (world.user("b_liaison"), "real_name"),
        (b.job, "title"),
        (b.notice, "title"),
    ):
        obj.refresh_from_db()
        assert TOKEN in getattr(obj, attr), (obj, attr)
    assert TOKEN in Score.objects.get(assessment=b.round).comment


@pytest.mark.django_db
@pytest.mark.parametrize("actor", A_USERS)
def test_unit_b_token_never_reaches_unit_a(crawl_world, actor, django_capture_on_commit_callbacks):
    world, a, b = crawl_world.world, crawl_world.a, crawl_world.b
    _assert_planted(b, world)
    client = Client(raise_request_exception=False)
    client.force_login(world.user(actor))
    crawl = Crawl(client, actor)
    for name, variants in sorted(routes().items()):
        for spec in variants:
            url_a = reverse(name, kwargs=_kwargs(spec, a) or None)
            status_a = crawl.get(url_a).status_code
            crawl.get(url_a, htmx=True)
            if not spec:
                for i, query in enumerate(_probes(b)):
                    crawl.get(url_a, query)
                    if i == 0:
                        crawl.get(url_a, query, htmx=True)  # live search answers htmx with a fragment
                continue
            if set(spec.values()) <= SHARED:
                continue  # the same shared object for both units
            url_b = reverse(name, kwargs=_kwargs(spec, b))
            status_b = crawl.get(url_b).status_code
            # 404, or the very answer A's own object got (a POST-only URL, a role refused before any lookup).
            if status_b != 404 and not (status_b == status_a and status_a in (403, 405)):
                crawl.failures.append(f"{actor} GET {url_b} (unit B's object) → {status_b}, expected 404")
    for name in POST_EXPORTS:
        with django_capture_on_commit_callbacks(execute=True):
            refused = client.post(reverse(name), {"campaign": b.campaign.pk, "year": YEAR})
        if refused.status_code != 404:
            crawl.failures.append(f"{actor} POST {name} for unit B's campaign → {refused.status_code}, expected 404")
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(reverse(name), {"campaign": a.campaign.pk, "year": YEAR})
        crawl.requests += 2
        if started.status_code == 302 and resolve(started["Location"]).view_name == "jobs:detail":
            job = resolve(started["Location"]).kwargs
            crawl.get(reverse("jobs:detail", kwargs=job))
            download = crawl.get(reverse("jobs:download", kwargs=job))
            if download.status_code != 200:
                crawl.failures.append(f"{actor} {name}: the job's download answered {download.status_code}")
        elif started.status_code not in (403, 404):
            crawl.failures.append(f"{actor} POST {name} for unit A's campaign → {started.status_code}")
    assert crawl.requests > 400
    assert not crawl.failures, f"{len(crawl.failures)} leaks or errors in {crawl.requests} requests:\n" + "\n".join(
        crawl.failures
    )
