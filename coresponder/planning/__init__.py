"""Capacity planning: how many teams, on which shifts, answer how many calls."""
