from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("dossiers/<int:pk>/", views.dossier_history, name="dossier"),
    path("tasks/<int:pk>/", views.task_history, name="task"),
    path("volunteers/<int:pk>/", views.volunteer_history, name="volunteer"),
    path("rounds/<int:pk>/", views.round_history, name="round"),
    path("rectifications/<int:pk>/", views.rectification_history, name="rectification"),
]
