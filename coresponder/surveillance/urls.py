from django.urls import path

from coresponder.surveillance import views

urlpatterns = [
    path("", views.spike_alerts, name="spike-alerts"),
    path("check/", views.check_spikes, name="spike-check"),
]
