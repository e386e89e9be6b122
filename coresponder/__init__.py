"""Coresponder: software for police–public-health co-responder and deflection programs."""

# The one place the version is written: pyproject.toml reads it (dynamic version),
# `coresponder --version` prints it, and CHANGELOG.md names each release.
__version__ = "0.1.0"
