from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("cockpit/", views.cockpit, name="cockpit"),
    path("cockpit/<int:pk>/", views.unit_cockpit, name="unit_cockpit"),
    path("city/", views.city, name="city"),
    path("city/thresholds/", views.city_thresholds, name="city_thresholds"),
    path("city/refresh/", views.city_refresh, name="city_refresh"),
]
urlpatterns += [
    path("supervision/", views.supervision_list, name="supervision_list"),
    path("supervision/new/", views.supervision_create, name="supervision_create"),
    path("supervision/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("supervision/<int:pk>/answer/", views.supervision_answer, name="supervision_answer"),
    path("supervision/<int:pk>/close/", views.supervision_close, name="supervision_close"),
]
urlpatterns += [
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/new/", views.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/export/", views.bulletin_export, name="bulletin_export"),
    path("bulletins/<int:pk>/export.pdf", views.bulletin_pdf, name="bulletin_pdf"),
]
