"""Every workbook the site or a command writes, fed hostile text: no live formula, no 500, the cleaned text is there.

The export URLs are found in the resolver (any URL whose name or route says export / xlsx / zip / template), so a
new download without an entry in EXPORTS fails `test_every_export_url_has_a_case`; likewise every management
command whose name starts with "export".

The hostile values sit in every text column of unit A's objects (task 序号 and 具体任务, its section, lead
department, dossier title and place, volunteer name, number and team, activity title, the confirmer's name,
测评体系 items, indicators, criteria, negative and bonus items, score comments and deduction reasons, bonus and
negative notes, rectification problem, measure, person, links and verification note). PostgreSQL cannot store
NUL or lone surrogates, so those two are checked on the writer itself (tests/organizations/test_spreadsheets.py).
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from campaigns.models import TaskStatus
from ledger import services as ledger_services
from ledger.models import Slot
from organizations.models import OrganizationKind
from tests.conftest import build_world
from tests.factories import (
    BonusClaimFactory,
    BonusItemFactory,
    CampaignFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    EventFactory,
    IndicatorFactory,
    ItemFactory,
    NegativeDeclarationFactory,
    NegativeListItemFactory,
    OrganizationFactory,
    RectificationItemFactory,
    ScoreFactory,
    SelfAssessmentFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    TaskFactory,
    UserFactory,
    VolunteerFactory,
)
from tests.ledger import samples

# (typed by a user, what the downloaded file must hold in that cell). Written out by hand, not computed.
HOSTILE = [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1", "'+1"),
    ("-1+2", "'-1+2"),
    ("-5", "'-5"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\n=1"),
    ("第一行\x0b第二行", "第一行\n第二行"),
    ("\x0b=2+2", "'\n=2+2"),
    ("分\x0c页", "分\n页"),
    ("甲\x1f乙\x01丙\x08丁", "甲乙丙丁"),
    ("尾\ufffe\uffff", "尾"),
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
YEAR = 2026


# ----------------------------------------------------------------------------------------------
# One world for the module: unit A's objects, every text field hostile
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("export-media")


@pytest.fixture(autouse=True)
def _media_root(settings, module_media):
    """The module's objects keep their files in one folder (overrides the per-test folder of conftest)."""
    settings.MEDIA_ROOT = module_media
    return module_media


def _build(module_media) -> SimpleNamespace:
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=module_media):
        w = build_world()
        texts = [planted for planted, _ in HOSTILE]
        campaign = CampaignFactory(unit=w.unit_a, title=texts[1], guiding_idea=texts[0], goals=texts[2])
        system = EvaluationSystemFactory(name=texts[0], issuer=texts[8], notes=texts[9])
        assessment = SelfAssessmentFactory(campaign=campaign, system=system, name=texts[3])
        confirmer = UserFactory(real_name=texts[4])
        for i, text in enumerate(texts):
            dept = OrganizationFactory(
                name=text, short_name=text, kind=OrganizationKind.DEPARTMENT, parent=w.unit_a, code=f"t-a-x{i}"
            )
            heading = TaskFactory(campaign=campaign, title=text, number="", order=2 * i)
            task = TaskFactory(
                campaign=campaign,
                parent=heading,
                number=text,
                title=text,
                content=text,
                target_text=text,
                status=TaskStatus.DOING,
                order=2 * i + 1,
                lead_units=[dept],
                cooperating_units=[dept],
            )
            task.responsible_people.set([confirmer])
            event = EventFactory(
                campaign=campaign,
                organization=dept,
                title=text,
                place=text,
                description=text,
                start_date=datetime.date(YEAR, 5, 1 + i),
            )
            event.tasks.add(task)
            volunteer = VolunteerFactory(organization=dept, name=text, number=text, team=text, phone=text[:20])
            activity = ServiceActivityFactory(
                organization=dept, title=text, place=text, description=text, date=datetime.date(YEAR, 3, 1 + i)
            )
            ServiceRecordFactory(
                volunteer=volunteer, activity=activity, hours=Decimal("2"), status="confirmed", confirmed_by=confirmer
            )
            item = ItemFactory(system=system, code=str(i + 1), name=text, order=i)
            indicator = IndicatorFactory(item=item, code=f"{i + 1}.1", name=text, methods=text, order=i)
            criterion = CriterionFactory(
                indicator=indicator, code=f"{i + 1}.1.1", text=text, methods=text, evidence_text=text, order=i
            )
            score = ScoreFactory(
                assessment=assessment,
                criterion=criterion,
                comment=text,
                deductions=[{"points": "0.5", "reason": text}],
            )
            score.evidence_events.add(event)
            BonusClaimFactory(assessment=assessment, bonus_item=BonusItemFactory(system=system, text=text), note=text)
            NegativeDeclarationFactory(
                assessment=assessment,
                item=NegativeListItemFactory(system=system, text=text),
                occurred=True,
                note=text,
            )
            rect = RectificationItemFactory(
                campaign=campaign,
                assessment=assessment,
                criterion=criterion,
                problem=text,
                measure=text,
                responsible_person=text,
                proof_links=text,
                verification_note=text,
            )
            rect.responsible_units.add(dept)
        photo_event = EventFactory(
            campaign=campaign, organization=w.unit_a, title=texts[0], start_date=datetime.date(YEAR, 6, 1)
        )
        ledger_services.evidence_add(
            event=photo_event,
            slot=Slot.PHOTO,
            uploads=[ledger_services.Upload("合影.jpg", samples.jpeg(seed=5))],
            uploaded_by=None,
            caption=texts[2],
        )
        return SimpleNamespace(world=w, campaign=campaign, system=system, assessment=assessment)


