"""The site's WSGI application, stopped at the write FAULT_PAUSE names (see child.py).

gunicorn serves it in the fault tests (`gunicorn --preload tests.faults.paused_wsgi:application`):
loaded once, URLs and API included, before gunicorn forks the process that serves, so the
process gunicorn forks again after one is killed answers at once and does not pause again.
"""

from __future__ import annotations

from django.urls import get_resolver

from coresponder.wsgi import application
from tests.faults.child import install_pause

install_pause()
get_resolver().reverse_dict  # noqa: B018 - imports every URL module and the API now

__all__ = ["application"]
