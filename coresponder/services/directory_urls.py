"""Service directory pages, under /programs/<slug>/services/."""

from django.urls import path

from coresponder.services import directory_views

urlpatterns = [
    path("", directory_views.search, name="service-search"),
    path("<int:service_id>/", directory_views.service_page, name="service-detail"),
    path("<int:service_id>/edit/", directory_views.edit_entry, name="service-edit"),
]
