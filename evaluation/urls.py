from django.urls import path

from . import reminder_views, views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("systems/import/", views.system_import, name="system_import"),
    path("systems/import/published/", views.system_import_published, name="system_import_published"),
    path("systems/template.xlsx", views.template_download, name="template_download"),
    path("systems/template/", views.template_doc, name="template_doc"),
    path("systems/<int:pk>/", views.system_detail, name="system_detail"),
    path("systems/<int:pk>/export/", views.system_export, name="system_export"),
    path("systems/<int:pk>/weight/", views.system_weight, name="system_weight"),
    path("campaigns/<int:campaign_pk>/", views.campaign_overview, name="campaign_overview"),
    path("campaigns/<int:campaign_pk>/adopt/", views.system_adopt, name="system_adopt"),
    path("campaigns/<int:campaign_pk>/rounds/new/", views.round_create, name="round_create"),
    path("campaigns/<int:campaign_pk>/systems/<int:system_pk>/coverage/", views.coverage, name="coverage"),
    path("campaigns/<int:campaign_pk>/rectifications/", views.rectification_list, name="rectification_list"),
    path("campaigns/<int:campaign_pk>/rectifications/new/", views.rectification_create, name="rectification_create"),
    path(
        "campaigns/<int:campaign_pk>/rectifications/export/",
        views.rectification_export,
        name="rectification_export",
    ),
    path("rectifications/<int:pk>/", views.rectification_edit, name="rectification_edit"),
    path("rectifications/<int:pk>/urge/", reminder_views.rectification_urge, name="rectification_urge"),
    path("rectifications/<int:pk>/proof/", views.rectification_proof, name="rectification_proof"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/criteria/<int:criterion_pk>/", views.score_save, name="score_save"),
    path("rounds/<int:pk>/criteria/<int:criterion_pk>/rectify/", views.rectify_from_score, name="rectify_from_score"),
    path("rounds/<int:pk>/rectify/", views.round_rectify, name="round_rectify"),
    path("rounds/<int:pk>/bonus/", views.bonus_save, name="bonus_save"),
    path("rounds/<int:pk>/negative/", views.negative_save, name="negative_save"),
    path("rounds/<int:pk>/lock/", views.round_lock, name="round_lock"),
    path("rounds/<int:pk>/export/", views.round_export, name="round_export"),
    path("rounds/<int:pk>/compare/", views.round_compare, name="round_compare"),
    path("tasks/<int:task_pk>/criteria/", views.task_tags, name="task_tags"),
    path("events/<int:event_pk>/criteria/", views.event_tags, name="event_tags"),
]
