"""The reminder settings form (提醒规则) of a campaign."""

from __future__ import annotations

from django import forms

from .models import ReminderSettings
from .urging import SETTINGS_FIELDS

MAX_DUE_SOON_STEPS = 6
MAX_DUE_SOON_DAYS = 90


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = list(SETTINGS_FIELDS)
        widgets = {"due_soon_days": forms.TextInput(attrs={"placeholder": "7,3,1"})}

    def clean_due_soon_days(self) -> str:
        raw = (self.cleaned_data.get("due_soon_days") or "").replace("，", ",").replace("、", ",")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts:
            raise forms.ValidationError("请至少填写一个天数，如 7,3,1。")
        days = []
        for p in parts:
            if not (p.isascii() and p.isdigit()):
                raise forms.ValidationError(f"“{p}”不是天数，请填写用逗号分隔的整数，如 7,3,1。")
            n = int(p)
            if not 1 <= n <= MAX_DUE_SOON_DAYS:
                raise forms.ValidationError(f"天数应在 1 到 {MAX_DUE_SOON_DAYS} 之间（“{p}”）。")
            days.append(n)
        if len(set(days)) > MAX_DUE_SOON_STEPS:
            raise forms.ValidationError(f"最多设置 {MAX_DUE_SOON_STEPS} 个提醒天数。")
        return ",".join(str(d) for d in sorted(set(days), reverse=True))

    def clean(self) -> dict:
        data = super().clean()
        office, leaders = data.get("escalate_office_days"), data.get("escalate_leaders_days")
        if office and leaders and leaders < office:
            self.add_error("escalate_leaders_days", "告知组长、副组长的天数不能少于告知创建办的天数。")
        return data
