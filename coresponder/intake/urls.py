"""Staff intake pages, under /programs/<slug>/referrals/."""

from django.urls import path

from coresponder.intake import views

urlpatterns = [
    path("new/", views.choose_pathway, name="referral-choose"),
    path("new/<slug:pathway>/", views.new_referral, name="referral-new"),
    path("<int:referral_id>/", views.referral_result, name="referral-result"),
    path("<int:referral_id>/person/", views.name_person, name="referral-person"),
    path("<int:referral_id>/team/", views.team_step, name="referral-team-step"),
]