@pytest.fixture(scope="module")
def hostile(django_db_setup, django_db_blocker, module_media):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(module_media)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ----------------------------------------------------------------------------------------------
# What a download must look like
# ----------------------------------------------------------------------------------------------
def _workbooks(data: bytes) -> list[tuple[str, bytes]]:
    """The xlsx files inside a download: the file itself, or every .xlsx member of a ZIP archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        if "[Content_Types].xml" in names:
            return [("", data)]
        return [(n, zf.read(n)) for n in names if n.endswith(".xlsx")]


def problems_in(data: bytes, *, expect_texts: bool) -> list[str]:
    """Every reason this download is unsafe: formula cells, formula-looking or unclean text, missing cleaned text."""
    found: list[str] = []
    books = _workbooks(data)
    if not books:
        return ["no workbook in the download"]
    cells: set[str] = set()
    for member, book in books:
        where = f"{member}:" if member else ""
        with zipfile.ZipFile(io.BytesIO(book)) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/") and re.search(rb"<(\w+:)?f[ >]", zf.read(name)):
                    found.append(f"{where}{name} has a <f> formula element")
        wb = openpyxl.load_workbook(io.BytesIO(book))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        found.append(f"{where}{ws.title}!{cell.coordinate} is a formula: {cell.value!r}")
                    elif isinstance(cell.value, str):
                        cells.add(cell.value)
                        if cell.value.startswith(FORMULA_STARTS):
                            found.append(f"{where}{ws.title}!{cell.coordinate} starts like a formula: {cell.value!r}")
                        if XML_ILLEGAL.search(cell.value) or "_x00" in cell.value:
                            found.append(f"{where}{ws.title}!{cell.coordinate} keeps a control char: {cell.value!r}")
    if expect_texts:
        for planted, expected in HOSTILE:
            if expected not in cells:
                found.append(f"typed {planted!r}: no cell holds {expected!r}")
    elif not cells:
        found.append("the workbook has no text at all")
    return found


# ----------------------------------------------------------------------------------------------
# Every export URL, every export command
# ----------------------------------------------------------------------------------------------
EXPORT_WORDS = ("export", "xlsx", "zip", "template", "download")


def _patterns(patterns, namespace: str = "", prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _patterns(p.url_patterns, full, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), prefix + str(p.pattern)


def export_url_names() -> set[str]:
    return {
        name
        for name, route in _patterns(get_resolver().url_patterns)
        if not name.startswith("admin:") and any(word in f"{name} {route}".lower() for word in EXPORT_WORDS)
    }


def _body(response) -> bytes:
    assert response.status_code == 200, f"{response.request['PATH_INFO']} → {response.status_code}"
    return b"".join(response.streaming_content) if response.streaming else response.content


def _get(name: str, kwargs=None, query=None):
    def fetch(client: Client, h, capture) -> bytes:
        url = reverse(name, kwargs=kwargs(h) if kwargs else None)
        return _body(client.get(url, query(h) if query else None))

    return fetch


def _job(name: str):
    """A long export: POST starts a job (run at commit, eagerly in tests); its page links the file."""

    def fetch(client: Client, h, capture) -> bytes:
        with capture(execute=True):
            # The dossiers here are drafts: exported on request (include_unfinished), so their text is checked too.
            response = client.post(reverse(name), {"campaign": h.campaign.pk, "year": YEAR, "include_unfinished": "1"})
        assert response.status_code == 302, (response.status_code, response.content.decode()[:3000])
        match = resolve(response["Location"])
        assert match.view_name == "jobs:detail", response["Location"]
        return _body(client.get(reverse("jobs:download", kwargs=match.kwargs)))

    return fetch


def _bulletin(client: Client, h, capture) -> bytes:
    """The 月度通报 workbook: this month frozen from fresh snapshots and published with its ranking."""
    from django.utils import timezone

    from dashboards import bulletins
    from dashboards.services import snapshot_units

    w = h.world
    snapshot_units(units=[w.unit_a, w.unit_b])
    office_user = w.user("city_office")
    month = timezone.localdate().replace(day=1)
    bulletin = bulletins.bulletin_freeze(office=w.city, month=month, notes="", actor=office_user)
    bulletins.bulletin_publish(bulletin=bulletin, publish_ranking=True, actor=office_user)
    return _body(client.get(reverse("dashboards:bulletin_export", kwargs={"pk": bulletin.pk})))


# name → (how to fetch the file as unit A's admin, does it carry the hostile objects?)
EXPORTS = {
    "campaigns:excel_template": (_get("campaigns:excel_template"), False),
    "campaigns:task_export": (_get("campaigns:task_export", lambda h: {"pk": h.campaign.pk}), True),
    "ledger:export_workbook": (_job("ledger:export_workbook"), True),
    "ledger:export_archive": (_job("ledger:export_archive"), True),
    "evaluation:template_download": (_get("evaluation:template_download"), False),
    "evaluation:system_export": (_get("evaluation:system_export", lambda h: {"pk": h.system.pk}), True),
    "evaluation:round_export": (_get("evaluation:round_export", lambda h: {"pk": h.assessment.pk}), True),
    "evaluation:rectification_export": (
        _get("evaluation:rectification_export", lambda h: {"campaign_pk": h.campaign.pk}),
        True,
    ),
    "volunteers:import_template": (_get("volunteers:import_template"), False),
    "volunteers:export_volunteers": (_get("volunteers:export_volunteers", query=lambda h: {"year": YEAR}), True),
    "volunteers:export_records": (_get("volunteers:export_records", query=lambda h: {"year": YEAR}), True),
    "dashboards:bulletin_export": (_bulletin, False),
}
# Matched by the words above but not a workbook the project writes, with the reason.
NOT_DOWNLOADS = {
    "evaluation:template_doc": "the HTML page that explains the template",
    "ledger:file_download": "an uploaded evidence file, served as it was checked in (tests/ledger/)",
    "jobs:download": "serves the file a job wrote: the ledger_workbook / ledger_zip cases fetch through it",
    "ledger:export_archive_pdf": "starts the archive PDF job (a PDF, not a workbook: tests/ledger/test_archive_pdf.py)",
    "ledger:archive_download": "serves a built archive PDF (checked in tests/ledger/test_archive_pdf.py)",
    "dashboards:bulletin_pdf": "the 月度通报 as PDF, not a workbook (hostile text: tests/dashboards/test_bulletins.py)",
}


def test_every_export_url_has_a_case():
    """GIVEN the resolver WHEN its download-looking URLs are listed THEN each has an entry here, none is stale."""
    names = export_url_names()
    assert names - set(EXPORTS) - set(NOT_DOWNLOADS) == set(), "export URLs without a case in EXPORTS"
    assert (set(EXPORTS) | set(NOT_DOWNLOADS)) - names == set(), "entries for URLs that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["a_admin", "city_office"])
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_export_url_writes_no_formula_and_clean_text(hostile, name, actor, django_capture_on_commit_callbacks):
    """The unit's admin and the city office (who reads every unit) both get a clean file, never a 500."""
    fetch, carries = EXPORTS[name]
    client = Client()
    client.force_login(hostile.world.user(actor))
    data = fetch(client, hostile, django_capture_on_commit_callbacks)
    assert problems_in(data, expect_texts=carries) == []


