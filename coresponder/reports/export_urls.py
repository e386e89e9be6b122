"""Export pages, under /programs/<slug>/exports/."""

from django.urls import path, re_path

from coresponder.reports import export_views

urlpatterns = [
    path("", export_views.exports_index, name="reports-exports"),
    path(
        "quarterly/<int:year>/<int:quarter>/",
        export_views.quarterly_page,
        name="reports-quarterly",
    ),
    path(
        "quarterly/<int:year>/<int:quarter>/report.pdf",
        export_views.quarterly_download,
        name="reports-quarterly-pdf",
    ),
    re_path(
        r"^(?P<table>[a-z]+)\.(?P<extension>csv|xlsx)$",
        export_views.export_table,
        name="reports-export",
    ),
]
