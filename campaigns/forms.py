from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from organizations.field_ranges import refuse_implausible_dates
from organizations.models import Organization, User
from organizations.query_params import MAX_YEAR, MIN_YEAR

from .models import Campaign, CampaignLevel, CampaignStatus, Phase, Recurrence, Task, TaskStatus


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["unit", "title", "level", "start_year", "end_year", "status", "guiding_idea", "goals", "plan_text"]
        widgets = {
            "guiding_idea": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "plan_text": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
        if self.instance.pk:
            # The unit cannot change: offer only it, so the page never lists every organisation of the platform.
            self.fields["unit"].queryset = Organization.objects.filter(pk=self.instance.unit_id)
            self.fields["unit"].disabled = True
        for name in ("start_year", "end_year"):
            self.fields[name].min_value, self.fields[name].max_value = MIN_YEAR, MAX_YEAR
            self.fields[name].validators += [MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
            self.fields[name].widget.attrs.update(min=MIN_YEAR, max=MAX_YEAR)
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select" if isinstance(f.widget, forms.Select) else "form-control")

    def clean(self):
        data = super().clean()
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", "结束年度不能早于起始年度。")
        return data


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = [
            "parent",
            "number",
            "title",
            "content",
            "lead_units",
            "cooperating_units",
            "responsible_people",
            "phase",
            "start_date",
            "due_date",
            "recurrence",
            "target_text",
            "status",
            "progress",
            "order",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 4}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "lead_units": forms.SelectMultiple(attrs={"size": 6, "data-searchable-select": ""}),
            "cooperating_units": forms.SelectMultiple(attrs={"size": 6, "data-searchable-select": ""}),
            "responsible_people": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_implausible_dates(self, "start_date", "due_date")
        orgs = Organization.objects.filter(path__startswith=campaign.unit.path).order_by("path")
        self.fields["lead_units"].queryset = orgs
        self.fields["cooperating_units"].queryset = orgs
        self.fields["phase"].queryset = Phase.objects.filter(campaign=campaign)
        self.fields["responsible_people"].queryset = (
            User.objects.filter(memberships__organization__path__startswith=campaign.unit.path)
            .distinct()
            .order_by("username")
        )
        parents = Task.objects.filter(campaign=campaign)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["order"].required = False
        for f in self.fields.values():
            cls = "form-select" if isinstance(f.widget, forms.Select | forms.SelectMultiple) else "form-control"
            f.widget.attrs.setdefault("class", cls)

    def clean(self):
        data = super().clean()
        lead, coop = set(data.get("lead_units") or []), set(data.get("cooperating_units") or [])
        if lead & coop:
            self.add_error("cooperating_units", "同一单位不能既牵头又配合。")
        return data


class ProgressReportForm(forms.Form):
    percent = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100)
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    organization = forms.ModelChoiceField(label="填报单位", queryset=Organization.objects.none(), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(pk__in=[u.pk for u in units])
        self.fields["percent"].widget.attrs.update({"class": "form-control form-control-sm", "inputmode": "numeric"})
        self.fields["text"].widget.attrs.update({"class": "form-control form-control-sm"})
        self.fields["organization"].widget.attrs.update({"class": "form-select form-select-sm"})
        self.fields["percent"].error_messages.update(
            {"min_value": "进度不能小于 0。", "max_value": "进度不能大于 100。", "invalid": "请输入 0 到 100 的整数。"}
        )


class PlanUploadForm(forms.Form):
    unit = forms.ModelChoiceField(label="创建单位", queryset=Organization.objects.none())
    campaign = forms.ModelChoiceField(
        label="导入到已有创建活动（可不选）", queryset=Campaign.objects.none(), required=False
    )
    title = forms.CharField(label="创建活动名称", max_length=200, required=False)
    level = forms.ChoiceField(label="级别", choices=CampaignLevel.choices, initial=CampaignLevel.CITY)
    start_year = forms.IntegerField(label="起始年度", min_value=2000, max_value=2100, required=False)
    end_year = forms.IntegerField(label="结束年度", min_value=2000, max_value=2100, required=False)
    # Kept as pasted (not stripped): it is stored as the campaign's plan text.
    text = forms.CharField(label="粘贴方案全文", widget=forms.Textarea(attrs={"rows": 10}), required=False, strip=False)
    file = forms.FileField(
        label="或上传 .txt / .docx 文件",
        required=False,
        error_messages={"empty": "文件是空的，请选择方案正文文件。", "invalid": "上传的文件无效，请重新选择。"},
    )

    def __init__(self, *args, units, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["campaign"].queryset = campaigns
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select" if isinstance(f.widget, forms.Select) else "form-control")

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError("请粘贴方案全文，或选择要上传的文件。")
        if data.get("campaign") and data.get("unit") and data["campaign"].unit_id != data["unit"].pk:
            self.add_error("campaign", "所选创建活动不属于该单位。")
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", "结束年度不能早于起始年度。")
        return data


class TaskFilterForm(forms.Form):
    q = forms.CharField(label="关键词", required=False)
    phase = forms.ModelChoiceField(label="阶段", queryset=Phase.objects.none(), required=False, empty_label="全部")
    lead = forms.ModelChoiceField(
        label="牵头单位", queryset=Organization.objects.none(), required=False, empty_label="全部"
    )
    coop = forms.ModelChoiceField(
        label="配合单位", queryset=Organization.objects.none(), required=False, empty_label="全部"
    )
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), *TaskStatus.choices, ("late", "逾期")], required=False
    )
    due_within = forms.IntegerField(label="N 天内到期", min_value=0, max_value=3650, required=False)
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("", "按方案顺序"),
            ("due", "完成时限（早→晚）"),
            ("-due", "完成时限（晚→早）"),
            ("progress", "进度（低→高）"),
            ("-progress", "进度（高→低）"),
            ("status", "状态"),
        ],
    )
    recurrence = forms.ChoiceField(label="频次", choices=[("", "全部"), *Recurrence.choices], required=False)

    def __init__(self, *args, campaign: Campaign | None = None, orgs=None, phases=None, **kwargs):
        super().__init__(*args, **kwargs)
        if phases is not None:
            self.fields["phase"].queryset = phases
        if orgs is not None:
            self.fields["lead"].queryset = orgs
            self.fields["coop"].queryset = orgs
        for f in self.fields.values():
            f.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if isinstance(f.widget, forms.Select) else "form-control form-control-sm",
            )


