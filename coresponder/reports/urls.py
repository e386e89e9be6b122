"""The program dashboard, under /programs/<slug>/dashboard/."""

from django.urls import path

from coresponder.reports import views

urlpatterns = [
    path("", views.dashboard, name="program-dashboard"),
]
