from django.urls import path

from . import views

app_name = "trash"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/restore/", views.restore, name="restore"),
    path("empty/", views.empty, name="empty"),
]