class ExcelImportForm(forms.Form):
    file = forms.FileField(label="任务分解表（.xlsx）", error_messages={"empty": "文件是空的。"})


STATUS_CHOICES = CampaignStatus.choices


def _style_formset(formset):
    for form in formset.forms:
        for name, f in form.fields.items():
            if name == "DELETE":
                f.widget.attrs.setdefault("class", "form-check-input")
            else:
                cls = (
                    "form-select form-select-sm"
                    if isinstance(f.widget, forms.Select)
                    else "form-control form-control-sm"
                )
                f.widget.attrs.setdefault("class", cls)
    return formset


class PhaseForm(forms.ModelForm):
    class Meta:
        model = Phase
        fields = ["name", "start", "end", "description", "order"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_implausible_dates(self, "start", "end")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        return data


PhaseFormSet = forms.inlineformset_factory(Campaign, Phase, form=PhaseForm, extra=1, can_delete=True)
LeadershipFormSet = forms.inlineformset_factory(
    Campaign,
    Campaign.leadership.rel.related_model,
    fields=["role", "name", "user", "duty", "order"],
    extra=1,
    can_delete=True,
    widgets={"duty": forms.TextInput()},
)


def campaign_formsets(data=None, *, instance):
    leaders = LeadershipFormSet(data, instance=instance, prefix="leaders")
    people = (
        User.objects.filter(memberships__organization__path__startswith=instance.unit.path)
        .distinct()
        .order_by("username")
    )
    for form in leaders.forms:
        form.fields["user"].queryset = people
        form.fields["user"].label = "对应用户"
    leaders.empty_form.fields["user"].queryset = people
    return (
        _style_formset(PhaseFormSet(data, instance=instance, prefix="phases")),
        _style_formset(leaders),
    )
