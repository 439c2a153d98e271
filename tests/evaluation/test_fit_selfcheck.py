"""Issue 14, item 4: comparing rounds, the round list's totals, 转整改 of many rows at once, 已销号 with proof."""

import datetime
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from evaluation import services
from evaluation.models import Criterion, RectificationItem, RectificationStatus
from evaluation.services import assessment_create, score_save, system_import
from evaluation.workbook import parse_workbook
from tests.factories import CampaignFactory, EventFactory, PhaseFactory, TaskFactory

from .workbooks import make_workbook

pytestmark = pytest.mark.django_db

ROWS = [
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.1", "领导班子研究创建工作", 10],
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.2", "制定年度实施方案", 4],
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.3", "建立创建工作台账", 6],
]


def _system():
    parsed = parse_workbook(make_workbook(ROWS, info={"名称": "自查测试体系"}))
    assert parsed.ok, parsed.errors
    return system_import(parsed=parsed)


def _crit(system, code):
    return Criterion.objects.get(system=system, code=code)


def test_compare_is_later_minus_earlier_whichever_round_it_is_opened_from(client, world):
    """GIVEN 1.1.1 fell from 6 (March) to 3 (June) WHEN the comparison is opened from either round THEN "-3"."""
    system = _system()
    campaign = CampaignFactory(unit=world.unit_a)
    march = assessment_create(campaign=campaign, system=system, name="三月自查", date=datetime.date(2026, 3, 1))
    june = assessment_create(campaign=campaign, system=system, name="六月自查", date=datetime.date(2026, 6, 1))
    score_save(assessment=march, criterion=_crit(system, "1.1.1"), points="6")
    score_save(assessment=june, criterion=_crit(system, "1.1.1"), points="3")
    client.force_login(world.user("a_leader"))
    for opened, other in ((june, march), (march, june)):
        r = client.get(reverse("evaluation:round_compare", args=[opened.pk]), {"other": other.pk})
        page = r.content.decode()
        cell = page.split('data-testid="change-1.1.1">', 1)[1].split("</td>", 1)[0]
        assert cell.strip() == "-3", (opened.name, cell)
        total = page.split('data-testid="total-change">', 1)[1].split("</td>", 1)[0]
        assert total.strip() == "-3"
        head = page.split("<thead>", 1)[1]
        assert head.index("三月自查") < head.index("六月自查")  # the earlier round's column comes first
        assert r.context["a"] == march and r.context["b"] == june
    # Opened from the newest without choosing: compares with the next newest, still later minus earlier.
    r = client.get(reverse("evaluation:round_compare", args=[june.pk]))
    assert r.context["a"] == march and r.context["b"] == june


def test_round_list_shows_each_rounds_total_and_percent_in_fixed_queries(client, world, django_assert_max_num_queries):
    system = _system()
    campaign = CampaignFactory(unit=world.unit_a)
    first = assessment_create(campaign=campaign, system=system, name="第一轮", date=datetime.date(2026, 3, 1))
    score_save(assessment=first, criterion=_crit(system, "1.1.1"), points="6")
    score_save(assessment=first, criterion=_crit(system, "1.1.2"), points="4")
    for n in range(6):
        r = assessment_create(campaign=campaign, system=system, name=f"第{n + 2}轮", date=datetime.date(2026, 4, n + 1))
        score_save(assessment=r, criterion=_crit(system, "1.1.3"), points="3")
    client.force_login(world.user("a_office"))
    url = reverse("evaluation:campaign_overview", args=[campaign.pk])
    with django_assert_max_num_queries(25) as captured:
        page = client.get(url).content.decode()
    few = len(captured.captured_queries)
    assert f'data-testid="round-total-{first.pk}">10 / 20' in page
    assert f'data-testid="round-percent-{first.pk}">50%' in page
    for n in range(10):
        assessment_create(campaign=campaign, system=system, name=f"追加{n}")
    with django_assert_max_num_queries(few):
        client.get(url)


def _scored_round(world):
    system = _system()
    campaign = CampaignFactory(unit=world.unit_a)
    a = assessment_create(campaign=campaign, system=system, name="第一轮自查")
    score_save(assessment=a, criterion=_crit(system, "1.1.1"), points="6", comment="纪要只有一次")
    score_save(assessment=a, criterion=_crit(system, "1.1.2"), points="4")  # full marks
    score_save(assessment=a, criterion=_crit(system, "1.1.3"), points="2")
    task = TaskFactory(campaign=campaign, lead_units=[world.dept_a])
    _crit(system, "1.1.1").tasks.add(task)
    return system, campaign, a


