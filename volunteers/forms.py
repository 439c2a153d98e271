"""Forms of the volunteer pages; choices always come from the user's scope."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import QuerySet

from organizations.field_ranges import refuse_implausible_dates
from organizations.models import Organization

from .models import DEFAULT_MAX_HOURS, ActivityCategory, Volunteer
from .services import hours_problem


class BootstrapMixin:
    """Bootstrap classes on every widget, and is-invalid on fields with errors."""

    def style(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            if self._errors and name in self._errors:
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        self.style()


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return ("　" * max(obj.depth - 1, 0)) + obj.name


class VolunteerForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Volunteer
        fields = ["name", "organization", "phone", "is_registered", "number", "registered_on", "team", "is_active"]
        widgets = {"registered_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = OrganizationChoiceField(queryset=organizations, label="所在部门")
        self.fields["number"].required = False
        self.style()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("is_registered") and not data.get("number"):
            self.add_error("number", "已注册的志愿者请填写志愿者编号。")
        return data


class ActivityForm(BootstrapMixin, forms.Form):
    organization = OrganizationChoiceField(queryset=Organization.objects.none(), label="组织单位")
    title = forms.CharField(label="活动名称", max_length=200)
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    place = forms.CharField(label="地点", max_length=200, required=False)
    category = forms.ChoiceField(label="类别", choices=ActivityCategory.choices)
    max_hours = forms.DecimalField(
        label="每人时长上限（小时）",
        initial=DEFAULT_MAX_HOURS,
        min_value=Decimal("0.5"),
        max_value=Decimal("24"),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    description = forms.CharField(label="活动内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    create_dossier = forms.BooleanField(
        label="同时建立台账档案",
        required=False,
        initial=True,
        help_text="在台账中以“志愿服务”类别建立本活动的档案，无需重复录入。",
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        refuse_implausible_dates(self, "date")
        self.fields["organization"].queryset = organizations
        self.fields["organization"].initial = organizations.first()
        self.style()

    def clean_max_hours(self) -> Decimal:
        value = self.cleaned_data["max_hours"]
        if value % Decimal("0.5") != 0:
            raise forms.ValidationError("上限须以 0.5 小时为单位。")
        return value


def parse_hours_rows(
    data: dict, volunteers: list[Volunteer], max_hours: Decimal
) -> tuple[list[tuple[Volunteer, Decimal]], dict[int, str], dict[int, str]]:
    """The hours typed per volunteer on the record form (`h_<id>`, with `v` checkboxes).

    Returns (entries, typed values by id, errors by id). A checked person without hours, or hours outside
    0.5 steps / the activity's maximum, is an error next to that person.
    """
    checked = {str(v) for v in data.getlist("v")} if hasattr(data, "getlist") else set()
    entries: list[tuple[Volunteer, Decimal]] = []
    typed: dict[int, str] = {}
    errors: dict[int, str] = {}
    for volunteer in volunteers:
        raw = (data.get(f"h_{volunteer.pk}") or "").strip()
        if raw:
            typed[volunteer.pk] = raw
        if not raw and str(volunteer.pk) not in checked:
            continue
        if not raw:
            errors[volunteer.pk] = "请填写时长"
            continue
        problem = hours_problem(raw, max_hours)
        if problem:
            errors[volunteer.pk] = problem
            continue
        entries.append((volunteer, Decimal(raw)))
    return entries, typed, errors


class ImportForm(BootstrapMixin, forms.Form):
    organization = OrganizationChoiceField(
        queryset=Organization.objects.none(), label="组织单位", help_text="新出现的活动记在此单位（部门）名下"
    )
    file = forms.FileField(label="Excel 文件（.xlsx）")
    confirmed = forms.BooleanField(label="导入即为已确认（仅创建办）", required=False)

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["organization"].initial = organizations.first()
        self.style()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 文件（可先下载模板）。")
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("文件超过 5 MB。")
        return upload


class TargetsForm(BootstrapMixin, forms.Form):
    registration_rate = forms.DecimalField(
        label="注册率目标（%）", min_value=0, max_value=100, decimal_places=1, initial=Decimal("100")
    )
    hours_per_volunteer = forms.DecimalField(
        label="每名注册志愿者年服务时长（小时）", min_value=0, decimal_places=1, initial=Decimal("25")
    )
    activities_per_year = forms.IntegerField(label="每年志愿服务活动次数", min_value=0, initial=4)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style()
