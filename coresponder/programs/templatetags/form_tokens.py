"""The hidden token that makes a create form save once.

    {% load form_tokens %}
    <form method="post">{% csrf_token %}{% form_token form %} …

See `coresponder/programs/form_tokens.py`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from coresponder.programs import form_tokens

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context: template.Context, form: Any = None) -> SafeString:
    """A hidden input: the token the form came back with, or a fresh one."""
    token = form_tokens.token_for(context["request"], form)
    return format_html('<input type="hidden" name="{}" value="{}">', form_tokens.FIELD, token)
