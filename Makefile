# 文明创建管理平台 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt vendor venv venv-dev migrate seed worker beat bench clean help

help:
	@echo "make run    — 安装依赖、迁移 SQLite 数据库、载入演示数据，并在 http://$(HOST):$(PORT)/ 提供服务"
	@echo "make test   — 安装测试所需系统包与依赖，启动 PostgreSQL/Redis，运行 ruff 与全部 pytest"
	@echo "make vendor — 从 npm 仓库刷新 static/vendor/ 下的前端资源"

$(VENV)/.stamp-run: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-run requirements-dev.txt requirements-ocr.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.stamp-run
venv-dev: $(VENV)/.stamp-dev

migrate: venv
	$(BIN)/python manage.py migrate --noinput -v 0

seed: migrate
	$(BIN)/python manage.py seed_demo

run:
	@bash scripts/system-deps.sh run
	@$(MAKE) --no-print-directory seed
	@echo "服务地址：http://$(HOST):$(PORT)/  （Ctrl+C 停止）"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test:
	@bash scripts/test.sh

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

vendor:
	bash scripts/vendor.sh

worker: venv
	$(BIN)/celery -A config worker -l INFO -Q default,pdf,ocr,notify

beat: venv
	$(BIN)/celery -A config beat -l INFO -S django_celery_beat.schedulers:DatabaseScheduler

bench: venv-dev
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .test-media
