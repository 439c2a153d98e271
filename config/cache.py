"""The Redis cache that outlives Redis: an unreachable server is a cache miss, not a 500.

Django's RedisCache raises redis.ConnectionError on every call while Redis is down (restarting, out of memory,
network cut), which would turn every page that touches the cache into an error. This subclass

- connects and reads with short timeouts (a server that hangs costs at most a fraction of a second),
- turns connection errors and timeouts into misses (get → default, get_many → {}, has_key → False) and no-ops
  (set, delete, touch, clear …),
- after a failure stops trying for RETRY_AFTER seconds (a circuit breaker), so a dead server costs nothing per call,
- logs the outage once per LOG_INTERVAL seconds per process, not once per call.

`add()` reports success while Redis is unreachable: in this project add() gates "the first time in a window"
(organizations/refusals.py records a refused access, jobs/services.py runs the in-process reaper), and doing that
work again is the safe side. Nothing uses the cache as a lock — locks are PostgreSQL rows.

Sessions live in the database with this cache in front (SESSION_ENGINE cached_db), so an outage logs nobody out.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What "Redis is unreachable" looks like from redis-py (socket errors arrive wrapped in ConnectionError).
# A full Redis (maxmemory with noeviction, as compose runs it so Celery's queue is never evicted) refuses writes with
# OOM: the cache shares that server, so a full one is an outage of the cache too, never a 500.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    RedisOutOfMemoryError,
    OSError,
)

DEFAULT_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
_MISSING = object()


class _Breaker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.logged_at = float("-inf")
        self.failures = 0


_STATE: dict[str, _Breaker] = {}


class ResilientRedisCache(RedisCache):
    """RedisCache whose outages are misses and no-ops (see the module docstring)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", 2.0))
        self.log_interval = float(options.pop("LOG_INTERVAL", 60.0))
        for key, value in DEFAULT_TIMEOUTS.items():
            options.setdefault(key, value)
        params["OPTIONS"] = options
        super().__init__(server, params)
        # Django makes one cache object per thread: the breaker is shared by all of a process's threads.
        self._state = _STATE.setdefault(str(server), _Breaker())

    @property
    def failures(self) -> int:
        """Calls of this process answered without Redis (for tests and the load bench)."""
        return self._state.failures

    # -- the breaker ------------------------------------------------------------------------------------------
    def _call(self, method: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._state.down_until:
            self._state.failures += 1
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            self._tripped(method, exc)
            return fallback

    def _tripped(self, method: str, exc: BaseException) -> None:
        now = time.monotonic()
        state = self._state
        with state.lock:
            state.failures += 1
            state.down_until = now + self.retry_after
            if now - state.logged_at < self.log_interval:
                return
            state.logged_at = now
        logger.warning(
            "Redis cache unreachable (%s in %s): serving without the cache, next try in %.0f s; "
            "this is logged at most once every %.0f s",
            type(exc).__name__,
            method,
            self.retry_after,
            self.log_interval,
        )

    @property
    def available(self) -> bool:
        """False while the breaker is open (a recent call found Redis unreachable)."""
        return time.monotonic() >= self._state.down_until

    # -- the cache API ----------------------------------------------------------------------------------------
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call("add", True, key, value, timeout=timeout, version=version)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call("get", default, key, default, version=version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call("set", None, key, value, timeout=timeout, version=version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call("touch", False, key, timeout=timeout, version=version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call("delete", False, key, version=version)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._call("get_many", {}, keys, version=version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call("has_key", False, key, version=version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        result = self._call("incr", _MISSING, key, delta, version=version)
        if result is _MISSING:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        return self._call("set_many", list(data), data, timeout=timeout, version=version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._call("delete_many", None, keys, version=version)

    def clear(self) -> None:
        self._call("clear", None)
