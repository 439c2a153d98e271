"""测评: systems are shared read-only with every signed-in user; rounds, scores, rectifications and tags belong to
the campaign's unit (read by whoever reads the campaign, changed by the unit's 管理员/创建办; unit B → 404)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from . import A_ALL, A_UNIT_LEVEL, CITY, Case, only, outcomes

IMPORTERS = ("city_admin", "city_office", "a_admin", "a_office", "b_admin", "b_office")
A_WRITERS = ("a_admin", "a_office")
READERS_OF_A = (*CITY, *A_ALL)


def _build(w):
    from evaluation.models import Criterion
    from evaluation.services import assessment_create, rectification_create, score_save, system_import
    from evaluation.workbook import parse_workbook
    from ledger.uploads import check_file
    from tests.evaluation.workbooks import make_workbook
    from tests.factories import CampaignFactory, EventFactory, TaskFactory
    from tests.ledger import samples

    parsed = parse_workbook(
        make_workbook(
            [["1", "创建工作机制", 4, "1.1", "组织领导", 4, "1.1.1", "班子研究2次", 4, "", "材料审核", "2次纪要"]],
            info={"名称": "权限测试体系"},
            negatives=[["1", "重大事故", "一票否决", None, 24]],
            bonuses=[["1", "省级表彰", 2]],
        )
    )
    system = system_import(parsed=parsed)
    campaign = CampaignFactory(unit=w.unit_a)
    assessment = assessment_create(campaign=campaign, system=system, name="第一轮")
    criterion = Criterion.objects.get(system=system)
    score_save(assessment=assessment, criterion=criterion, points="2")
    return SimpleNamespace(
        system=system,
        campaign=campaign,
        assessment=assessment,
        criterion=criterion,
        task=TaskFactory(campaign=campaign),
        event_unit=EventFactory(campaign=campaign, organization=w.unit_a),
        event_dept=EventFactory(campaign=campaign, organization=w.dept_a),
        rectification=rectification_create(
            campaign=campaign,
            problem="缺少会议纪要",
            points_lost=Decimal("1"),
            proof=check_file("整改佐证.pdf", samples.pdf("proof")),
        ),
    )


def ev(w):
    return w.once("evaluation", lambda: _build(w))


def writes(status: int = 302) -> dict[str, int]:
    """Unit A's admin/创建办 write; other readers of A are refused (403); unit B never sees it (404)."""
    table = only(403, READERS_OF_A)
    for actor in A_WRITERS:
        table[actor] = status
    return table


reads = only(200, READERS_OF_A)

