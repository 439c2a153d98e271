"""Media in an S3-compatible store: a real S3-API server on 127.0.0.1 and the settings' own S3 configuration.

The server is moto's server mode (`moto.server.ThreadedMotoServer`): a real HTTP server speaking the S3 protocol,
enough for protocol tests of django-storages' S3 backend (upload, read, list, delete, sizes and times). It is not
MinIO; behaviour beyond the protocol (durability, lifecycle rules) is not tested here.

The STORAGES used by the tests are not written by hand: they are what config/settings/test.py yields in a child
process run with MEDIA_STORAGE=s3 and the AWS_* variables pointing at this server (`s3_settings`), so the
settings' branch is what gets exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.test import override_settings

BASE_DIR = Path(__file__).resolve().parents[2]
ACCESS_KEY, SECRET_KEY, REGION = "wenming-test", "wenming-test-secret", "us-east-1"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def settings_storages(module: str, env: dict[str, str]) -> dict:
    """settings.STORAGES as the settings module `module` builds it with `env` (read in a child process)."""
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MEDIA_STORAGE"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**child_env, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
    }


@pytest.fixture(scope="session")
def s3_settings(s3_endpoint) -> dict:
    """STORAGES from config/settings/test.py with MEDIA_STORAGE=s3; the bucket name is a placeholder."""
    return settings_storages("config.settings.test", s3_env(s3_endpoint, "placeholder-bucket"))


@dataclass
class Bucket:
    client: object
    name: str

    def objects(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3(s3_endpoint, s3_settings, _media_root):
    """A fresh bucket and the default storage switched to S3 on it (override_settings: Django's setting_changed
    handler drops the cached storages, so default_storage and every FileField resolve to the S3 backend). At the
    end, MEDIA_ROOT must still hold no file: nothing was kept on the web node's disk."""
    from django.core.files.storage import default_storage, storages

    from organizations.media import has_local_paths

    name = f"wenming-{uuid.uuid4().hex[:16]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    client.create_bucket(Bucket=name)
    default = json.loads(json.dumps(s3_settings["default"]))
    default["OPTIONS"]["bucket_name"] = name
    with override_settings(STORAGES={**settings.STORAGES, "default": default}):
        assert not has_local_paths()
        assert type(storages["default"]).__name__ == "S3Storage" and default_storage.bucket_name == name
        yield Bucket(client, name)
    assert has_local_paths()  # the override is gone: the rest of the suite is on the local folder again
    assert files_under(_media_root) == []
