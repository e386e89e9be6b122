"""The program dashboard (/programs/<slug>/dashboard/) and its public, suppressed twin."""

from django.urls import include, path

from coresponder.reports import views

urlpatterns = [
    path("programs/<slug:slug>/dashboard/", include("coresponder.reports.urls")),
    path("public/<slug:slug>/dashboard/", views.public_dashboard, name="public-dashboard"),
    path(
        "public/<slug:slug>/dashboard/sections/<slug:name>/",
        views.public_dashboard_section,
        name="public-dashboard-section",
    ),
]
