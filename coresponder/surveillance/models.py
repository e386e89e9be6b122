"""Overdose spikes: an alert per area, day and method, and when each program was last checked.

An alert counts overdoses; it never names or points at a person.
"""

from __future__ import annotations

from django.db import models

from coresponder.domain.surveillance import METHOD_LABELS, Method, bound_text


class SpikeAlert(models.Model):
    """More overdoses in an area on a day than its method allows; one per area, day and method.

    Written once by `surveillance.actions` (audited); `notified_at` claims the notices so
    several workers never send them twice.
    """

    class AreaKind(models.TextChoices):
        DISTRICT = "district", "District"
        COUNTY = "county", "Program area"

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="spike_alerts"
    )
    area_kind = models.CharField(max_length=16, choices=AreaKind.choices)
    # The district's code, or "" for the program's whole area.
    area_code = models.CharField(max_length=32, blank=True)
    area_name = models.CharField(max_length=200)
    district = models.ForeignKey(
        "programs.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField(help_text="The program's local day")
    method = models.CharField(
        max_length=16, choices=[(m.value, label) for m, label in METHOD_LABELS.items()]
    )
    observed = models.PositiveIntegerField()
    # The EARS upper bound, or the fixed threshold for the threshold method.
    upper_bound = models.FloatField()
    expected = models.FloatField(null=True, blank=True, help_text="The reference days' mean")
    created_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-observed", "area_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "area_kind", "area_code", "day", "method"],
                name="one_spike_alert_per_area_day_method",
            )
        ]
        indexes = [models.Index(fields=["program", "day"])]

    def __str__(self) -> str:
        return f"Spike in {self.area_name} on {self.day:%Y-%m-%d} ({self.method})"

    @property
    def method_label(self) -> str:
        return Method(self.method).label

    @property
    def is_threshold(self) -> bool:
        return self.method == Method.THRESHOLD.value

    @property
    def bound_shown(self) -> str:
        """The expected upper bound as pages and notices give it."""
        return bound_text(self.upper_bound)


class SpikeCheck(models.Model):
    """When a program's overdoses were last checked for spikes, so the worker checks on a rhythm.

    Moved by one UPDATE per check and not audited: no one's data; each alert is audited.
    """

    program = models.OneToOneField(
        "programs.Program", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Spikes checked for {self.program_id} at {self.checked_at:%Y-%m-%d %H:%M:%S}"
