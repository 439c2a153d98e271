"""Views of the evidence checks: the unit's banner alias list (the findings themselves sit on the dossier page)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from . import evidence_services, selectors
from .models import BannerAlias

MAX_ALIASES = 50


class BannerAliasForm(forms.Form):
    aliases = forms.CharField(
        label="横幅上使用的其他名称（每行一个）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "form-control"}),
        error_messages={"max_length": "内容过长（最多 5000 字）。"},
    )

    def clean_aliases(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["aliases"].splitlines() if line.strip()]
        if len(lines) > MAX_ALIASES:
            raise forms.ValidationError(f"最多填写 {MAX_ALIASES} 个别名。")
        too_long = [line for line in lines if len(line) > 100]
        if too_long:
            raise forms.ValidationError(f"别名“{too_long[0][:20]}…”过长（每个不超过 100 字）。")
        return lines


def banner_aliases(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """The 创建办 keeps the names its banners use (简称, 挂牌名…), matched by the banner check besides the name."""
    campaign = get_object_or_404(selectors.campaigns_for_ledger(request.user), pk=campaign_pk)
    if not selectors.can_manage_ledger(request.user, campaign):
        raise Http404
    unit = campaign.unit
    current = list(BannerAlias.objects.filter(organization=unit).values_list("alias", flat=True))
    form = BannerAliasForm(request.POST or None, initial={"aliases": "\n".join(current)})
    if request.method == "POST" and form.is_valid():
        aliases = form.cleaned_data["aliases"]
        saved = evidence_services.banner_aliases_set(unit=unit, aliases=aliases, actor=request.user)
        messages.success(request, f"已保存 {len(saved)} 个别名，已有图片的横幅文字已重新比对。")
        return redirect("ledger:banner_aliases", campaign_pk=campaign.pk)
    return render(
        request,
        "ledger/banner_aliases.html",
        {"form": form, "campaign": campaign, "unit": unit, "section_title": "横幅单位别名"},
        status=400 if request.method == "POST" else 200,
    )
