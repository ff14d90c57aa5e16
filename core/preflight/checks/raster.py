"""Checks (filled in below)."""
