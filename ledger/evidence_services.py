"""Writes of the evidence checks: run the checks on a photo, record findings and duplicate pairs, aliases.

The pure work (hashes, OCR, matching) is in ledger/evidence_checks.py; this module loads, decides and saves.
Findings never ask anyone for more material: they point at what is already uploaded.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from campaigns.models import Campaign
from organizations.history import bulk_create_tracked
from organizations.models import Organization, OrganizationKind
from organizations.scoping import unit_of

from . import evidence_checks as checks
from .models import BannerAlias, Event, EvidenceFile, OcrStatus, PhotoCheck, PhotoDuplicate

log = logging.getLogger(__name__)

IMAGE_TYPES = ("jpg", "png", "webp", "gif")
_STATUS = {
    checks.OCR_OK: OcrStatus.OK,
    checks.OCR_DISABLED: OcrStatus.DISABLED,
    checks.OCR_TIMEOUT: OcrStatus.TIMEOUT,
    checks.OCR_FAILED: OcrStatus.FAILED,
}


def enqueue_photo_checks(evidence_ids: Sequence[int]) -> None:
    """Queue the checks of freshly uploaded photos (called on commit of the upload), one task per photo."""
    if not getattr(settings, "EVIDENCE_CHECKS_ON_UPLOAD", True):
        return
    from config.enqueue import send_quietly

    from .tasks import check_photo_ocr

    for pk in evidence_ids:
        # The broker being down must not fail the upload: the photo shows 图片检查中… until the sweep sends it.
        if not send_quietly(check_photo_ocr, pk):
            break


def photos_sweep_pending(*, now: datetime.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send again the thumbnails and photo checks whose first send was lost (the broker was down during the
    upload, or a worker was killed holding the message). Run by beat every minute (ledger.tasks).

    Only photos uploaded between EVIDENCE_SWEEP_AFTER seconds and EVIDENCE_SWEEP_MAX_AGE ago; each one is sent at
    most once per EVIDENCE_SWEEP_AFTER (a marker in the cache), so a long queue is not flooded with repeats. Both
    tasks are idempotent, and a swept check skips a photo already checked.
    """
    from django.core.cache import cache

    from config.enqueue import send_quietly

    from .tasks import check_photo_ocr, make_thumbnail

    now = now or timezone.now()
    after = int(getattr(settings, "EVIDENCE_SWEEP_AFTER", 300))
    max_age = int(getattr(settings, "EVIDENCE_SWEEP_MAX_AGE", 2 * 24 * 60 * 60))
    recent = EvidenceFile.objects.filter(
        detected_type__in=IMAGE_TYPES,
        uploaded_at__lt=now - datetime.timedelta(seconds=after),
        uploaded_at__gte=now - datetime.timedelta(seconds=max_age),
    ).order_by("uploaded_at", "pk")
    pending = {"thumbnail": list(recent.filter(thumbnail="").values_list("pk", flat=True)[:limit])}
    if getattr(settings, "EVIDENCE_CHECKS_ON_UPLOAD", True):
        pending["check"] = list(recent.filter(photo_check__isnull=True).values_list("pk", flat=True)[:limit])
    prefix = getattr(settings, "REDIS_KEY_PREFIX", "")
    counts = {"thumbnails": 0, "checks": 0}
    for what, ids in pending.items():
        for pk in ids:
            if not cache.add(f"{prefix}ledger:sweep:{what}:{pk}", 1, timeout=after):
                continue  # sent by an earlier sweep not long ago
            if what == "thumbnail":
                sent = send_quietly(make_thumbnail, pk)
            else:
                sent = send_quietly(check_photo_ocr, pk, only_if_pending=True)
            if not sent:
                cache.delete(f"{prefix}ledger:sweep:{what}:{pk}")
                return counts
            counts["thumbnails" if what == "thumbnail" else "checks"] += 1
    if counts["thumbnails"] or counts["checks"]:
        log.info("photo sweep sent %(thumbnails)d thumbnails and %(checks)d checks again", counts)
    return counts


def ocr_enabled() -> bool:
    return bool(getattr(settings, "EVIDENCE_OCR_ENABLED", True)) and checks.ocr_installed()


def banner_names_for(organization: Organization) -> list[str]:
    """Names a banner of this organisation's activity may carry: its own and its unit's name, 简称 and aliases."""
    orgs = [organization]
    unit = unit_of(organization)
    if unit is not None and unit.pk != organization.pk:
        orgs.append(unit)
    names: list[str] = []
    for org in orgs:
        names += [org.name, org.short_name]
    names += list(BannerAlias.objects.filter(organization__in=orgs).values_list("alias", flat=True))
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def _time_finding(evidence: EvidenceFile, event: Event) -> str:
    taken = timezone.localtime(evidence.taken_at) if evidence.taken_at else None
    return checks.capture_time_problem(
        taken,
        start=event.start_date,
        end=event.end_date,
        uploaded_at=evidence.uploaded_at,
        tolerance_days=settings.EVIDENCE_TIME_TOLERANCE_DAYS,
    )


