from django.urls import path

from . import reminder_views, trash_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.campaign_create, name="create"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("import/", views.plan_import, name="plan_import"),
    path("import/confirm/", views.plan_import_confirm, name="plan_import_confirm"),
    path("excel/template/", views.excel_template, name="excel_template"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/next-cycle/", views.campaign_next_cycle, name="next_cycle"),
    path("<int:pk>/tasks/", views.task_list, name="tasks"),
    path("<int:pk>/tasks/new/", views.task_create, name="task_create"),
    path("<int:pk>/tasks/export/", views.task_export, name="task_export"),
    path("<int:pk>/tasks/import/", views.task_import, name="task_import"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/report/", views.task_report, name="task_report"),
    path("tasks/<int:pk>/delete/", trash_views.task_delete, name="task_delete"),
    path("<int:pk>/reminders/", reminder_views.reminder_settings, name="reminder_settings"),
    path("tasks/<int:pk>/urge/", reminder_views.task_urge, name="task_urge"),
]
