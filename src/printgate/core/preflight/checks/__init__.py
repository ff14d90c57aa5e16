"""Check modules: importing one registers its checks in the catalog."""
