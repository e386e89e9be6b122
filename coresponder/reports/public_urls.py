"""The program dashboard (/programs/<slug>/dashboard/) and its public, suppressed twin."""

from django.urls import include, path

from coresponder.reports import evaluation_views, views

urlpatterns = [
    path("programs/<slug:slug>/dashboard/", include("coresponder.reports.urls")),
    path(
        "programs/<slug:slug>/evaluation/",
        evaluation_views.evaluation,
        name="program-evaluation",
    ),
    path("public/<slug:slug>/dashboard/", views.public_dashboard, name="public-dashboard"),
    path(
        "public/<slug:slug>/dashboard/sections/<slug:name>/",
        views.public_dashboard_section,
        name="public-dashboard-section",
    ),
]
