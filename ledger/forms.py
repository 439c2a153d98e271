"""Forms of the ledger: they validate and hand clean data to the services."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q

from campaigns.models import Campaign, Task
from campaigns.selectors import tasks_for_department
from organizations.field_ranges import refuse_implausible_dates

from .models import DEFAULT_REQUIRED_SLOTS, Event, EventStatus, EvidenceFile, Slot, category_choices
from .selectors import campaigns_for_ledger, organizations_for_new_event

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "organization",
            "title",
            "category",
            "start_date",
            "end_date",
            "place",
            "participant_count",
            "description",
            "tasks",
        ]
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 4}),
            "tasks": forms.SelectMultiple(attrs={"size": 6}),
        }
        error_messages = {
            "title": {"required": "请填写活动名称。"},
            "start_date": {"required": "请填写活动日期。", "invalid": "日期格式应为 2026-05-12。"},
            "organization": {"required": "请选择组织单位。"},
        }

    def __init__(self, *args, user, campaign: Campaign, task: Task | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        refuse_implausible_dates(self, "start_date", "end_date")
        self.campaign = campaign
        self.fields["organization"].queryset = organizations_for_new_event(user, campaign)
        self.fields["organization"].label_from_instance = lambda o: o.name
        self._set_task_choices(user, campaign)
        if self.instance.pk:
            del self.fields["organization"]
        elif self.fields["organization"].queryset.count() == 1:
            self.fields["organization"].initial = self.fields["organization"].queryset.first()
        if task is not None and not self.is_bound and not self.instance.pk:
            self._start_from_task(task)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select | forms.SelectMultiple) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def _set_task_choices(self, user, campaign: Campaign) -> None:
        """The task picker: the user's own tasks first, then the rest; section headings (tasks with sub-tasks)
        are not offered, except one the dossier is already linked to (so saving keeps it)."""
        field = self.fields["tasks"]
        own = tasks_for_department(user).filter(pk=OuterRef("pk"))
        keep = Q(children__isnull=True)
        if self.instance.pk:
            keep |= Q(pk__in=self.instance.tasks.values("pk"))
        field.queryset = (
            Task.objects.filter(campaign=campaign)
            .filter(keep)
            .distinct()
            .annotate(mine=Exists(own))
            .order_by("-mine", "order", "pk")
        )
        field.required = False
        field.label_from_instance = lambda t: f"{t.number} {t.title}".strip()
        rows = list(field.queryset.only("pk", "number", "title", "order"))
        mine = [(t.pk, field.label_from_instance(t)) for t in rows if t.mine]
        others = [(t.pk, field.label_from_instance(t)) for t in rows if not t.mine]
        if mine:
            field.widget.choices = [("本部门的任务", mine), *([("其他任务", others)] if others else [])]
        else:
            field.widget.choices = others
        field.help_text = "按住 Ctrl（手机上直接点选）可选多项。" if rows else "本创建活动还没有任务。"

    def _start_from_task(self, task: Task) -> None:
        """建档 from a task: the task linked, and the organisation the task names (lead first) preselected."""
        if task.campaign_id != self.campaign.pk:
            return
        self.initial["tasks"] = [task.pk]
        orgs = self.fields.get("organization")
        if orgs is not None and self.initial.get("organization") is None and orgs.initial is None:
            named = [*task.lead_units.all(), *task.cooperating_units.all()]
            allowed = {o.pk: o for o in orgs.queryset.filter(pk__in=[o.pk for o in named])}
            first = next((allowed[o.pk] for o in named if o.pk in allowed), None)
            if first is not None:
                orgs.initial = first

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": "请填写退回原因。"},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤档原因",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": "请填写撤档原因。"},
    )


class MediaReportForm(forms.Form):
    outlet = forms.CharField(label="媒体", max_length=100, error_messages={"required": "请填写媒体名称。"})
    date = forms.DateField(label="刊发日期", widget=DATE_WIDGET, error_messages={"required": "请填写刊发日期。"})
    title = forms.CharField(label="标题", max_length=200, error_messages={"required": "请填写报道标题。"})
    url = forms.URLField(
        label="链接",
        required=False,
        assume_scheme="https",
        max_length=500,
        error_messages={"invalid": "链接格式不正确。"},
    )

    screenshot = forms.ModelChoiceField(
        label="截图（本档案中的图片）", queryset=EvidenceFile.objects.none(), required=False, empty_label="（无）"
    )

    def __init__(self, *args, event: Event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["screenshot"].queryset = EvidenceFile.objects.filter(
            event=event, detected_type__in=["jpg", "png", "webp", "gif"]
        )
        self.fields["screenshot"].label_from_instance = lambda f: f.original_name
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if name == "screenshot" else "form-control form-control-sm"
            )


class LedgerSettingsForm(forms.Form):
    review_enabled = forms.BooleanField(label="提交后需创建办审核（关闭后提交即归档）", required=False)
    max_file_mb = forms.IntegerField(label="单个文件上限（MB）", required=False, min_value=1, max_value=2048)
    max_dossier_mb = forms.IntegerField(label="单个档案上限（MB）", required=False, min_value=1, max_value=20480)

    def __init__(self, *args, settings_obj, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.slot_fields: list[tuple[str, list[str]]] = []
        for cat, cat_label in category_choices():
            names = []
            req = settings_obj.requirements_for(cat)
            for slot, slot_label in Slot.choices:
                name = f"req_{cat}_{slot}"
                self.fields[name] = forms.IntegerField(
                    label=f"{cat_label}·{slot_label}",
                    min_value=0,
                    max_value=50,
                    required=False,
                    initial=req.get(slot, 0),
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end wm-w-4-5r"}),
                )
                names.append(name)
            self.slot_fields.append((cat_label, names))
        self.fields["review_enabled"].initial = settings_obj.review_enabled
        self.fields["review_enabled"].widget.attrs["class"] = "form-check-input"
        self.fields["max_file_mb"].initial = settings_obj.max_file_mb
        self.fields["max_dossier_mb"].initial = settings_obj.max_dossier_mb
        for name in ("max_file_mb", "max_dossier_mb"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def required_slots(self) -> dict[str, dict[str, int]]:
        out = {}
        for cat, _label in category_choices():
            req = {}
            for slot in Slot.values:
                value = self.cleaned_data.get(f"req_{cat}_{slot}") or 0
                if value:
                    req[slot] = value
            out[cat] = req
        return out


STATUS_CHOICES = [("", "全部"), *EventStatus.choices]
DEFAULTS_TEXT = "、".join(
    f"{dict(Slot.choices)[s]}{'≥' + str(n) if n > 1 else ''}" for s, n in DEFAULT_REQUIRED_SLOTS.items()
)
__all__ = ["DEFAULTS_TEXT", "EventForm", "LedgerSettingsForm", "MediaReportForm", "ReturnForm", "campaigns_for_ledger"]
