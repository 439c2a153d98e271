#!/usr/bin/env bash
# Installs the Debian packages the app and its test suite need, when missing.
# Usage: scripts/system-deps.sh [run|test]
#   run  — WeasyPrint libraries and CJK fonts (enough for `make run`)
#   test — additionally chromium, poppler-utils, PostgreSQL and Redis servers, and LibreOffice Calc (headless)
#          so the ledger workbook is checked by a second spreadsheet program
# As root it installs with apt-get; otherwise it only reports what is missing.
set -euo pipefail

mode=${1:-run}
run_pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
# libgl1 and libglib2.0-0: opencv-python, which the OCR of requirements-ocr.txt needs
# postgresql-client: pg_dump/pg_restore for manage.py backup/restore (tests/backup/)
# nginx-light: the scale profile's nginx template in front of two gunicorn replicas (tests/deploy/test_scale_stack.py)
test_pkgs=(poppler-utils chromium postgresql postgresql-client redis-server libreoffice-calc-nogui libgl1 libglib2.0-0
  nginx-light)

pkgs=("${run_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
# A fresh Debian/Ubuntu has python3 but may lack its venv module.
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "缺少系统软件包（需 root 安装）：${missing[*]}" >&2
  echo "请运行：sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "非 Debian/Ubuntu 系统，请手动安装：${missing[*]}" >&2
  exit 0
fi
echo "安装系统软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended-upgrades, a second run) may hold the dpkg or lists lock: wait for it (apt's own lock
# timeout) and retry, instead of failing at once.
lock_wait=${APT_LOCK_TIMEOUT:-600}
apt_opts=(-o "DPkg::Lock::Timeout=$lock_wait" -o "Acquire::Retries=3")
retry() {
  local n=1
  until "$@"; do
    [ "$n" -ge "${APT_RETRIES:-12}" ] && { echo "系统软件包安装失败（已重试 $n 次）：$*" >&2; return 1; }
    local pause=$((n * ${APT_RETRY_STEP:-10})); [ "$pause" -gt 30 ] && pause=30
    echo "apt 暂不可用（可能有其他安装进程占用锁），$pause 秒后重试…" >&2
    sleep "$pause"; n=$((n + 1))
  done
}
retry apt-get "${apt_opts[@]}" update -qq
retry apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
