"""The SLA board, under /programs/<slug>/sla/."""

from django.urls import path

from coresponder.outreach import sla_views

urlpatterns = [
    path("", sla_views.sla_board, name="sla-board"),
]
