"""Spot colours to process: placeholder, filled in below."""
