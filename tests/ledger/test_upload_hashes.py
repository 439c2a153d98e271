"""SHA-256 of files that span several chunks: on upload (Django reads 64 KiB chunks, spools past 2.5 MB to a
temporary file) and in the year's ZIP, whose SHA256SUMS is computed while files are copied in 1 MiB chunks.

A hash of only the first or last chunk agrees with the whole for a file of one chunk, so every file here is
longer than 1 MiB, its chunks all different (pseudo-random text), and one size is not a multiple of any chunk.
"""

from __future__ import annotations

import hashlib
import random
import string
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ledger import services
from ledger.exports import write_archive
from ledger.models import Event, EvidenceFile, Slot

MIB = 1 << 20
SIZES = (MIB + 1, 3 * MIB + 17)


def _text(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    alphabet = (string.ascii_letters + string.digits + " \n").encode()
    return bytes(rng.choice(alphabet) for _ in range(size))


def _whole_and_parts(data: bytes) -> tuple[str, set[str]]:
    """The whole file's digest, and the digests a chunk-by-chunk mistake would give (1 MiB and 64 KiB chunks)."""
    parts = {
        hashlib.sha256(data[i : i + chunk]).hexdigest() for chunk in (MIB, 64 << 10) for i in range(0, len(data), chunk)
    }
    return hashlib.sha256(data).hexdigest(), parts


@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
def test_an_upload_over_several_chunks_is_hashed_whole(client, world, event_a, size):
    data = _text(size, seed=size)
    client.force_login(world.user("a_liaison"))
    response = client.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {"slot": "other", "files": [SimpleUploadedFile("长说明.txt", data)]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content.decode()
    row = EvidenceFile.objects.get()
    whole, parts = _whole_and_parts(data)
    assert row.sha256 == whole
    assert row.sha256 not in parts
    assert row.size == size
    with row.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == whole


@pytest.mark.django_db
def test_the_archive_checksums_of_files_over_one_mib_cover_every_chunk(tmp_path, world, event_a):
    datas = [_text(size, seed=100 + size) for size in SIZES]
    rows = services.evidence_add(
        event=event_a,
        slot=Slot.OTHER,
        uploads=[services.Upload(f"长说明{i}.txt", d) for i, d in enumerate(datas)],
        uploaded_by=world.user("a_liaison"),
    )
    target = tmp_path / "archive.zip"
    written = write_archive(
        str(target),
        campaign=event_a.campaign,
        year=event_a.start_date.year,
        events=Event.objects.all(),
        include_unfinished=True,
    )
    assert written == len(rows)
    with zipfile.ZipFile(target) as zf:
        sums = dict(reversed(line.split("  ", 1)) for line in zf.read("SHA256SUMS").decode().splitlines())
        for row, data in zip(rows, datas, strict=True):
            [path] = [p for p in zf.namelist() if zf.read(p) == data]
            whole, parts = _whole_and_parts(data)
            assert sums[path] == whole == row.sha256, path
            assert sums[path] not in parts
