"""The program dashboard, under /programs/<slug>/dashboard/, and the sections it loads."""

from django.urls import path

from coresponder.reports import views

urlpatterns = [
    path("", views.dashboard, name="program-dashboard"),
    path("sections/<slug:name>/", views.dashboard_section, name="program-dashboard-section"),
]
