"""The reminder runner: walk every app's rules as of one date, hand what is due to `notify_many`, deliver.

The runner sits at the top of the house because it reads every app (../shared/DESIGN.md). Each app owns the
rules about its own objects in its `reminders.py`; this module only puts them together, adds the weekly
digest (one message per campaign for the 组长/副组长 and the 创建办), and counts.

Exactly once: the outbox is unique on (rule, object, recipient, channel, period), so running twice, two beats
or a rerun after a crash write nothing new. Nothing stale: rules are evaluated at run time, and rows held for
working time are re-checked by `still_due` before `deliver_due` sends them.
"""

from __future__ import annotations

import contextvars
import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaigns import reminders as campaign_rules
from campaigns.reminders import Due, RuleContext, leaders_by_campaign, load_context, people_by_org, unique_users
from dashboards import supervision
from evaluation import reminders as evaluation_rules
from ledger import reminders as ledger_rules
from organizations.models import Role, User
from volunteers import reminders as volunteer_rules

DIGEST_RULE = "digest.weekly"
# rule-name prefix → (rules of the app, its still_due check)
RuleFn = Callable[[RuleContext], Iterable[Due]]
APP_RULES: dict[str, tuple[RuleFn, Callable[..., bool]]] = {
    "task.": (campaign_rules.task_reminders, campaign_rules.still_due),
    "rectification.": (evaluation_rules.rectification_reminders, evaluation_rules.still_due),
    "ledger.": (ledger_rules.ledger_reminders, ledger_rules.still_due),
    "volunteers.": (volunteer_rules.volunteer_reminders, volunteer_rules.still_due),
    "supervision.": (supervision.supervision_reminders, supervision.still_due),
}
DIGEST_SECTIONS: tuple[Callable[[RuleContext], dict[int, list[str]]], ...] = (
    campaign_rules.digest_lines,
    ledger_rules.digest_lines,
    evaluation_rules.digest_lines,
    volunteer_rules.digest_lines,
)
ALL_PREFIXES = (*APP_RULES, "digest.")
# The date a run delivers for (`send_reminders --date`), so still_due re-checks as of that day, not the wall clock.
_run_date: contextvars.ContextVar[datetime.date | None] = contextvars.ContextVar("reminder_run_date", default=None)


@dataclass
class RunResult:
    """What one run did; `as_json()` is what `send_reminders --json` prints."""

    date: str
    due: int = 0
    sent: int = 0
    skipped: int = 0
    held: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.dry_run:
            data.pop("dry_run")
        return data


def iso_week(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_reminders(ctx: RuleContext) -> Iterator[Due]:
    """The weekly digest: one message per active campaign (digest on), for its 组长/副组长 and 创建办.

    Yielded on every day of the ISO week, so the first run of the week sends it (Monday 08:30 by beat) and a
    Monday the server was down is caught up on Tuesday; the period (the ISO week) keeps it to one a week.
    """
    campaigns = {pk: c for pk, c in ctx.campaigns.items() if ctx.settings_for(pk).digest_enabled}
    if not campaigns:
        return
    sub = RuleContext(today=ctx.today, campaigns=campaigns, working_days_between=ctx.working_days_between)
    sections = [fn(sub) for fn in DIGEST_SECTIONS]
    leaders = leaders_by_campaign(campaigns)
    office = people_by_org({c.unit_id for c in campaigns.values()}, [Role.OFFICE])
    week = iso_week(ctx.today)
    for pk, campaign in campaigns.items():
        recipients = unique_users(leaders.get(pk, []), office.get((campaign.unit_id, Role.OFFICE), []))
        if not recipients:
            continue
        lines = [line for section in sections for line in section.get(pk, [])]
        body = "\n".join(f"- {line}" for line in lines)
        yield Due(
            rule=DIGEST_RULE,
            obj=campaign,
            recipients=recipients,
            period=f"digest:{week}",
            title=f"创建工作周报（{week}）：{campaign.title}",
            body=f"截至 {ctx.today:%Y年%-m月%-d日}：\n{body}",
            url=reverse("campaigns:detail", args=[campaign.pk]),
            organization=campaign.unit,
            kind="digest",
            robot_organizations=(campaign.unit,),
        )


def _selected(only: Iterable[str] | None) -> tuple[str, ...]:
    if not only:
        return ALL_PREFIXES
    chosen = tuple(p for p in ALL_PREFIXES if any(p.startswith(o) or o.startswith(p) for o in only))
    if not chosen:
        raise ValueError(f"未知的提醒规则：{', '.join(only)}（可选：{', '.join(ALL_PREFIXES)}）")
    return chosen


def due_reminders(today: datetime.date, *, only: Iterable[str] | None = None) -> list[Due]:
    """Everything due on `today`, every app's rules plus the digest, in a fixed number of queries."""
    ctx = load_context(today)
    prefixes = _selected(only)
    found: list[Due] = []
    for prefix, (rules, _check) in APP_RULES.items():
        if prefix in prefixes:
            found.extend(rules(ctx))
    if "digest." in prefixes:
        found.extend(digest_reminders(ctx))
    return found


def run_start(today: datetime.date) -> datetime.datetime:
    """The clock of a run for a given date: 08:30 that morning (the beat's time), Asia/Shanghai."""
    from notifications.workdays import work_start

    return timezone.make_aware(datetime.datetime.combine(today, work_start()))


def run_reminders(
    *,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    deliver: bool = True,
    only: Iterable[str] | None = None,
) -> RunResult:
    """Evaluate every rule for `today`, notify what is due (once), then deliver what may go out now.

    `today` without `now` runs on that day's 08:30 clock (a rerun of a past day, `send_reminders --date`).
    """
    from notifications.services import Message, deliver_due, notify_many

    if now is None:
        now = timezone.now() if today is None else run_start(today)
    today = today or timezone.localdate(now)
    items = due_reminders(today, only=only)
    result = RunResult(date=today.isoformat(), dry_run=dry_run)
    kinds: Counter[str] = Counter()
    for item in items:
        kinds[item.rule] += len(item.recipients)
    result.due = sum(kinds.values())
    result.by_kind = dict(sorted(kinds.items()))
    if dry_run:
        return result
    messages = [
        Message(
            rule=item.rule,
            obj=item.obj,
            recipients=item.recipients,
            title=item.title,
            body=item.body,
            period=item.period,
            url=item.url,
            organization=item.organization,
            kind=item.kind,
            robot_organizations=item.robot_organizations,
        )
        for item in items
        if item.recipients or item.robot_organizations
    ]
    with transaction.atomic():
        notified = notify_many(messages, now=now)
    result.skipped = notified.skipped
    result.by_channel = dict(sorted(notified.by_channel.items()))
    in_app = notified.by_channel.get("in_app", 0)
    result.sent = in_app
    result.held = notified.held
    if deliver:
        token = _run_date.set(today)
        try:
            delivered = deliver_due(now=now)
        finally:
            _run_date.reset(token)
        result.sent += int(delivered.get("sent", 0))
        result.failed = int(delivered.get("failed", 0))
        result.held = max(result.held, int(delivered.get("held", 0)))
    else:
        result.held = notified.created - in_app
    return result


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None) -> bool:
    """Is a message written earlier still true today? Asked before a held outbox row is sent.

    Digests and 催办 were true when written and stay so; a rule of an app is re-evaluated for that one object
    (task done, deadline moved, department changed → False).
    """
    if obj is None:
        return False
    today = _run_date.get() or timezone.localdate()
    for prefix, (_rules, check) in APP_RULES.items():
        if rule.startswith(prefix):
            return check(rule, obj, period, recipient, today=today)
    return True
