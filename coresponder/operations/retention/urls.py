from django.urls import path

from coresponder.operations.retention import views

urlpatterns = [
    path("", views.legal_holds, name="legal-holds"),
    path("<int:hold_id>/release/", views.release_hold, name="legal-hold-release"),
]
