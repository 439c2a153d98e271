from __future__ import annotations

from django import forms

from campaigns.models import Campaign
from ledger.models import Event
from ledger.uploads import ACCEPT_ATTR, CheckedFile, UploadRefused, check_file, max_file_bytes
from organizations.field_ranges import refuse_implausible_dates
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


class PublishedImportForm(_Bootstrap, forms.Form):
    """A 测评体系 as the city office published it: one table in Excel or Word, in its own columns."""

    file = forms.FileField(
        label="测评体系原表（.xlsx 或 .docx）", error_messages={"required": "请选择要导入的 .xlsx 或 .docx 文件"}
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.docx"
        self._style()

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".docx")):
            raise forms.ValidationError("只接受 .xlsx 或 .docx 格式的文件（.xls/.doc 请先用 Excel 或 Word 另存）")
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
    # Not the model's field: the upload is checked by ledger.uploads here and stored by the service.
    proof_file = forms.FileField(
        label="佐证文件（图片、PDF、Word、Excel、PPT、文本或 MP4 视频）",
        required=False,
        error_messages={"empty": "佐证文件为空（0 字节）。", "invalid": "上传的文件无效，请重新选择。"},
    )
    proof_file_clear = forms.BooleanField(label="删除现有佐证文件", required=False)
    field_order = [
        "problem",
        "measure",
        "responsible_units",
        "responsible_person",
        "deadline",
        "status",
        "proof_events",
        "proof_file",
        "proof_file_clear",
    ]

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
        refuse_implausible_dates(self, "deadline")
        self.fields["responsible_units"].queryset = Organization.objects.filter(
            path__startswith=campaign.unit.path
        ).order_by("path")
        self.fields["proof_events"].queryset = Event.objects.filter(campaign=campaign).order_by("-start_date")
        self.fields["status"].choices = RectificationStatus.choices
        self.fields["responsible_units"].widget.attrs["data-searchable-select"] = ""
        self.fields["proof_file"].widget.attrs["accept"] = ACCEPT_ATTR
        if not (self.instance.pk and self.instance.proof_file):
            del self.fields["proof_file_clear"]
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("status") == RectificationStatus.CLOSED:
            keeps_file = bool(self.instance.pk and self.instance.proof_file and not data.get("proof_file_clear"))
            if not (data.get("verification_note") or "").strip():
                self.add_error("verification_note", "销号须填写核验意见。")
            if not (
                data.get("proof_events")
                or data.get("proof_file")
                or keeps_file
                or (data.get("proof_links") or "").strip()
            ):
                self.add_error("proof_links", "销号须提供佐证：选择佐证档案、上传佐证文件或填写佐证链接。")
        return data

    def clean_proof_file(self) -> CheckedFile | None:
        """The uploaded proof, decided by its content (ledger.uploads); None when no file was chosen."""
        upload = self.cleaned_data.get("proof_file")
        if not upload:
            return None
        limit = max_file_bytes()
        try:
            # One byte past the limit is enough for the checker to refuse it as oversize.
            return check_file(upload.name, upload.read(limit + 1), max_bytes=limit)
        except UploadRefused as exc:
            raise forms.ValidationError(str(exc)) from None


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


class BulkRectifyForm(_Bootstrap, forms.Form):
    """转整改 of many lost points at once: one deadline for all, 责任单位 per criterion (prefilled from its tasks)."""

    deadline = forms.DateField(
        label="整改时限",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "请填写整改时限", "invalid": "日期格式不正确"},
    )

    def __init__(self, *args, campaign: Campaign, lines: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        refuse_implausible_dates(self, "deadline")
        units = Organization.objects.filter(path__startswith=campaign.unit.path).order_by("path")
        self._criteria = [line.criterion.pk for line in lines]
        for line in lines:
            self.fields[f"units-{line.criterion.pk}"] = forms.ModelMultipleChoiceField(
                label=f"{line.criterion.code} 责任单位",
                queryset=units,
                required=False,
                initial=[u.pk for u in line.units],
                widget=forms.SelectMultiple(attrs={"size": 3, "data-searchable-select": ""}),
                error_messages={"invalid_choice": "所选单位不属于本单位", "invalid_pk_value": "所选单位无效"},
            )
        self._style()

    def units_by_criterion(self) -> dict[int, list[Organization]]:
        return {pk: list(self.cleaned_data.get(f"units-{pk}") or []) for pk in self._criteria}
