"""Production settings pass Django's deploy checks; migrations are complete; compose points at real modules."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_under_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "k7#Qz!v2Lr9@xT4pW8&nB3sY6^mE1cJ5hG0uD*fA-iO+eR=wN_bH(K)lP",
            "ALLOWED_HOSTS": "wenming.example.gov.cn",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage(
        "check",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "ALLOWED_HOSTS": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _command_module(command: str) -> list[str]:
    """The Python modules a compose command needs to exist."""
    modules = []
    for word in command.replace("&&", " ").split():
        if word.endswith(":application"):
            modules.append(word.split(":")[0])
        if word.startswith("django_celery_beat.schedulers:"):
            modules.append("django_celery_beat.schedulers")
    if "-A config" in command:
        modules.append("config.celery")
    if "manage.py" in command:
        modules.append("manage")
    return modules


def test_compose_services_point_at_modules_that_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "ocr-worker", "beat"):
        service = services[name]
        assert service["build"] == "." and (ROOT / "Dockerfile").is_file()
        assert "media:/data/media" in service["volumes"]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        modules = _command_module(service["command"])
        assert modules, f"{name}: command names no module: {service['command']}"
        for module in modules:
            if module == "manage":
                assert (ROOT / "manage.py").is_file()
            else:
                importlib.import_module(module)
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"] and "DatabaseScheduler" in services["beat"]["command"]
    assert "--maxmemory-policy noeviction" in services["redis"]["command"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert {"media", "pgdata"} <= set(compose["volumes"])
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "SECRET_KEY=" in env_example and "ALLOWED_HOSTS=" in env_example
