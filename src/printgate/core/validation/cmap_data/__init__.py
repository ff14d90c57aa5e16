"""Predefined CMap and Registry-Ordering-UCS2 tables (data only; see LICENSE.txt and ../cmaps.py)."""
