from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The sign-in form with Chinese labels and messages."""

    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。注意密码区分大小写。",
        "inactive": "该账号已停用，请联系管理员。",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "class": "form-control"})
        self.fields["password"].label = "密码"
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password", "class": "form-control"})


class OrganizationForm(forms.Form):
    """Create or edit a node. The kinds offered depend on where it sits."""

    name = forms.CharField(label="名称", max_length=200)
    short_name = forms.CharField(label="简称", max_length=100, required=False)
    code = forms.SlugField(
        label="代码",
        max_length=64,
        help_text="字母、数字、连字符，全平台唯一，如 scjgj-bgs",
        error_messages={"invalid": "代码只能包含字母、数字、下划线和连字符。"},
    )
    kind = forms.ChoiceField(label="类型")
    order = forms.IntegerField(label="排序", min_value=0, initial=0, required=False)

    def __init__(self, *args, kinds: tuple[str, ...], instance=None, kind_locked: bool = False, **kwargs) -> None:
        from .models import Organization, OrganizationKind

        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "short_name": instance.short_name,
                "code": instance.code,
                "kind": instance.kind,
                "order": instance.order,
            }
        super().__init__(*args, **kwargs)
        choices = [(k, OrganizationKind(k).label) for k in kinds]
        if instance is not None and instance.kind not in kinds:
            choices.insert(0, (instance.kind, instance.get_kind_display()))
        self.fields["kind"].choices = choices
        if kind_locked:
            # The kind of the node the admin sits in (or one above it) is changed from above; the service refuses too.
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = "本单位及上级组织的类型只能由上级管理员修改。"
        self._organization_model = Organization

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        clash = self._organization_model.objects.filter(code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("该代码已被其他组织使用，请换一个。")
        return code

    def clean_order(self) -> int:
        return self.cleaned_data.get("order") or 0


class MemberAddForm(forms.Form):
    """Add a person: an existing username, or a new account with an initial password."""

    username = forms.CharField(label="用户名", max_length=150, help_text="已有账号填写其用户名；新账号将按此用户名创建")
    real_name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    password = forms.CharField(
        label="初始密码",
        required=False,
        widget=forms.PasswordInput(render_value=True),
        help_text="仅新账号需要；至少 8 位，不能全是数字",
    )
    role = forms.ChoiceField(label="角色")
    title = forms.CharField(label="职务", max_length=100, required=False)

    def __init__(self, *args, roles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles

    def clean(self) -> dict:
        from django.contrib.auth.password_validation import validate_password

        from .models import User

        data = super().clean()
        username = data.get("username", "").strip()
        data["username"] = username
        if username and not User.objects.filter(username=username).exists():
            if not data.get("real_name"):
                self.add_error("real_name", "新账号请填写姓名。")
            password = data.get("password")
            if not password:
                self.add_error("password", "新账号需要设置初始密码。")
            else:
                try:
                    validate_password(password, User(username=username, real_name=data.get("real_name", "")))
                except forms.ValidationError as exc:
                    self.add_error("password", exc)
        return data


class PersonForm(forms.Form):
    """A person's name and phone, as their organisation's admin corrects them."""

    real_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.RegexField(
        label="手机号",
        max_length=20,
        required=False,
        regex=r"^[0-9+\- ]*$",
        error_messages={"invalid": "手机号只能包含数字、空格、+ 和 -。"},
    )

    def clean_real_name(self) -> str:
        name = self.cleaned_data["real_name"].strip()
        if not name:
            raise forms.ValidationError("请填写姓名。")
        return name

    def clean_phone(self) -> str:
        return self.cleaned_data.get("phone", "").strip()
