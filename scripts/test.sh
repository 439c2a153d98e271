#!/usr/bin/env bash
# `make test`: system packages, virtualenv, services, lint, then the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh test
make --no-print-directory venv-dev

env_lines=$(bash scripts/test-services.sh)
eval "$env_lines"
echo "测试环境：DATABASE_URL=${DATABASE_URL:-} REDIS_URL=${REDIS_URL:-（无）}"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
