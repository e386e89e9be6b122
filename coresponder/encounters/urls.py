"""Encounter pages, under /programs/<slug>/encounters/."""

from django.urls import path

from coresponder.encounters import views

urlpatterns = [
    path("new/", views.new_encounter, name="encounter-new"),
    path("<int:encounter_id>/", views.encounter_detail, name="encounter-detail"),
]
