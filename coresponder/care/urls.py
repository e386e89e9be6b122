"""Care plan pages: a person's plans under /people/<id>/care/, one plan under /care-plans/,
and a program's plans without an owner under /programs/<slug>/care-plans/orphaned/."""

from django.urls import path

from coresponder.care import views

urlpatterns = [
    path("people/<int:person_id>/care/", views.person_care_plans, name="person-care"),
    path("care-plans/<int:plan_id>/", views.care_plan, name="care-plan"),
    path("care-plans/<int:plan_id>/goals", views.add_goal, name="care-goal-add"),
    path("care-plans/<int:plan_id>/follow-ups", views.add_follow_up, name="care-follow-up-add"),
    path("care-plans/<int:plan_id>/status", views.plan_status, name="care-plan-status"),
    path("care-plans/<int:plan_id>/owner", views.plan_owner, name="care-plan-owner"),
    path(
        "care-plans/<int:plan_id>/handover",
        views.orphaned_plan_handover,
        name="care-plan-handover",
    ),
    path(
        "programs/<slug:slug>/care-plans/orphaned/",
        views.orphaned_plans,
        name="care-plans-orphaned",
    ),
    path("care-goals/<int:goal_id>/steps", views.add_step, name="care-step-add"),
    path("care-goals/<int:goal_id>/status", views.goal_status, name="care-goal-status"),
    path("care-steps/<int:step_id>/done", views.step_done, name="care-step-done"),
    path("care-follow-ups/<int:follow_up_id>/", views.follow_up_link, name="care-follow-up"),
    path(
        "care-follow-ups/<int:follow_up_id>/done", views.follow_up_done, name="care-follow-up-done"
    ),
]
