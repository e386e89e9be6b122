"""Teams and shifts pages, under /programs/<slug>/teams/, and the calendar feeds."""

from django.urls import path

from coresponder.programs import shift_views

urlpatterns = [
    path("", shift_views.teams_page, name="program-teams"),
    path("shifts/new", shift_views.add_shift_page, name="shift-add"),
    path("shifts/<int:shift_id>/", shift_views.change_shift_page, name="shift-change"),
    path(
        "shifts/<int:shift_id>/exceptions",
        shift_views.add_exceptions_page,
        name="shift-exceptions",
    ),
    path("new", shift_views.start_team_page, name="team-start"),
    path("<int:team_id>/stand-down", shift_views.stand_down_page, name="team-stand-down"),
    path("<int:team_id>/calendar/reset", shift_views.reset_team_feed, name="team-feed-reset"),
    path("<int:team_id>/members/add", shift_views.seat_page, name="team-seat-add"),
    path(
        "<int:team_id>/members/<int:seat_id>/remove",
        shift_views.unseat_page,
        name="team-seat-remove",
    ),
    path("my-calendar/reset", shift_views.reset_my_feed, name="my-feed-reset"),
]

calendar_urlpatterns = [
    path("team/<str:secret>.ics", shift_views.team_feed, name="calendar-team"),
    path("user/<str:secret>.ics", shift_views.user_feed, name="calendar-user"),
]
