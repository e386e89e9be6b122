"""The dashboard's card of today's overdose spikes, for readers the policy lets see them.

{% load spike_alerts %}{% spike_alerts_card program %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string

from coresponder.core.errors import NotVisible
from coresponder.privacy.access import spike_alerts_for
from coresponder.programs.local_time import today_in
from coresponder.surveillance.reading import alerts_on

register = template.Library()


@register.simple_tag(takes_context=True)
def spike_alerts_card(context: template.Context, program: Any) -> str:
    """A linked card with today's spikes; nothing for a reader who may not see them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    try:
        _program, counts = spike_alerts_for(user, program.slug)
    except NotVisible:
        return ""
    alerts = alerts_on(program, today_in(program), counts=counts)
    # A template's output is already safe: nothing is marked safe by hand.
    return render_to_string(
        "surveillance/_card.html",
        {"program": program, "alerts": alerts, "counts": counts},
        request=request,
    )
