"""printgate: a self-hostable print-file gate for online print shops, API-compatible with Filecheck.

The rooms: ``printgate.core`` (the engine), ``printgate.connectors`` (one room per store),
``printgate.webhooks`` (inbound verification, outbound delivery) and ``printgate.widgets`` (what
runs in a browser).
"""
