"""The NEMSIS upload pages, under /programs/<slug>/nemsis/."""

from django.urls import path

from coresponder.feeds import views

urlpatterns = [
    path("", views.nemsis_upload, name="feeds-nemsis"),
    path("preview/", views.nemsis_preview, name="feeds-nemsis-preview"),
    path("done/", views.nemsis_done, name="feeds-nemsis-done"),
    path("sample.xml", views.nemsis_sample, name="feeds-nemsis-sample"),
]