def test_all_lost_points_become_items_with_units_deadline_and_round_and_never_twice(client, world):
    """GIVEN two criteria below full marks (one linked to a task led by 甲办公室) WHEN 全部失分项转整改 → 确认
    THEN two items carry the round, the points lost, 甲办公室 and a 30-day deadline; a second 确认 adds nothing."""
    system, campaign, a = _scored_round(world)
    client.force_login(world.user("a_office"))
    url = reverse("evaluation:round_rectify", args=[a.pk])
    page = client.get(url, {"scope": "all"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="rectify-row-1.1.1"' in body and 'data-testid="rectify-row-1.1.3"' in body
    assert 'data-testid="rectify-row-1.1.2"' not in body  # full marks
    form = page.context["form"]
    c1 = _crit(system, "1.1.1")
    assert list(form[f"units-{c1.pk}"].initial) == [world.dept_a.pk]
    expected_deadline = timezone.localdate() + datetime.timedelta(days=30)
    assert form["deadline"].initial == expected_deadline
    assert not RectificationItem.objects.exists()  # the confirm page writes nothing

    post = {"scope": "all", "deadline": expected_deadline.isoformat(), f"units-{c1.pk}": [world.dept_a.pk]}
    r = client.post(url, post)
    assert r.status_code == 302 and f"round={a.pk}" in r["Location"]
    items = {i.criterion.code: i for i in RectificationItem.objects.select_related("criterion")}
    assert set(items) == {"1.1.1", "1.1.3"}
    assert items["1.1.1"].points_lost == D("4") and items["1.1.3"].points_lost == D("4")
    assert list(items["1.1.1"].responsible_units.all()) == [world.dept_a]
    assert all(i.assessment_id == a.pk and i.deadline == expected_deadline for i in items.values())
    assert "纪要只有一次" in items["1.1.1"].problem

    again = client.post(url, post)
    assert again.status_code == 302 and RectificationItem.objects.count() == 2
    assert "不会重复生成" in client.get(url, {"scope": "all"}).content.decode()
    # The 整改清单 shows (and filters by) the round.
    listing = client.get(reverse("evaluation:rectification_list", args=[campaign.pk]), {"round": a.pk})
    assert f'data-testid="round-of-{items["1.1.1"].pk}"' in listing.content.decode()
    assert "第一轮自查" in listing.content.decode()
    # …and so does its Excel export.
    out = client.get(reverse("evaluation:rectification_export", args=[campaign.pk]), {"round": a.pk})
    rows = list(openpyxl.load_workbook(io.BytesIO(out.content)).active.iter_rows(values_only=True))
    col = rows[0].index("来源自查")
    assert {r[col] for r in rows[1:]} == {"第一轮自查"}


def test_ticked_rows_only_and_single_button_prefills_too(client, world):
    system, _campaign, a = _scored_round(world)
    client.force_login(world.user("a_office"))
    c1, c3 = _crit(system, "1.1.1"), _crit(system, "1.1.3")
    url = reverse("evaluation:round_rectify", args=[a.pk])
    r = client.post(url, {"criteria": [c3.pk], "deadline": "2026-12-31"})
    assert r.status_code == 302
    assert list(RectificationItem.objects.values_list("criterion__code", flat=True)) == ["1.1.3"]
    # Nothing ticked: back to the round with a message, nothing created.
    r = client.get(url)
    assert r.status_code == 302 and RectificationItem.objects.count() == 1
    # The one-row button uses the same prefill.
    client.post(reverse("evaluation:rectify_from_score", args=[a.pk, c1.pk]))
    item = RectificationItem.objects.get(criterion=c1)
    assert list(item.responsible_units.all()) == [world.dept_a] and item.deadline is not None
    # 领导 reads the round but cannot turn points into items.
    client.force_login(world.user("a_leader"))
    assert client.get(url, {"scope": "all"}).status_code == 403


def test_default_deadline_is_the_rectification_phase_end_when_ahead(world):
    campaign = CampaignFactory(unit=world.unit_a)
    today = datetime.date(2026, 9, 1)
    assert services.rectification_default_deadline(campaign, today=today) == datetime.date(2026, 10, 1)
    PhaseFactory(
        campaign=campaign, name="整改提高阶段", start=datetime.date(2026, 9, 1), end=datetime.date(2026, 11, 30)
    )
    assert services.rectification_default_deadline(campaign, today=today) == datetime.date(2026, 11, 30)


def test_one_item_per_criterion_and_round_even_past_the_service(world):
    system, campaign, a = _scored_round(world)
    services.rectifications_from_round(assessment=a, criteria=[_crit(system, "1.1.1")])
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.create(campaign=campaign, assessment=a, criterion=_crit(system, "1.1.1"), problem="x")


def test_closing_needs_a_verification_note_and_proof(client, world):
    """GIVEN an open item WHEN 已销号 is chosen without 核验意见 or without any proof THEN refused next to the field."""
    campaign = CampaignFactory(unit=world.unit_a)
    item = services.rectification_create(campaign=campaign, problem="宣传栏未更新")
    with pytest.raises(services.EvaluationError, match="核验意见"):
        services.rectification_update(item=item, status=RectificationStatus.CLOSED, verification_note="已核验")
    item.refresh_from_db()
    assert item.status == RectificationStatus.PENDING
    client.force_login(world.user("a_office"))
    edit = reverse("evaluation:rectification_edit", args=[item.pk])
    r = client.post(edit, {"problem": "宣传栏未更新", "status": "closed"})
    body = r.content.decode()
    assert r.status_code == 200 and "销号须填写核验意见" in body and "销号须提供佐证" in body
    r = client.post(edit, {"problem": "宣传栏未更新", "status": "closed", "verification_note": "现场核验已更新"})
    assert r.status_code == 200 and "销号须提供佐证" in r.content.decode()
    item.refresh_from_db()
    assert item.status == RectificationStatus.PENDING
    event = EventFactory(campaign=campaign)
    r = client.post(
        edit,
        {
            "problem": "宣传栏未更新",
            "status": "closed",
            "verification_note": "现场核验已更新",
            "proof_events": [event.pk],
        },
    )
    item.refresh_from_db()
    assert r.status_code == 302 and item.status == RectificationStatus.CLOSED
    # A link is proof enough too.
    other = services.rectification_create(
        campaign=campaign,
        problem="网站未更新",
        status=RectificationStatus.CLOSED,
        verification_note="已核验",
        proof_links="https://example.org/news/1",
    )
    assert other.status == RectificationStatus.CLOSED