def _banner_fields(text: str, names: Sequence[str]) -> dict:
    name = checks.find_name(text, names) if text else ""
    dates = checks.find_dates(text) if text else []
    return {
        "banner_unit_found": bool(name),
        "banner_unit_name": name[:200],
        "banner_date_found": bool(dates),
        "banner_date": dates[0] if dates else None,
    }


@dataclass
class _Read:
    """What was read from the photo outside any transaction (OCR may take seconds)."""

    hashes: checks.Hashes | None
    camera: str
    ocr: checks.OcrResult


def _read_photo(evidence: EvidenceFile, *, ocr: bool) -> _Read:
    try:
        with evidence.file.open("rb") as fh:
            data = fh.read()
        with Image.open(io.BytesIO(data)) as raw:
            camera = checks.camera_model(raw)
        hashes = checks.photo_hashes(data)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError, SyntaxError):
        log.warning("evidence %s: image could not be read for checks", evidence.pk)
        return _Read(None, "", checks.OcrResult(status=checks.OCR_FAILED, note="图片无法读取，未检查"))
    if not ocr_enabled():
        return _Read(hashes, camera, checks.OcrResult(status=checks.OCR_DISABLED, note="OCR 未启用"))
    if not ocr:  # a rescan without OCR keeps what an earlier run read
        previous = PhotoCheck.objects.filter(evidence_file=evidence).first()
        if previous is not None and previous.ocr_status != OcrStatus.PENDING:
            status = {v: k for k, v in _STATUS.items()}.get(previous.ocr_status, checks.OCR_FAILED)
            kept = checks.OcrResult(status, previous.ocr_text, previous.seconds or 0.0, previous.ocr_note)
            return _Read(hashes, camera, kept)
        return _Read(hashes, camera, checks.OcrResult(status=checks.OCR_DISABLED, note="本次扫描未识别文字"))
    img = checks.open_image(data, max_side=settings.EVIDENCE_OCR_MAX_SIDE)
    try:
        with checks.ocr_slot(settings.EVIDENCE_OCR_CONCURRENCY):
            result = checks.run_ocr(
                img,
                timeout=settings.EVIDENCE_OCR_TIMEOUT,
                max_side=settings.EVIDENCE_OCR_MAX_SIDE,
                threads=settings.EVIDENCE_OCR_THREADS,
            )
    except TimeoutError:
        result = checks.OcrResult(status=checks.OCR_TIMEOUT, note="等待文字识别空闲超时，已跳过")
    return _Read(hashes, camera, result)


def _duplicates_of(evidence: EvidenceFile, hashes: checks.Hashes, unit_id: int | None) -> list[PhotoDuplicate]:
    """Pairs with photos of other dossiers whose hashes agree (any unit; who may see them is the selectors' job)."""
    candidates = (
        PhotoCheck.objects.exclude(evidence_file__event_id=evidence.event_id)
        .exclude(phash="")
        .values_list("evidence_file_id", "phash", "dhash", "unit_id")
    )
    pairs = []
    for other_id, phash, dhash, other_unit in candidates.iterator(chunk_size=5000):
        dp, dd = checks.hamming(hashes.phash, phash), checks.hamming(hashes.dhash, dhash)
        if dp + dd <= settings.EVIDENCE_DUPLICATE_MAX_DISTANCE:
            first, second = sorted((evidence.pk, other_id))
            pairs.append(
                PhotoDuplicate(
                    first_id=first,
                    second_id=second,
                    phash_distance=dp,
                    dhash_distance=dd,
                    same_unit=unit_id is not None and unit_id == other_unit,
                )
            )
    return pairs


def photo_check_run(*, evidence_id: int, ocr: bool = True) -> PhotoCheck | None:
    """Check one photo: hashes, camera, capture time, banner text; record duplicate pairs. Idempotent (a rerun
    replaces the findings). Returns None for a file that is not an image or is gone."""
    evidence = EvidenceFile.objects.select_related("event", "event__organization").filter(pk=evidence_id).first()
    if evidence is None or evidence.detected_type not in IMAGE_TYPES:
        return None
    event = evidence.event
    unit = unit_of(event.organization)
    read = _read_photo(evidence, ocr=ocr)
    status = _STATUS[read.ocr.status]
    time_note = _time_finding(evidence, event)
    fields = {
        "unit": unit,
        "phash": read.hashes.phash if read.hashes else "",
        "dhash": read.hashes.dhash if read.hashes else "",
        "camera": read.camera,
        "time_mismatch": bool(time_note),
        "time_note": time_note,
        "ocr_status": status,
        "ocr_text": read.ocr.text[:5000],
        "ocr_note": read.ocr.note[:200],
        "seconds": round(read.ocr.seconds, 3) if read.ocr.seconds else None,
        **_banner_fields(read.ocr.text, banner_names_for(event.organization)),
    }
    with transaction.atomic():
        if not EvidenceFile.objects.select_for_update().filter(pk=evidence.pk).exists():
            return None  # deleted while we were reading it
        check, _created = PhotoCheck.objects.update_or_create(evidence_file=evidence, defaults=fields)
        PhotoDuplicate.objects.filter(Q(first=evidence) | Q(second=evidence)).delete()
        if read.hashes is not None:
            PhotoDuplicate.objects.bulk_create(
                _duplicates_of(evidence, read.hashes, unit.pk if unit else None), ignore_conflicts=True
            )
    return check


