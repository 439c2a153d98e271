"""月度通报: a frozen month, published by the office; units see their own row, the ranking only when published."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import bulletins
from dashboards.models import UnitSnapshot
from notifications.models import Notice
from tests.factories import UnitSnapshotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(world):
    today = timezone.localdate()
    for unit, done in ((world.unit_a, 40.0), (world.unit_b, 90.0)):
        UnitSnapshotFactory(unit=unit, date=today, measures={"task_done_pct": done, "tasks_overdue": 1})
    return today.replace(day=1)


def _freeze(world, month, **kw):
    return bulletins.bulletin_freeze(
        office=world.city, month=month, notes="本月总体平稳", actor=world.user("city_office"), **kw
    )


def test_freeze_copies_the_month_and_a_later_snapshot_changes_nothing(world, month):
    b = _freeze(world, month)
    assert [(r["unit_name"], r["rank"]) for r in b.rows] == [(world.unit_b.name, 1), (world.unit_a.name, 2)]
    UnitSnapshot.objects.update(measures={"task_done_pct": 0.0})
    b.refresh_from_db()
    assert b.rows[0]["cells"][0]["value"] == 90.0
    bulletins.bulletin_publish(bulletin=b, publish_ranking=False, actor=world.user("city_admin"))
    with pytest.raises(bulletins.BulletinError, match="已发布，不能重新编制"):
        _freeze(world, month)


@pytest.mark.parametrize(
    ("raw", "message"),
    [("2026/13", "月份格式"), ("abc", "月份格式"), ("2099-01", "未来月份"), ("2001-01", "还没有单位快照")],
)
def test_freeze_refuses(world, month, raw, message):
    with pytest.raises(bulletins.BulletinError, match=message):
        _freeze(world, bulletins.parse_month(raw))


def test_units_see_their_own_row_and_the_ranking_only_when_published(world, month, client):
    b = _freeze(world, month)
    url = reverse("dashboards:bulletin_detail", kwargs={"pk": b.pk})
    client.force_login(world.user("a_office"))
    assert client.get(url).status_code == 404  # a draft is the office's
    bulletins.bulletin_publish(bulletin=b, publish_ranking=False, actor=world.user("city_office"))
    assert Notice.objects.filter(user=world.user("a_office"), title__contains="通报已发布").exists()
    body = client.get(url).content.decode()
    assert f'data-unit="{world.unit_a.pk}"' in body and world.unit_b.name not in body
    assert "名次" not in body
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("dashboards:bulletin_export", kwargs={"pk": b.pk})).content)
    ).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][0] == world.unit_a.name and "名次" not in values[0]
    client.force_login(world.user("a_liaison"))
    assert client.get(url).status_code == 404
    # The city office always sees the whole ranking.
    client.force_login(world.user("city_leader"))
    body = client.get(url).content.decode()
    assert world.unit_b.name in body and "名次" in body


def test_published_ranking_is_shown_to_units(world, month, client):
    b = _freeze(world, month)
    client.force_login(world.user("city_office"))
    response = client.post(reverse("dashboards:bulletin_publish", kwargs={"pk": b.pk}), {"publish_ranking": "on"})
    assert response.status_code == 302
    client.force_login(world.user("b_leader"))
    body = client.get(reverse("dashboards:bulletin_detail", kwargs={"pk": b.pk})).content.decode()
    assert world.unit_a.name in body and "名次" in body
    again = client.post(reverse("dashboards:bulletin_publish", kwargs={"pk": b.pk}))
    assert again.status_code == 403


def test_create_view_answers_400_in_chinese(world, client):
    client.force_login(world.user("city_office"))
    response = client.post(reverse("dashboards:bulletin_create"), {"month": "明年"})
    assert response.status_code == 400 and "月份格式" in response.content.decode()
    last = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    response = client.post(reverse("dashboards:bulletin_create"), {"month": last})
    assert response.status_code == 400 and "还没有单位快照" in response.content.decode()


def _pdf_text(data: bytes) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", "", text), len(reader.pages)  # table cells wrap: compare without the line breaks


def test_pdf_shows_each_reader_what_the_page_shows(world, month, client):
    """GIVEN a published 通报 without its ranking WHEN unit A and the office download the PDF THEN A's PDF has its
    own row only and no 名次; the office's has both units ranked; both are A4 landscape in Noto CJK."""
    import subprocess
    import tempfile

    b = _freeze(world, month)
    bulletins.bulletin_publish(bulletin=b, publish_ranking=False, actor=world.user("city_office"))
    url = reverse("dashboards:bulletin_pdf", kwargs={"pk": b.pk})
    client.force_login(world.user("a_leader"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    text, pages = _pdf_text(response.content)
    assert pages == 1
    assert world.unit_a.name in text and world.unit_b.name not in text and "名次" not in text
    assert "本月总体平稳" in text
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(response.content)
        fh.flush()
        fonts = subprocess.run(["pdffonts", fh.name], capture_output=True, text=True, check=True).stdout
        size = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto-?Sans-?CJK", fonts), fonts
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", size).groups())
    assert width > height  # landscape
    client.force_login(world.user("city_leader"))
    text, _ = _pdf_text(client.get(url).content)
    assert world.unit_a.name in text and world.unit_b.name in text and "名次" in text
    # A draft is the office's; a unit gets 404, as for the page.
    from tests.factories import BulletinFactory

    draft = BulletinFactory(office=world.city, month=datetime.date(2020, 1, 1), rows=b.rows)
    client.force_login(world.user("a_office"))
    assert client.get(reverse("dashboards:bulletin_pdf", kwargs={"pk": draft.pk})).status_code == 404
    client.force_login(world.user("city_office"))
    text, _ = _pdf_text(client.get(reverse("dashboards:bulletin_pdf", kwargs={"pk": draft.pk})).content)
    assert "草稿" in text


def test_pdf_of_hostile_notes_is_text_and_fetches_nothing(world, month, client, caplog):
    """GIVEN notes that look like HTML pointing at the network and at local files WHEN the PDF is rendered THEN the
    markup is printed as text (escaped) and the renderer's url_fetcher is asked for nothing it refuses."""
    hostile = (
        '<img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="file:///etc/passwd"><script>alert(1)</script>'
    )
    b = bulletins.bulletin_freeze(office=world.city, month=month, notes=hostile, actor=world.user("city_office"))
    client.force_login(world.user("city_office"))
    with caplog.at_level("WARNING"):
        response = client.get(reverse("dashboards:bulletin_pdf", kwargs={"pk": b.pk}))
    assert response.status_code == 200
    text, _ = _pdf_text(response.content)
    assert '<imgsrc="http://127.0.0.1:9/x.png">' in text
    assert "root:" not in text
    assert "refused" not in caplog.text
