#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, starting them where installed
# but stopped. Prints the environment the suite should run with (eval its output).
# With CI=true a service that stays down fails the run; otherwise the suite falls back to SQLite and
# skips the tests that need Redis.
set -uo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
ci=false; case "${CI:-}" in 1|true|TRUE|yes) ci=true ;; esac

pg_up() { python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432)); s.close()
except OSError:
    sys.exit(1)
PY
}
redis_up() { python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n"); ok = s.recv(16).startswith(b"+PONG"); s.close()
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "启动 PostgreSQL…" >&2
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true; done
  fi
  wait_for pg_up || true
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "启动 Redis…" >&2
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --maxmemory-policy noeviction >&2 || true
  fi
  wait_for redis_up || true
fi

pg_login_ok() { PGCONNECT_TIMEOUT=3 psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

status=0
if pg_up; then
  url="postgres://postgres@$PG_HOST:$PG_PORT/postgres"
  if [ -n "${DATABASE_URL:-}" ] || ! command -v psql >/dev/null 2>&1 || pg_login_ok "$url"; then
    echo "export DATABASE_URL=\${DATABASE_URL:-postgres://postgres@$PG_HOST:$PG_PORT/wenming}"
  elif [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
    # A freshly installed cluster asks for a password on TCP: give the postgres role a local test password.
    runuser -u postgres -- psql -qc "ALTER USER postgres PASSWORD 'wenming-test'" >&2
    echo "export DATABASE_URL=postgres://postgres:wenming-test@$PG_HOST:$PG_PORT/wenming"
  else
    echo "PostgreSQL 拒绝以 postgres 用户无密码登录；请设置 DATABASE_URL" >&2; status=1
  fi
else
  if $ci; then echo "CI=true 但 PostgreSQL (127.0.0.1:5432) 无法连接" >&2; status=1
  else echo "警告：PostgreSQL 不可用，测试改用 SQLite" >&2; echo "export DATABASE_URL=sqlite:///$(pwd)/.test-db.sqlite3"; fi
fi
if redis_up; then
  echo "export REDIS_URL=\${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
else
  if $ci; then echo "CI=true 但 Redis (127.0.0.1:6379) 无法连接" >&2; status=1
  else echo "警告：Redis 不可用，Celery worker 测试将跳过" >&2; echo "unset REDIS_URL"; fi
fi
exit $status
