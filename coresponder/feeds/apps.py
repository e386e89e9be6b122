from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "coresponder.feeds"
    label = "feeds"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "EMS and 911 feeds"
