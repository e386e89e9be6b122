from django.urls import path

from coresponder.privacy import consent_views as views

urlpatterns = [
    path("people/<int:person_id>/consents/new/", views.consent_new, name="consent-new"),
    path(
        "people/<int:person_id>/consents/<int:consent_id>/revoke/",
        views.consent_revoke,
        name="consent-revoke",
    ),
    path("people/<int:person_id>/disclosures/", views.disclosures, name="disclosures"),
    path("break-glass/", views.break_glass, name="break-glass"),
    path("break-glass/reviews/", views.break_glass_review_list, name="break-glass-reviews"),
]
