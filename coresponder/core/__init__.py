"""What every app shares: the action errors, the actor and the audit trail, tracked
records with optimistic locking, and the form and HTTP helpers.

Core imports only the pure domain and Django; every app may import core.
"""
