"""Synthetic demo data: programs filled with plausible people, referrals and follow-up.

Everything here is made up from the program presets and one seeded random
generator, so the same seed and anchor date always give the same data.
"""
