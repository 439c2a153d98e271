"""The kept archive PDFs (归档文件): recording a build as a new version, and who may see which."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet

from campaigns.models import Campaign
from organizations.models import Organization
from organizations.scoping import scope_filter

from ..models import ArchiveBuild
from .render import BuildStats


def archive_filename(*, unit: Organization, year: int, version: int) -> str:
    return f"{unit.short_name or unit.name}-{year}年度台账档案（第{version}版）.pdf"


def archive_build_record(
    *,
    campaign: Campaign,
    unit: Organization,
    year: int,
    path: str | Path,
    stats: BuildStats,
    built_by: object | None,
    job: object | None = None,
) -> ArchiveBuild:
    """Keep a built PDF as the next version of (campaign, unit, year); older versions stay as they are.

    The SHA-256 is computed from the stored bytes. A job records at most one build: a retried job that already
    recorded one gets that build back.
    """
    if job is not None:
        existing = ArchiveBuild.objects.filter(job=job).first()
        if existing is not None:
            return existing
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    try:
        with transaction.atomic():
            Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # versions are given out in turn
            latest = ArchiveBuild.objects.filter(campaign=campaign, unit=unit, year=year).aggregate(v=Max("version"))
            version = (latest["v"] or 0) + 1
            build = ArchiveBuild(
                campaign=campaign,
                unit=unit,
                year=year,
                version=version,
                filename=archive_filename(unit=unit, year=year, version=version),
                size=Path(path).stat().st_size,
                sha256=digest.hexdigest(),
                pages=stats.pages,
                dossiers=stats.dossiers,
                photos=stats.photos,
                job=job,
                built_by=built_by,
            )
            with open(path, "rb") as fh:
                build.file.save(build.filename, File(fh), save=False)
            try:
                build.save()
            except BaseException:
                build.file.storage.delete(build.file.name)
                raise
    except IntegrityError:
        if job is not None and (existing := ArchiveBuild.objects.filter(job=job).first()):
            return existing
        raise
    return build


def archive_builds_visible_to(user: object) -> QuerySet[ArchiveBuild]:
    """Builds whose unit lies in the user's scope; the download view fetches through this (others 404)."""
    return scope_filter(ArchiveBuild.objects.all(), user, "unit").select_related("campaign", "unit", "built_by")


def archive_builds_of(*, user: object, campaign: Campaign) -> QuerySet[ArchiveBuild]:
    return archive_builds_visible_to(user).filter(campaign=campaign).order_by("-year", "-version", "-pk")