def photo_checks_refresh_times(*, event: Event) -> int:
    """Recompute 拍摄时间不符 of a dossier's photos (its dates changed); returns how many changed."""
    changed = 0
    for check in PhotoCheck.objects.filter(evidence_file__event=event).select_related("evidence_file"):
        note = _time_finding(check.evidence_file, event)
        if note != check.time_note:
            check.time_note, check.time_mismatch = note, bool(note)
            check.save(update_fields=["time_note", "time_mismatch", "checked_at"])
            changed += 1
    return changed


def _rematch_banners(unit: Organization) -> None:
    """Names changed: match the stored OCR texts of the unit's photos again (no OCR rerun)."""
    rows = PhotoCheck.objects.filter(unit=unit, ocr_status=OcrStatus.OK).select_related(
        "evidence_file__event__organization"
    )
    names_by_org: dict[int, list[str]] = {}
    for check in rows:
        org = check.evidence_file.event.organization
        if org.pk not in names_by_org:
            names_by_org[org.pk] = banner_names_for(org)
        for key, value in _banner_fields(check.ocr_text, names_by_org[org.pk]).items():
            setattr(check, key, value)
        check.save(update_fields=["banner_unit_found", "banner_unit_name", "banner_date_found", "banner_date"])


@transaction.atomic
def banner_aliases_set(*, unit: Organization, aliases: Iterable[str], actor: object) -> list[str]:
    """Replace the unit's alias list (one name each, duplicates and blanks dropped) and re-match its photos."""
    if unit.kind == OrganizationKind.OFFICE:
        raise ValueError("文明办不设横幅别名。")
    clean = list(dict.fromkeys(a.strip()[:100] for a in aliases if a and a.strip()))
    BannerAlias.objects.filter(organization=unit).exclude(alias__in=clean).delete()
    # Only the new names are inserted, so that each gets one history row (ignore_conflicts would hide which).
    existing = set(BannerAlias.objects.filter(organization=unit, alias__in=clean).values_list("alias", flat=True))
    new = [BannerAlias(organization=unit, alias=a) for a in clean if a not in existing]
    bulk_create_tracked(BannerAlias, new, actor=actor, reason="设置横幅别名")
    log.info("banner aliases of %s set by %s: %d", unit.pk, getattr(actor, "pk", None), len(clean))
    _rematch_banners(unit)
    return clean


@dataclass
class ScanSummary:
    photos: int = 0
    checked: int = 0
    duplicates: int = 0
    time_mismatch: int = 0
    banner_unit_found: int = 0
    ocr_ok: int = 0
    ocr_skipped: int = 0
    ocr_seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def evidence_scan(*, campaign: Campaign | None = None, ocr: bool = True) -> ScanSummary:
    """Check every photo again (of one campaign, or all); what `manage.py scan_evidence` runs."""
    photos = EvidenceFile.objects.filter(detected_type__in=IMAGE_TYPES).order_by("pk")
    if campaign is not None:
        photos = photos.filter(event__campaign=campaign)
    summary = ScanSummary()
    ids = list(photos.values_list("pk", flat=True))
    summary.photos = len(ids)
    for pk in ids:
        check = photo_check_run(evidence_id=pk, ocr=ocr)
        if check is None:
            continue
        summary.checked += 1
        summary.time_mismatch += check.time_mismatch
        summary.banner_unit_found += check.banner_unit_found
        summary.ocr_ok += check.ocr_status == OcrStatus.OK
        summary.ocr_skipped += check.ocr_status == OcrStatus.TIMEOUT
        summary.ocr_seconds += check.seconds or 0.0
    pairs = PhotoDuplicate.objects.all()
    if campaign is not None:
        pairs = pairs.filter(Q(first__event__campaign=campaign) | Q(second__event__campaign=campaign))
    summary.duplicates = pairs.count()
    summary.ocr_seconds = round(summary.ocr_seconds, 2)
    return summary
