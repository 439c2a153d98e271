"""Checks the domain apps register so that delivery never sends a reminder that is no longer true.

notifications sits below the domain apps and imports none of them; an app above registers a check for its
rule-name prefix (from its AppConfig.ready), and `deliver_due` asks before sending any row:
"is (rule, object, period) still due for this recipient?" (task done, deadline moved, task reassigned → no).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import models

from organizations.models import User

StillDue = Callable[[str, Any, str, User | None], bool]

_lock = threading.Lock()
_checks: dict[str, StillDue] = {}


def register_still_due(rule_prefix: str, check: StillDue) -> None:
    """`check(rule, obj, period, recipient)` answers for rules starting with `rule_prefix` (longest prefix wins)."""
    with _lock:
        _checks[rule_prefix] = check


def unregister_still_due(rule_prefix: str) -> None:
    with _lock:
        _checks.pop(rule_prefix, None)


def still_due(rule: str, obj: models.Model | None, period: str, recipient: User | None = None) -> bool:
    """True when no check is registered for the rule, else the registered check's answer."""
    with _lock:
        matches = [prefix for prefix in _checks if rule.startswith(prefix)]
        check = _checks[max(matches, key=len)] if matches else None
    if check is None:
        return True
    return bool(check(rule, obj, period, recipient))
