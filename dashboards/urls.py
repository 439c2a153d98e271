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
