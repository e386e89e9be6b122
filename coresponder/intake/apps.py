from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "coresponder.intake"
    label = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A death a coordinator decides is another record's than its overdose's person's:
        # intake gives that record an overdose of its own (identity cannot call intake).
        from coresponder.identity.actions import place_deaths_apart_with
        from coresponder.intake.actions import place_death_apart

        place_deaths_apart_with(place_death_apart)
