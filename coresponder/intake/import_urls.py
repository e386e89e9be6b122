from django.urls import path

from coresponder.intake import import_views

urlpatterns = [
    path("<slug:slug>/", import_views.import_upload, name="intake-import"),
    path("<slug:slug>/map/", import_views.import_map, name="intake-import-map"),
    path("<slug:slug>/preview/", import_views.import_preview, name="intake-import-preview"),
    path("<slug:slug>/done/", import_views.import_done, name="intake-import-done"),
]
