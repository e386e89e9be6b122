"""Closed-loop referral pages; mounted at the site root."""

from django.urls import path

from coresponder.services import views

urlpatterns = [
    path("services/inbox/", views.inbox, name="referral-inbox"),
    path("services/<int:service_id>/capacity/", views.capacity, name="service-capacity"),
    path("people/<int:person_id>/refer/", views.refer, name="service-refer"),
    path("service-referrals/<int:referral_id>/", views.referral_detail, name="service-referral"),
    path(
        "service-referrals/<int:referral_id>/status/",
        views.referral_status,
        name="service-referral-status",
    ),
    path(
        "service-referrals/<int:referral_id>/appointment/",
        views.referral_appointment,
        name="service-referral-appointment",
    ),
    path(
        "service-referrals/<int:referral_id>/warm-handoff/",
        views.warm_handoff,
        name="service-referral-handoff",
    ),
]
