from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "coresponder.surveillance"
    label = "surveillance"
    default_auto_field = "django.db.models.BigAutoField"
