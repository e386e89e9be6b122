"""`{% scroll_table "caption-id" %}<table>…</table>{% endscroll_table %}`: a wide table's box.

A table that does not stack on a phone may be wider than the screen; it scrolls inside
this box, never the page. The box is a named region a keyboard reaches (tabindex 0),
so a person without a mouse can scroll it too (WCAG 2.1.1), and a screen reader names
it by the table's caption.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_block_tag
def scroll_table(content: str, *caption_id: Any, label: str = "") -> str:
    """The box, named by the caption whose id is `caption_id` joined, or else by `label`."""
    labelledby = "".join(str(part) for part in caption_id)
    if not labelledby and not label:
        raise template.TemplateSyntaxError("scroll_table needs a caption's id or a label")
    name = (
        format_html('aria-labelledby="{}"', labelledby)
        if labelledby
        else format_html('aria-label="{}"', label)
    )
    return format_html(
        '<div class="usa-table-container--scrollable cr-table-scroll" tabindex="0" '
        'role="region" {}>{}</div>',
        name,
        content,
    )
