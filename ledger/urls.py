from django.urls import path

from . import evidence_views, views
from .archive import views as archive_views

app_name = "ledger"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.event_create, name="create"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/upload/", views.event_upload, name="upload"),
    path("<int:pk>/submit/", views.event_submit, name="submit"),
    path("<int:pk>/return/", views.event_return, name="return"),
    path("<int:pk>/archive/", views.event_archive, name="archive"),
    path("<int:pk>/delete/", views.event_delete, name="delete"),
    path("<int:pk>/withdraw/", views.event_withdraw, name="withdraw"),
    path("<int:pk>/media-reports/", views.media_report_add, name="media_report_add"),
    path("files/<int:pk>/download/", views.evidence_download, name="file_download"),
    path("files/<int:pk>/preview/", views.evidence_preview, name="file_preview"),
    path("files/<int:pk>/thumbnail/", views.evidence_thumbnail, name="file_thumbnail"),
    path("files/<int:pk>/delete/", views.evidence_delete, name="file_delete"),
    path("export/workbook/", views.export_workbook, name="export_workbook"),
    path("export/archive/", views.export_archive, name="export_archive"),
    path("export/archive-pdf/", archive_views.archive_pdf_start, name="export_archive_pdf"),
    path("archive-pdfs/<int:pk>/download/", archive_views.archive_build_download, name="archive_download"),
    path("settings/<int:campaign_pk>/", views.ledger_settings, name="settings"),
    path("settings/<int:campaign_pk>/banner-aliases/", evidence_views.banner_aliases, name="banner_aliases"),
]
