"""The REST API (Filecheck-compatible) and printgate's own additions."""
