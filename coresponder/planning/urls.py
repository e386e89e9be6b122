"""The capacity planner, under /programs/<slug>/planning/."""

from django.urls import path

from coresponder.planning import views

urlpatterns = [
    path("", views.planner, name="capacity-planner"),
]
