"""A token bucket per robot: at most NOTIFY_ROBOT_RATE_LIMIT messages in any NOTIFY_ROBOT_RATE_WINDOW seconds.

Each token comes back one window after it was spent (a sliding window), so no minute — not just no
calendar minute — ever sees more than the limit: 钉钉 blocks a robot for 10 minutes when it does.
The bucket lives in Redis (a sorted set per robot, checked and spent in one Lua script, so several
workers share it); without Redis it lives in this process's memory (the embedded, single-process setup).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

from django.conf import settings
from django.utils import timezone

_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window - now
"""

_local_lock = threading.Lock()
_local_buckets: dict[str, list[int]] = {}
_redis_client = None


def _limit() -> int:
    return int(getattr(settings, "NOTIFY_ROBOT_RATE_LIMIT", 20))


def _window_ms() -> int:
    return int(float(getattr(settings, "NOTIFY_ROBOT_RATE_WINDOW", 60)) * 1000)


def _redis():
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    return _redis_client


def _key(robot_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}notify:robot:{robot_id}:sent"


def take(robot_id: int, now: datetime | None = None) -> float:
    """Spend one token of the robot's bucket: 0 when granted, else the seconds until one comes back."""
    now_ms = int((now or timezone.now()).timestamp() * 1000)
    client = _redis()
    if client is not None:
        wait_ms = client.eval(_SCRIPT, 1, _key(robot_id), now_ms, _window_ms(), _limit(), uuid.uuid4().hex)
        return max(0.0, int(wait_ms) / 1000)
    window = _window_ms()
    with _local_lock:
        spent = [t for t in _local_buckets.get(_key(robot_id), []) if t > now_ms - window]
        if len(spent) < _limit():
            spent.append(now_ms)
            _local_buckets[_key(robot_id)] = spent
            return 0.0
        _local_buckets[_key(robot_id)] = spent
        return max(0.0, (min(spent) + window - now_ms) / 1000)


def reset(robot_id: int) -> None:
    """Forget a robot's spent tokens (tests, and a robot whose webhook changed)."""
    client = _redis()
    if client is not None:
        client.delete(_key(robot_id))
    with _local_lock:
        _local_buckets.pop(_key(robot_id), None)
