from django.urls import path

from coresponder.people import identity_views

urlpatterns = [
    path("", identity_views.match_review, name="people-match-review"),
    path("suggest/", identity_views.match_suggest, name="people-match-suggest"),
    path("<int:candidate_id>/decision/", identity_views.match_decide, name="people-match-decide"),
    path("merges/<int:merge_id>/undo/", identity_views.merge_undo, name="people-merge-undo"),
]
