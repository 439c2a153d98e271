from django.urls import path

from . import trash_views, views

app_name = "volunteers"

urlpatterns = [
    path("", views.volunteer_list_view, name="index"),
    path("new/", views.volunteer_create_view, name="volunteer_create"),
    path("<int:pk>/", views.volunteer_detail_view, name="volunteer_detail"),
    path("<int:pk>/edit/", views.volunteer_update_view, name="volunteer_update"),
    path("<int:pk>/delete/", trash_views.volunteer_delete, name="volunteer_delete"),
    path("activities/", views.activity_list_view, name="activity_list"),
    path("activities/new/", views.activity_create_view, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail_view, name="activity_detail"),
    path("activities/<int:pk>/hours/", views.activity_add_hours_view, name="activity_add_hours"),
    path("activities/<int:pk>/delete/", trash_views.activity_delete, name="activity_delete"),
    path("records/<int:pk>/hours/", views.record_return_fix_view, name="record_fix"),
    path("confirm/", views.confirm_queue_view, name="confirm"),
    path("stats/", views.statistics_view, name="statistics"),
    path("targets/", views.targets_view, name="targets"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template_view, name="import_template"),
    path("export/volunteers.xlsx", views.export_volunteers_view, name="export_volunteers"),
    path("export/records.xlsx", views.export_records_view, name="export_records"),
]
