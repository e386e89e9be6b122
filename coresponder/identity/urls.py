from django.urls import path

from coresponder.identity import views

urlpatterns = [
    path("", views.match_review, name="people-match-review"),
    path("suggest/", views.match_suggest, name="people-match-suggest"),
    path("<int:candidate_id>/decision/", views.match_decide, name="people-match-decide"),
    path("ask/<int:person_id>/<int:other_id>/", views.match_ask, name="people-match-ask"),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="people-merge-undo"),
    path("merges/<int:merge_id>/ask-again/", views.merge_ask_again, name="people-merge-ask-again"),
]
