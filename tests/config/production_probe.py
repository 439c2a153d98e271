"""Run under config.settings.production (tests/config/test_headers.py starts it in a subprocess).

Migrates a throw-away SQLite database, collects the static files (the manifest storage needs them), builds the
permission world and a campaign with a task, a dossier, a round and volunteers, then fetches pages through Django's
test client (over HTTPS, as the proxy would) and prints, as JSON, each response's status and security headers.
"""

from __future__ import annotations

import json
import sys

import django

MARKER = "PRODUCTION-PROBE-JSON:"


def main() -> None:
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    # The production manifest storage without WhiteNoise's gzip/brotli pass (30 s on this machine; it changes the
    # files' encodings, not a page's headers). Everything else is config.settings.production as deployed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False, ignore_patterns=["admin", "import_export"])

    from organizations.models import Membership, Role
    from tests.conftest import build_world
    from tests.factories import CampaignFactory, EventFactory, TaskFactory, VolunteerFactory

    world = build_world()
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建")
    task = TaskFactory(campaign=campaign, title="开展志愿服务", lead_units=[world.dept_a])
    other_task = TaskFactory(campaign=campaign, title="整治环境卫生", lead_units=[world.affiliate_a])
    event = EventFactory(campaign=campaign, organization=world.unit_a)
    VolunteerFactory(organization=world.dept_a, name="赵一")
    office_membership = Membership.objects.get(user=world.user("a_office"), role=Role.OFFICE)

    results: list[dict] = []

    def fetch(actor: str | None, method: str, url: str, label: str, **extra) -> None:
        client = Client()
        if actor:
            client.force_login(world.user(actor))
        response = getattr(client, method)(url, secure=True, **extra)
        results.append(
            {
                "label": label,
                "url": url,
                "status": response.status_code,
                "content_type": response.get("Content-Type", ""),
                "csp": response.get("Content-Security-Policy", ""),
                "permissions_policy": response.get("Permissions-Policy", ""),
                "cache_control": response.get("Cache-Control", ""),
                "body": response.content.decode("utf-8", "replace") if not response.streaming else "",
            }
        )

    fetch(None, "get", "/accounts/login/", "login")
    for label, url in (
        ("home", "/"),
        ("campaigns", "/campaigns/"),
        ("campaign", f"/campaigns/{campaign.pk}/"),
        ("tasks", f"/campaigns/{campaign.pk}/tasks/"),
        ("task", f"/campaigns/tasks/{task.pk}/"),
        ("ledger", "/ledger/"),
        ("dossier", f"/ledger/{event.pk}/"),
        ("evaluation", "/evaluation/"),
        ("volunteers", "/volunteers/"),
        ("volunteer-stats", "/volunteers/stats/"),
        ("orgs", "/orgs/"),
        ("org", f"/orgs/{world.unit_a.pk}/"),
        ("password-change", "/accounts/password/"),
        ("password-change-done", "/accounts/password/done/"),
        ("not-found", "/campaigns/987654321/"),
    ):
        fetch("a_office", "get", url, label)
    fetch("a_leader", "get", f"/campaigns/{campaign.pk}/edit/", "forbidden")
    report = {f"t{task.pk}-percent": "40", f"t{task.pk}-text": "已开展两次活动"}
    fetch(
        "a_liaison", "post", f"/campaigns/tasks/{task.pk}/report/", "htmx-fragment", data=report, HTTP_HX_REQUEST="true"
    )
    other = {f"t{other_task.pk}-percent": "40", f"t{other_task.pk}-text": "越权填报"}
    fetch(
        "a_liaison",
        "post",
        f"/campaigns/tasks/{other_task.pk}/report/",
        "htmx-forbidden",
        data=other,
        HTTP_HX_REQUEST="true",
    )
    fetch("a_admin", "post", f"/orgs/members/{office_membership.pk}/password/", "member-password")
    sys.stdout.write(MARKER + json.dumps(results, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