CASES = [
    Case("evaluation:system_detail", outcomes(200), kwargs=lambda w: {"pk": ev(w).system.pk}, label="shared"),
    Case("evaluation:system_export", outcomes(200), kwargs=lambda w: {"pk": ev(w).system.pk}, label="shared"),
    Case("evaluation:system_weight", only(200, IMPORTERS, otherwise=403), kwargs=lambda w: {"pk": ev(w).system.pk}),
    Case(
        "evaluation:system_weight",
        only(302, IMPORTERS, otherwise=403),
        kwargs=lambda w: {"pk": ev(w).system.pk},
        method="post",
        data=lambda w: {"name": "赋分版", "item-1": "10", "ind-1.1": "10", "crit-1.1.1": "10", "total_points": "10"},
    ),
    Case("evaluation:template_download", outcomes(200)),
    Case("evaluation:template_doc", outcomes(200)),
    Case("evaluation:system_import", only(200, IMPORTERS, otherwise=403)),
    Case("evaluation:system_import", only(200, IMPORTERS, otherwise=403), method="post", data=lambda w: {}),
    Case("evaluation:system_import_published", only(200, IMPORTERS, otherwise=403)),
    Case("evaluation:system_import_published", only(200, IMPORTERS, otherwise=403), method="post", data=lambda w: {}),
    Case("evaluation:campaign_overview", reads, kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk}),
    Case(
        "evaluation:system_adopt",
        writes(),
        kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk},
        method="post",
        data=lambda w: {"system": ev(w).system.pk},
    ),
    Case(
        "evaluation:round_create",
        writes(),
        kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk},
        method="post",
        data=lambda w: {"system": ev(w).system.pk, "name": "第二轮", "date": "2026-09-01"},
    ),
    Case(
        "evaluation:coverage",
        reads,
        kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk, "system_pk": ev(w).system.pk},
    ),
    Case("evaluation:rectification_list", reads, kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk}),
    Case("evaluation:rectification_export", reads, kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk}),
    Case("evaluation:rectification_create", writes(200), kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk}),
    Case(
        "evaluation:rectification_create",
        writes(),
        kwargs=lambda w: {"campaign_pk": ev(w).campaign.pk},
        method="post",
        data=lambda w: {"problem": "手工添加", "status": "pending"},
    ),
    Case("evaluation:rectification_edit", reads, kwargs=lambda w: {"pk": ev(w).rectification.pk}),
    Case(
        "evaluation:rectification_proof",
        reads,
        kwargs=lambda w: {"pk": ev(w).rectification.pk},
        label="unit A's proof file",
    ),
    Case(
        "evaluation:rectification_edit",
        writes(),
        kwargs=lambda w: {"pk": ev(w).rectification.pk},
        method="post",
        data=lambda w: {"problem": "缺少会议纪要", "status": "in_progress"},
    ),
    Case("evaluation:round_detail", reads, kwargs=lambda w: {"pk": ev(w).assessment.pk}),
    Case("evaluation:round_export", reads, kwargs=lambda w: {"pk": ev(w).assessment.pk}),
    Case("evaluation:round_compare", reads, kwargs=lambda w: {"pk": ev(w).assessment.pk}),
    Case(
        "evaluation:score_save",
        writes(200),
        kwargs=lambda w: {"pk": ev(w).assessment.pk, "criterion_pk": ev(w).criterion.pk},
        method="post",
        data=lambda w: {"points": "2", "comment": "只有1次纪要"},
        htmx=True,
    ),
    Case(
        "evaluation:rectify_from_score",
        writes(),
        kwargs=lambda w: {"pk": ev(w).assessment.pk, "criterion_pk": ev(w).criterion.pk},
        method="post",
    ),
    Case(
        "evaluation:round_rectify",
        writes(200),
        kwargs=lambda w: {"pk": ev(w).assessment.pk},
        data=lambda w: {"scope": "all"},
    ),
    Case(
        "evaluation:round_rectify",
        writes(),
        kwargs=lambda w: {"pk": ev(w).assessment.pk},
        method="post",
        data=lambda w: {"scope": "all", "deadline": "2026-12-31"},
    ),
    Case("evaluation:bonus_save", writes(), kwargs=lambda w: {"pk": ev(w).assessment.pk}, method="post"),
    Case("evaluation:negative_save", writes(), kwargs=lambda w: {"pk": ev(w).assessment.pk}, method="post"),
    Case("evaluation:round_lock", writes(), kwargs=lambda w: {"pk": ev(w).assessment.pk}, method="post"),
    Case("evaluation:task_tags", reads, kwargs=lambda w: {"task_pk": ev(w).task.pk}),
    Case(
        "evaluation:task_tags",
        writes(),
        kwargs=lambda w: {"task_pk": ev(w).task.pk},
        method="post",
        data=lambda w: {"criteria": [ev(w).criterion.pk]},
    ),
    Case(
        "evaluation:event_tags",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"event_pk": ev(w).event_unit.pk},
        label="the unit's own dossier",
    ),
    Case(
        "evaluation:event_tags",
        reads,
        kwargs=lambda w: {"event_pk": ev(w).event_dept.pk},
        label="a department's dossier",
    ),
    Case(
        "evaluation:event_tags",
        {**writes(), "a_liaison": 302},
        kwargs=lambda w: {"event_pk": ev(w).event_dept.pk},
        method="post",
        data=lambda w: {"criteria": [ev(w).criterion.pk]},
        label="a department's dossier",
    ),
]


def overdue_rectification(w):
    """An open rectification item of unit A past its deadline, for A's department (催办 reaches a_liaison)."""
    import datetime

    from tests.factories import RectificationItemFactory

    def build():
        item = RectificationItemFactory(
            campaign=ev(w).campaign, responsible_person="", deadline=datetime.date(2026, 1, 5)
        )
        item.responsible_units.set([w.dept_a])
        return item

    return w.once("overdue_rectification", build)


CASES += [
    Case(
        "evaluation:rectification_urge",
        {**writes(409)},
        kwargs=lambda w: {"pk": ev(w).rectification.pk},
        method="post",
        label="no deadline: not overdue, refused in Chinese (409)",
    ),
    Case(
        "evaluation:rectification_urge",
        {**writes(302), "a_office": 409},
        kwargs=lambda w: {"pk": overdue_rectification(w).pk},
        method="post",
        data=lambda w: {"text": "请本周内完成"},
        label="overdue: A's admin urges (302), A's 创建办 the same day is refused (409)",
    ),
]
