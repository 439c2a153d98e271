from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notice_list_view, name="list"),
    path("bell/", views.bell_view, name="bell"),
    path("<int:pk>/open/", views.notice_open_view, name="open"),
    path("<int:pk>/read/", views.notice_mark_read_view, name="mark_read"),
    path("read-all/", views.notice_mark_all_read_view, name="mark_all_read"),
    path("preferences/", views.preferences_view, name="preferences"),
    path("outbox/", views.outbox_list_view, name="outbox"),
    path("outbox/<int:pk>/resend/", views.outbox_resend_view, name="outbox_resend"),
    path("robots/", views.robot_list_view, name="robots"),
    path("robots/new/", views.robot_create_view, name="robot_create"),
    path("robots/<int:pk>/edit/", views.robot_edit_view, name="robot_edit"),
    path("robots/<int:pk>/delete/", views.robot_delete_view, name="robot_delete"),
    path("robots/<int:pk>/test/", views.robot_test_view, name="robot_test"),
]
