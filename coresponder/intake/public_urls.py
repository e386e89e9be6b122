"""The public help page (no sign-in) and the coordinators' triage of what it receives."""

from django.urls import path

from coresponder.intake import public_views, triage_views

urlpatterns = [
    path("help", public_views.help_page, name="help"),
    # Before <slug>: "thanks" is the page after a request, not a program.
    path("help/thanks", public_views.help_thanks, name="help-thanks"),
    path("help/<slug:slug>", public_views.help_page, name="help-program"),
    path("programs/<slug:slug>/triage/", triage_views.triage_list, name="triage-list"),
    path(
        "programs/<slug:slug>/triage/<int:referral_id>",
        triage_views.triage_decide,
        name="triage-decide",
    ),
]
