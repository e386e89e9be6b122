"""Outreach pages, under /programs/<slug>/outreach/."""

from django.urls import path

from coresponder.outreach import queue_views, route_views, views

urlpatterns = [
    path("", queue_views.queue, name="outreach-queue"),
    path("missed/", queue_views.missed_list, name="outreach-missed"),
    path("map/", views.task_map, name="outreach-map"),
    path("route/", route_views.route_page, name="outreach-route"),
    path("route/sheet/", route_views.route_sheet, name="outreach-route-sheet"),
    path("<int:task_id>/", views.task_page, name="outreach-task"),
    path("<int:task_id>/claim", views.claim_page, name="outreach-claim"),
    path("<int:task_id>/release", views.release_page, name="outreach-release"),
    path("<int:task_id>/assign", views.assign_page, name="outreach-assign"),
    path("<int:task_id>/checklist", views.checklist_page, name="outreach-checklist"),
    path("<int:task_id>/close", queue_views.close_page, name="outreach-close"),
]
