"""Pages: the self-inspection sheet (query count, htmx save, totals), rectifications, coverage, tags, import."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from evaluation.models import Criterion, RectificationItem, Score, ScoringStyle
from evaluation.services import assessment_create, score_save, system_import
from evaluation.workbook import parse_workbook
from tests.factories import CampaignFactory, EventFactory, TaskFactory

from .workbooks import make_workbook

pytestmark = pytest.mark.django_db


def big_system(n_criteria: int = 300):
    rows = []
    styles = ["", "等级", "扣分", "是否"]
    for i in range(n_criteria):
        item, ind = i // 30 + 1, i // 5 + 1
        rows.append(
            [
                str(item),
                f"测评项目{item}",
                15,
                f"{item}.{ind}",
                f"测评指标{ind}",
                2.5,
                f"{item}.{ind}.{i + 1}",
                f"测评标准内容{i + 1}",
                0.5,
                styles[i % 4],
                "材料审核",
                "提供2次会议纪要（图片3张）",
            ]
        )
    data = make_workbook(
        rows,
        info={"名称": "三百条体系", "加分上限": 5},
        negatives=[["1", "重大事故", "一票否决", None, 24], ["2", "媒体曝光", "扣分", 2, 12]],
        bonuses=[["1", "省级表彰", 3]],
    )
    parsed = parse_workbook(data)
    assert parsed.ok, parsed.errors[:3]
    return system_import(parsed=parsed)


def test_round_page_of_300_criteria_renders_in_fixed_queries(client, world, django_assert_max_num_queries):
    """GIVEN a 300-criterion system with scores, tags and evidence WHEN 创建办 opens the round THEN ≤ 20 queries."""
    system = big_system()
    campaign = CampaignFactory(unit=world.unit_a)
    a = assessment_create(campaign=campaign, system=system, name="第一轮")
    criteria = list(Criterion.objects.filter(system=system).order_by("order"))
    events = [EventFactory(campaign=campaign) for _ in range(5)]
    for n, c in enumerate(criteria[:40]):
        c.events.add(events[n % 5])
        c.tasks.add(TaskFactory(campaign=campaign)) if n < 5 else None
        if c.style == ScoringStyle.POINTS:
            s = score_save(assessment=a, criterion=c, points="0.5", evidence_events=[events[0]])
        elif c.style == ScoringStyle.GRADE:
            s = score_save(assessment=a, criterion=c, grade="B")
        elif c.style == ScoringStyle.DEDUCTION:
            s = score_save(assessment=a, criterion=c, deductions=[{"points": "0.5", "reason": "缺纪要"}])
        else:
            s = score_save(assessment=a, criterion=c, passed=False)
        assert s.value is not None
    client.force_login(world.user("a_office"))
    url = reverse("evaluation:round_detail", args=[a.pk])
    with django_assert_max_num_queries(20) as captured:
        response = client.get(url)
    print(f"round page, 300 criteria: {len(captured.captured_queries)} queries")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="row-') == 300


def test_htmx_save_updates_row_and_totals_and_rectify_prefills_points_lost(client, world):
    system = big_system(8)
    campaign = CampaignFactory(unit=world.unit_a)
    a = assessment_create(campaign=campaign, system=system, name="第一轮")
    c = Criterion.objects.get(system=system, code="1.1.1")
    client.force_login(world.user("a_office"))
    url = reverse("evaluation:score_save", args=[a.pk, c.pk])
    bad = client.post(url, {"points": "0.3", "comment": "保留我"}, headers={"HX-Request": "true"})
    assert "0.5 分为单位" in bad.content.decode() and "保留我" in bad.content.decode()
    ok = client.post(url, {"points": "0", "comment": "缺会议纪要"}, headers={"HX-Request": "true"})
    body = ok.content.decode()
    assert ok.status_code == 200 and 'hx-swap-oob="true"' in body and 'id="totals"' in body
    assert Score.objects.get(assessment=a, criterion=c).value == D("0")
    r = client.post(reverse("evaluation:rectify_from_score", args=[a.pk, c.pk]))
    item = RectificationItem.objects.get()
    assert r.status_code == 302 and item.points_lost == D("0.5") and "缺会议纪要" in item.problem
    # locked rounds refuse changes
    client.post(reverse("evaluation:round_lock", args=[a.pk]))
    again = client.post(url, {"points": "0.5"}, headers={"HX-Request": "true"})
    assert "定稿" in again.content.decode()
    assert Score.objects.get(assessment=a, criterion=c).value == D("0")


def test_veto_shows_disqualified_whatever_the_score(client, world):
    system = big_system(4)
    campaign = CampaignFactory(unit=world.unit_a)
    a = assessment_create(campaign=campaign, system=system, name="第一轮")
    for c in Criterion.objects.filter(system=system, style=ScoringStyle.POINTS):
        score_save(assessment=a, criterion=c, points=str(c.points))
    client.force_login(world.user("a_office"))
    veto = system.negative_items.get(code="1")
    client.post(reverse("evaluation:negative_save", args=[a.pk]), {f"neg-{veto.pk}": "1"})
    page = client.get(reverse("evaluation:round_detail", args=[a.pk])).content.decode()
    assert 'data-testid="veto"' in page and "一票否决" in page and "不合格" in page


def test_round_export_compare_and_rectification_export(client, world):
    system = big_system(8)
    campaign = CampaignFactory(unit=world.unit_a)
    first = assessment_create(campaign=campaign, system=system, name="第一轮")
    second = assessment_create(campaign=campaign, system=system, name="第二轮")
    c = Criterion.objects.get(system=system, code="1.1.1")
    score_save(assessment=first, criterion=c, points="0")
    score_save(assessment=second, criterion=c, points="0.5")
    client.force_login(world.user("a_leader"))
    xlsx = client.get(reverse("evaluation:round_export", args=[first.pk]))
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert any(row[2] == "1.1.1" and row[6] == 0 for row in ws.iter_rows(values_only=True))
    compare = client.get(reverse("evaluation:round_compare", args=[first.pk]), {"other": second.pk}).content.decode()
    assert "第二轮" in compare and "+0.5" in compare
    from evaluation.services import rectification_create

    rectification_create(
        campaign=campaign, problem="手工添加的问题", deadline=D and __import__("datetime").date(2020, 1, 1)
    )
    listing = client.get(
        reverse("evaluation:rectification_list", args=[campaign.pk]), {"overdue": "1"}
    ).content.decode()
    assert "手工添加的问题" in listing and "逾期" in listing
    out = client.get(reverse("evaluation:rectification_export", args=[campaign.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(out.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("标准编号", "存在问题") and rows[1][1] == "手工添加的问题" and "逾期" in rows[1]


def test_coverage_and_tagging(client, world):
    system = big_system(4)
    campaign = CampaignFactory(unit=world.unit_a)
    assessment_create(campaign=campaign, system=system, name="第一轮")
    event = EventFactory(campaign=campaign, organization=world.dept_a)
    task = TaskFactory(campaign=campaign)
    c = Criterion.objects.get(system=system, code="1.1.1")
    client.force_login(world.user("a_liaison"))
    r = client.post(reverse("evaluation:event_tags", args=[event.pk]), {"criteria": [c.pk]})
    assert r.status_code == 302 and list(event.criteria.all()) == [c]
    assert client.post(reverse("evaluation:task_tags", args=[task.pk]), {"criteria": [c.pk]}).status_code == 403
    client.force_login(world.user("a_office"))
    assert client.post(reverse("evaluation:task_tags", args=[task.pk]), {"criteria": [c.pk]}).status_code == 302
    page = client.get(reverse("evaluation:coverage", args=[campaign.pk, system.pk])).content.decode()
    assert "需2次会议纪要" in page and "已有" in page and task.title in page and event.title in page


def test_import_page_preview_then_confirm(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.models import EvaluationSystem

    client.force_login(world.user("a_office"))
    data = make_workbook([["1", "项目", 2, "1.1", "指标", 2, "1.1.1", "标准", 2]], info={"名称": "网页导入"})
    r = client.post(reverse("evaluation:system_import"), {"file": SimpleUploadedFile("a.xlsx", data)})
    assert "确认导入</button>" in r.content.decode() and EvaluationSystem.objects.count() == 0
    token = r.context["token"]
    r = client.post(reverse("evaluation:system_import"), {"token": token})
    assert r.status_code == 302 and EvaluationSystem.objects.get().name == "网页导入"
    bad = make_workbook([["1", "项目", "两分"]])
    r = client.post(reverse("evaluation:system_import"), {"file": SimpleUploadedFile("b.xlsx", bad)})
    assert r.context["preview"].errors == ["测评体系 第2行：项目分值“两分”不是数字"]
    assert "第2行：项目分值“两分”不是数字" in r.content.decode() and "确认导入</button>" not in r.content.decode()


def test_weighting_a_system_without_points_saves_a_new_version(client, world):
    """GIVEN the 2012 national excerpt (most items without points) WHEN an office fills points THEN a new version."""
    from evaluation.models import EvaluationSystem
    from evaluation.selectors import system_snapshot

    from .workbooks import NATIONAL_2012, sample_to_workbook

    data, _ = sample_to_workbook(NATIONAL_2012)
    original = system_import(parsed=parse_workbook(data, filename="national.xlsx"))
    client.force_login(world.user("city_office"))
    url = reverse("evaluation:system_weight", args=[original.pk])
    bad = client.post(url, {"name": "全国体系（本市赋分）", "item-2": "八分"})
    assert "必须是数字" in bad.content.decode() and EvaluationSystem.objects.count() == 1
    assert 'value="八分"' in bad.content.decode()
    r = client.post(url, {"name": "全国体系（本市赋分）", "item-1": "14", "item-2": "8", "crit-1.3.1": "6"})
    weighted = EvaluationSystem.objects.get(name="全国体系（本市赋分）")
    assert r.status_code == 302
    assert weighted.items.get(code="2").points == D("8")
    assert Criterion.objects.get(system=weighted, code="1.3.1").points == D("6")
    assert original.items.get(code="2").points is None  # the shared original is untouched
    assert len(system_snapshot(weighted)["items"]) == len(system_snapshot(original)["items"])


def test_rectification_form_by_hand_keeps_input_and_edits(client, world):
    from evaluation.models import RectificationStatus

    campaign = CampaignFactory(unit=world.unit_a)
    event = EventFactory(campaign=campaign)
    other_unit_event = EventFactory()
    client.force_login(world.user("a_office"))
    url = reverse("evaluation:rectification_create", args=[campaign.pk])
    r = client.post(url, {"problem": "", "measure": "补开会议", "status": "pending"})
    assert r.status_code == 200 and "请填写存在问题" in r.content.decode() and "补开会议" in r.content.decode()
    r = client.post(url, {"problem": "宣传栏未更新", "status": "pending", "proof_events": [other_unit_event.pk]})
    assert r.status_code == 200 and not RectificationItem.objects.exists()  # another campaign's dossier is refused
    r = client.post(
        url,
        {
            "problem": "宣传栏未更新",
            "measure": "每月更新",
            "status": "pending",
            "deadline": "2026-12-20",
            "responsible_units": [world.dept_a.pk],
            "proof_events": [event.pk],
        },
    )
    item = RectificationItem.objects.get()
    assert r.status_code == 302 and list(item.responsible_units.all()) == [world.dept_a]
    edit = reverse("evaluation:rectification_edit", args=[item.pk])
    # 已销号 needs a 核验意见 and proof (issue 14): the dossier chosen at creation stays as proof.
    r = client.post(
        edit, {"problem": "宣传栏未更新", "status": "closed", "verification_note": "已核验", "proof_events": [event.pk]}
    )
    item.refresh_from_db()
    assert r.status_code == 302 and item.status == RectificationStatus.CLOSED and item.verification_note == "已核验"
    listing = client.get(reverse("evaluation:rectification_list", args=[campaign.pk]), {"status": "closed"})
    assert "宣传栏未更新" in listing.content.decode()
    empty = client.get(reverse("evaluation:rectification_list", args=[campaign.pk]), {"status": "pending"})
    assert "宣传栏未更新" not in empty.content.decode()


def test_coverage_page_queries_do_not_grow_with_the_system(client, world, django_assert_max_num_queries):
    system = big_system(300)
    campaign = CampaignFactory(unit=world.unit_a)
    assessment_create(campaign=campaign, system=system, name="第一轮")
    events = [EventFactory(campaign=campaign) for _ in range(3)]
    for n, c in enumerate(Criterion.objects.filter(system=system)[:60]):
        c.events.add(events[n % 3])
        c.tasks.add(TaskFactory(campaign=campaign))
    client.force_login(world.user("city_office"))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("evaluation:coverage", args=[campaign.pk, system.pk]))
    assert response.status_code == 200 and response.content.decode().count('data-testid="coverage-') == 300
