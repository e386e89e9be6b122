from django.urls import path

from coresponder.people import (
    contact_request_views,
    records_request_views,
    rights_views,
    views,
)

urlpatterns = [
    path("", views.person_search, name="person-search"),
    path("<int:person_id>/", views.person_detail, name="person-detail"),
    path("<int:person_id>/timeline/", views.person_timeline_page, name="person-timeline"),
    path("<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path(
        "<int:person_id>/records-request/",
        rights_views.records_request_page,
        name="records-request",
    ),
    path(
        "<int:person_id>/records-requests/new/",
        records_request_views.records_request_log,
        name="records-request-log",
    ),
    path(
        "records-requests/<int:request_id>/",
        records_request_views.records_request_detail,
        name="records-request-detail",
    ),
    path(
        "records-requests/<int:request_id>/denial-letter/",
        records_request_views.records_request_denial_letter_page,
        name="records-request-denial-letter",
    ),
    path(
        "records-requests/<int:request_id>/review-letter/",
        records_request_views.records_request_review_letter_page,
        name="records-request-review-letter",
    ),
    path(
        "records-requests/open/<slug:slug>/",
        records_request_views.records_request_list,
        name="records-request-list",
    ),
    path("<int:person_id>/amendments/new/", rights_views.amendment_new, name="amendment-new"),
    path("amendments/<int:amendment_id>/", rights_views.amendment_decide, name="amendment-decide"),
    path(
        "amendments/<int:amendment_id>/denial-letter/",
        rights_views.amendment_denial_letter,
        name="amendment-denial-letter",
    ),
    path("amendments/open/<slug:slug>/", rights_views.amendment_list, name="amendment-list"),
    path(
        "<int:person_id>/contact-requests/",
        contact_request_views.contact_requests_page,
        name="contact-requests",
    ),
    path(
        "contact-requests/<int:request_id>/withdraw/",
        contact_request_views.contact_request_withdraw,
        name="contact-request-withdraw",
    ),
]
