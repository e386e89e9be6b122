"""Retention: what each program's rules let go, legal holds that keep it, and the daily purge."""
