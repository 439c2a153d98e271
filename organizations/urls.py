from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list_view, name="list"),
    path("audit/", views.audit_list_view, name="audit"),
    path("audit/changes/", views.changes_list_view, name="changes"),
    path("<int:pk>/", views.organization_detail_view, name="detail"),
    path("<int:pk>/new/", views.organization_create_view, name="create_child"),
    path("<int:pk>/edit/", views.organization_edit_view, name="edit"),
    path("<int:pk>/members/new/", views.member_add_view, name="member_add"),
    path("members/<int:pk>/remove/", views.member_remove_view, name="member_remove"),
    path("members/<int:pk>/password/", views.member_password_view, name="member_password"),
    path("members/<int:pk>/edit/", views.member_edit_view, name="member_edit"),
]
