from __future__ import annotations

from django import forms

from campaigns.models import Campaign
from ledger.models import Event
from organizations.models import Organization

from .models import Criterion, EvaluationSystem, RectificationItem, RectificationStatus


class _Bootstrap:
    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class ImportForm(_Bootstrap, forms.Form):
    file = forms.FileField(label="测评体系工作簿（.xlsx）", error_messages={"required": "请选择要导入的 .xlsx 文件"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx"
        self._style()

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("只接受 .xlsx 格式的工作簿")
        from .workbook import max_upload_bytes

        if f.size > max_upload_bytes():
            raise forms.ValidationError(f"文件超过 {max_upload_bytes() // (1024 * 1024)} MB 上限")
        return f


class AdoptForm(_Bootstrap, forms.Form):
    system = forms.ModelChoiceField(
        label="测评体系", queryset=EvaluationSystem.objects.all(), error_messages={"required": "请选择测评体系"}
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class RoundForm(_Bootstrap, forms.Form):
    system = forms.ModelChoiceField(
        label="测评体系", queryset=EvaluationSystem.objects.all(), error_messages={"required": "请选择测评体系"}
    )
    name = forms.CharField(label="轮次名称", max_length=100, error_messages={"required": "请填写轮次名称"})
    date = forms.DateField(
        label="自查日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写自查日期", "invalid": "日期格式不正确"},
    )

    def __init__(self, *args, systems=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if systems is not None:
            self.fields["system"].queryset = systems
        self._style()


class RectificationForm(_Bootstrap, forms.ModelForm):
    class Meta:
        model = RectificationItem
        fields = [
            "problem",
            "measure",
            "responsible_units",
            "responsible_person",
            "deadline",
            "status",
            "proof_events",
            "proof_file",
            "proof_links",
            "verification_note",
        ]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 2}),
            "measure": forms.Textarea(attrs={"rows": 2}),
            "proof_links": forms.Textarea(attrs={"rows": 2, "placeholder": "每行一个链接"}),
            "verification_note": forms.Textarea(attrs={"rows": 2}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {"problem": {"required": "请填写存在问题"}}

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible_units"].queryset = Organization.objects.filter(
            path__startswith=campaign.unit.path
        ).order_by("path")
        self.fields["proof_events"].queryset = Event.objects.filter(campaign=campaign).order_by("-start_date")
        self.fields["status"].choices = RectificationStatus.choices
        self._style()


class CriteriaTagForm(_Bootstrap, forms.Form):
    criteria = forms.ModelMultipleChoiceField(
        label="测评标准",
        queryset=Criterion.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 14}),
    )

    def __init__(self, *args, queryset, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = queryset
        self.fields["criteria"].label_from_instance = lambda c: f"{c.code} {c.text[:120]}"
        self._style()