EXPORT_COMMANDS = {
    "export_ledger xlsx": lambda h, out: call_command(
        "export_ledger", campaign=h.campaign.pk, year=YEAR, format="xlsx", output=str(out), include_unfinished=True
    ),
    "export_ledger zip": lambda h, out: call_command(
        "export_ledger", campaign=h.campaign.pk, year=YEAR, format="zip", output=str(out), include_unfinished=True
    ),
    "export_evaluation": lambda h, out: call_command("export_evaluation", str(h.system.pk), "-o", str(out)),
}


# django-import-export's generic `export` command dumps any model for an operator at the shell; it is not a
# download of the project (and writes through import-export's own escaping).
THIRD_PARTY_COMMANDS = {"export": "import_export"}


def test_every_export_command_has_a_case():
    commands = {name: app for name, app in get_commands().items() if name.startswith("export")}
    assert {name: app for name, app in commands.items() if name in THIRD_PARTY_COMMANDS} == THIRD_PARTY_COMMANDS
    assert set(commands) - set(THIRD_PARTY_COMMANDS) == {key.split()[0] for key in EXPORT_COMMANDS}


@pytest.mark.django_db
@pytest.mark.parametrize("command", sorted(EXPORT_COMMANDS))
def test_export_command_writes_no_formula_and_clean_text(hostile, command, tmp_path):
    out = tmp_path / "out.bin"
    EXPORT_COMMANDS[command](hostile, out)
    assert problems_in(out.read_bytes(), expect_texts=True) == []


# Ways to write a workbook without the safe writer; only organizations/spreadsheets.py may use them.
RAW_WRITERS = re.compile(r"\bWorkbook\(|\.export\(\s*[\"']xlsx|export_set\(|export_book\(")
WRITER = "organizations/spreadsheets.py"


def test_no_module_writes_a_workbook_around_the_safe_writer():
    """GIVEN the project's own code (not tests, not benchmarks) WHEN searched for direct workbook writes
    THEN only the safe writer makes one, so a new export cannot skip the escaping."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/", 1)[0] in {".venv", "tests", "bench", "node_modules"} or rel == WRITER:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if RAW_WRITERS.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == [], "write workbooks through organizations.spreadsheets"
