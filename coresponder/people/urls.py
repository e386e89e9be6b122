from django.urls import path

from coresponder.people import views

urlpatterns = [
    path("", views.person_search, name="person-search"),
    path("<int:person_id>/", views.person_detail, name="person-detail"),
    path("<int:person_id>/timeline/", views.person_timeline_page, name="person-timeline"),
    path("<int:person_id>/edit/", views.person_edit, name="person-edit"),
]
