"""Every model of the project has a factory that builds it, and an admin page with search and filters."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse

import tests.factories as factories
from organizations.history import is_historical

PROJECT_APPS = [a.split(".")[0] for a in settings.LOCAL_APPS]


def _project_models():
    for label in PROJECT_APPS:
        # Historical models (django-simple-history) are written only by the tracked models' own saves and read on
        # the 历史 pages and 操作记录 · 数据变更; tests/history/test_recording.py checks which models are tracked.
        yield from (m for m in apps.get_app_config(label).get_models() if not is_historical(m))


def _factories_by_model() -> dict:
    found = {}
    for name in dir(factories):
        obj = getattr(factories, name)
        meta = getattr(obj, "_meta", None)
        model = getattr(meta, "model", None)
        if name.endswith("Factory") and model is not None:
            found[model] = obj
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(_project_models()), ids=lambda m: m._meta.label)
def test_every_model_has_a_working_factory(model):
    factory = _factories_by_model().get(model)
    assert factory is not None, f"tests/factories has no factory for {model._meta.label}"
    obj = factory()
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", list(_project_models()), ids=lambda m: m._meta.label)
def test_every_model_is_in_the_admin_with_chinese_names(model):
    assert model in admin.site._registry, f"{model._meta.label} is not registered in the admin"
    name = str(model._meta.verbose_name)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in name), f"{model._meta.label} verbose_name is not Chinese: {name}"
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields or model_admin.list_filter, f"{model._meta.label}: no search or filters"


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(_project_models()), ids=lambda m: m._meta.label)
def test_admin_changelist_renders_with_a_search(model):
    from tests.factories import UserFactory

    factory = _factories_by_model().get(model)
    if factory is not None:
        factory()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url, {"q": "测试"}).status_code == 200
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_admin_is_for_staff_only(world):
    client = Client()
    client.force_login(world.user("a_admin"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
