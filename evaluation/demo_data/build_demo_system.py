"""Write `demo_system.xlsx`, the demo 测评体系 the project ships (our own invented text, shaped like real systems:
points per criterion, an indicator scored by grades, one by deductions, yes/no criteria, bonus items, a negative
list). Run `python -m evaluation.demo_data.build_demo_system` from the repository root to regenerate it; seed_demo
imports the file through the same importer users run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "demo_system.xlsx"

# (code, name, points, [(code, name, points, methods, [(code, text, points, style, methods, evidence, slots)])])
ITEMS = [
    (
        "1",
        "组织领导",
        20,
        [
            (
                "1.1",
                "领导机制",
                10,
                "",
                [
                    (
                        "1.1.1",
                        "成立由主要负责同志任组长的文明单位创建工作领导小组",
                        4,
                        "points",
                        "材料审核",
                        "提供成立领导小组的正式文件",
                        [],
                    ),
                    (
                        "1.1.2",
                        "领导班子每年专题研究创建工作不少于2次",
                        6,
                        "points",
                        "材料审核、听取汇报",
                        "提供2次班子会议纪要",
                        [],
                    ),
                ],
            ),
            (
                "1.2",
                "工作保障",
                10,
                "",
                [
                    ("1.2.1", "制定年度创建工作实施方案", 4, "yes_no", "材料审核", "提供年度实施方案", []),
                    (
                        "1.2.2",
                        "配备专兼职工作人员，创建经费有保障",
                        6,
                        "points",
                        "材料审核、个别座谈",
                        "提供人员分工文件和经费安排",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "2",
        "思想道德建设",
        25,
        [
            (
                "2.1",
                "理论学习",
                12,
                "",
                [
                    ("2.1.1", "坚持理论学习中心组学习制度", 6, "grade", "材料审核", "提供4次中心组学习记录", []),
                    (
                        "2.1.2",
                        "开展社会主义核心价值观宣传教育",
                        6,
                        "grade",
                        "材料审核、问卷调查",
                        "提供2次活动图文资料（每次图片3张）",
                        ["photo"],
                    ),
                ],
            ),
            (
                "2.2",
                "道德实践",
                13,
                "",
                [
                    (
                        "2.2.1",
                        "定期举办道德讲堂",
                        7,
                        "points",
                        "材料审核、实地考察",
                        "提供2次道德讲堂活动资料，现场图片3张",
                        ["photo"],
                    ),
                    ("2.2.2", "选树宣传身边好人和先进典型", 6, "points", "材料审核", "提供先进典型事迹材料", []),
                ],
            ),
        ],
    ),
    (
        "3",
        "志愿服务",
        20,
        [
            (
                "3.1",
                "志愿服务组织与活动",
                20,
                "",
                [
                    ("3.1.1", "干部职工注册志愿者比例不低于20%", 8, "points", "网上测评", "提供注册志愿者名册", []),
                    (
                        "3.1.2",
                        "每季度至少开展1次志愿服务活动",
                        12,
                        "points",
                        "材料审核、实地考察",
                        "提供4次志愿服务活动资料（每次图片3张）",
                        ["photo", "signin"],
                    ),
                ],
            ),
        ],
    ),
    (
        "4",
        "文明服务与环境",
        20,
        [
            (
                "4.1",
                "服务窗口规范",
                10,
                "",
                [
                    (
                        "4.1.1",
                        "窗口服务规范、文明用语，无有效投诉（每发现一处不规范扣0.5分）",
                        10,
                        "deduction",
                        "实地考察",
                        "",
                        [],
                    ),
                ],
            ),
            (
                "4.2",
                "环境整洁",
                10,
                "",
                [
                    ("4.2.1", "办公区域整洁有序（每发现一处脏乱扣0.5分）", 5, "deduction", "实地考察", "", []),
                    ("4.2.2", "开展生活垃圾分类", 5, "yes_no", "实地考察", "", []),
                ],
            ),
        ],
    ),
    (
        "5",
        "创建档案与宣传",
        15,
        [
            (
                "5.1",
                "台账管理",
                15,
                "",
                [
                    (
                        "5.1.1",
                        "坚持一事一档，方案、签到、图片、总结齐全",
                        8,
                        "points",
                        "材料审核",
                        "每项活动有方案、签到表、图片、总结",
                        ["plan", "signin", "photo", "summary"],
                    ),
                    ("5.1.2", "创建工作在主流媒体宣传报道", 7, "points", "网上测评", "提供媒体报道截图2次", ["media"]),
                ],
            ),
        ],
    ),
]
BONUSES = [
    ("1", "特色工作获市级以上表彰", 3),
    ("2", "创建工作经验在市级以上会议交流", 2),
    ("3", "志愿服务项目获市级以上奖项", 2),
]
NEGATIVES = [
    ("1", "领导班子成员发生严重违纪违法行为", "veto", None, 24),
    ("2", "发生重大安全生产或食品安全责任事故", "veto", None, 24),
    ("3", "发生造成恶劣影响的负面舆情事件", "deduct", 5, 12),
    ("4", "被上级部门通报批评", "warning", None, 12),
]
META = {
    "name": "某市文明单位测评体系（演示）",
    "level": "市级",
    "year": "2026",
    "issuer": "某市文明办（演示数据）",
    "total_points": Decimal("100"),
    "bonus_cap": Decimal("5"),
    "notes": "演示用测评体系，内容为本项目自拟。",
    "grades": {"A": Decimal(100), "B": Decimal(66), "C": Decimal(33), "D": Decimal(0)},
}


def _rule(evidence: str) -> tuple[int | None, int | None]:
    from evaluation.workbook import rule_from_text

    return rule_from_text(evidence)


def snapshot() -> dict:
    items = []
    for code, name, points, indicators in ITEMS:
        inds = []
        for icode, iname, ipoints, imethods, criteria in indicators:
            crits = []
            for ccode, text, cpoints, style, methods, evidence, slots in criteria:
                dossiers, photos = _rule(evidence)
                if slots and not dossiers:
                    dossiers = 1
                crits.append(
                    {
                        "code": ccode,
                        "text": text,
                        "points": Decimal(cpoints),
                        "style": style,
                        "methods": methods,
                        "evidence_text": evidence,
                        "rule_min_dossiers": dossiers,
                        "rule_min_photos": photos,
                        "rule_slots": slots,
                        "rule_period_months": 12 if dossiers else None,
                    }
                )
            inds.append(
                {"code": icode, "name": iname, "points": Decimal(ipoints), "methods": imethods, "criteria": crits}
            )
        items.append({"code": code, "name": name, "points": Decimal(points), "indicators": inds})
    return {
        "meta": META,
        "items": items,
        "negatives": [
            {"code": c, "text": t, "consequence": k, "deduct_points": Decimal(p) if p else None, "window_months": m}
            for c, t, k, p, m in NEGATIVES
        ],
        "bonuses": [{"code": c, "text": t, "max_points": Decimal(p)} for c, t, p in BONUSES],
    }


def build() -> bytes:
    from evaluation.workbook import build_workbook

    return build_workbook(snapshot())


if __name__ == "__main__":
    OUTPUT.write_bytes(build())
    print(f"wrote {OUTPUT}")
