"""Triage of public requests for help: a coordinator takes each one up or closes it."""

from __future__ import annotations

from coresponder.intake.models import TriageStatus

# Where a request may go from "new"; setting it back to "new" is not a decision.
TRIAGE_DECISIONS = (TriageStatus.ACCEPTED, TriageStatus.NOT_REACHED, TriageStatus.CLOSED)
