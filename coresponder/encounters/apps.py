from django.apps import AppConfig


class EncountersConfig(AppConfig):
    name = "coresponder.encounters"
    label = "encounters"
    default_auto_field = "django.db.models.BigAutoField"
