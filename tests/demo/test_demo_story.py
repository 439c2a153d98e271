"""The demo tells a true story: this year's criteria are evidenced by this year's dossiers.

GIVEN a fresh `seed_demo` (dossiers of this year and of last year under each demo unit's campaign)
WHEN the office opens the coverage of the campaign's evaluation system, or scores a round
THEN most criteria are covered by dossiers of the campaign's own year, none by last year's, and the suggestions
     follow (a suggestion of 0 on most criteria, as the demo showed before, tells the wrong story).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign
from evaluation import scoring
from evaluation.models import CampaignSystem, Criterion
from evaluation.selectors import coverage_for
from organizations.models import User

pytestmark = pytest.mark.django_db

DEMO_UNITS = ("scjgj", "sthjj")


def test_criteria_of_the_demo_year_have_evidence_of_that_year():
    call_command("seed_demo", "--force", stdout=StringIO())
    campaigns = list(Campaign.objects.filter(unit__code__in=DEMO_UNITS).order_by("unit__code"))
    assert len(campaigns) == len(DEMO_UNITS)
    for campaign in campaigns:
        year = campaign.start_year
        # The demo has dossiers of both years, so the test can tell them apart.
        assert campaign.events.filter(start_date__year=year - 1).exists()
        system_id = CampaignSystem.objects.filter(campaign=campaign).values_list("system_id", flat=True).first()
        criteria = list(Criterion.objects.filter(system_id=system_id).order_by("order"))
        assert len(criteria) >= 10
        coverage = coverage_for(campaign, criteria)
        years = {e.start_date.year for cov in coverage.values() for e in cov.events}
        assert years == {year}, f"{campaign.title}: criteria tagged with dossiers of {sorted(years)}"
        with_evidence = [c for c in criteria if coverage[c.pk].events]
        covered = [c for c in criteria if coverage[c.pk].ratio >= 1]
        gaps = [c for c in criteria if coverage[c.pk].gap]
        assert len(with_evidence) * 4 >= len(criteria) * 3, (len(with_evidence), len(criteria))
        assert len(covered) * 4 >= len(criteria) * 3, (len(covered), len(criteria))
        assert len(gaps) * 4 <= len(criteria), (len(gaps), len(criteria))
        # Every structured rule the demo's dossiers can meet is met for most of them.
        ruled = [c for c in criteria if c.has_rule]
        assert ruled and sum(bool(coverage[c.pk].met) for c in ruled) * 4 >= len(ruled) * 3
        zero = [c for c in criteria if c.points and scoring.suggested_points(c.points, ratio=coverage[c.pk].ratio) == 0]
        assert len(zero) * 4 <= len(criteria), f"{len(zero)} of {len(criteria)} criteria suggest 0"

    # What the office sees: the coverage page's 缺口 count is the minority.
    campaign = campaigns[0]
    system_id = CampaignSystem.objects.filter(campaign=campaign).values_list("system_id", flat=True).first()
    client = Client()
    client.force_login(User.objects.get(username=f"{campaign.unit.code}_office"))
    response = client.get(reverse("evaluation:coverage", args=[campaign.pk, system_id]))
    assert response.status_code == 200
    gap_count, criterion_count = response.context["gap_count"], response.context["criterion_count"]
    assert gap_count * 4 <= criterion_count, (gap_count, criterion_count)
