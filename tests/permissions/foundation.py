"""Sign-in, 工作台, 驾驶舱, the section index pages and the organisation pages."""

from . import A_ALL, A_UNIT_LEVEL, CITY, Case, only, outcomes

CASES = [
    Case("login", outcomes(302, anon=200), label="signed-in users are sent on"),
    Case("logout", outcomes(302, anon=302), method="post"),
    Case("logout", outcomes(405), label="GET is refused"),
    Case("password_change", outcomes(200)),
    Case("password_change_done", outcomes(200)),
    Case("dashboards:home", outcomes(200)),
    Case("dashboards:cockpit", outcomes(200)),
    Case("campaigns:index", outcomes(200)),
    Case("ledger:index", outcomes(200)),
    Case("evaluation:index", outcomes(200)),
    Case("volunteers:index", outcomes(200)),
    Case("organizations:list", outcomes(200)),
    Case(
        "organizations:detail",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": w.unit_a.pk},
        label="unit A",
    ),
    Case(
        "organizations:detail",
        only(200, (*CITY, *A_ALL)),
        kwargs=lambda w: {"pk": w.dept_a.pk},
        label="unit A's department",
    ),
    Case(
        "organizations:detail",
        only(200, CITY),
        kwargs=lambda w: {"pk": w.city.pk},
        label="the city office",
    ),
]
