"""The dashboard's roles, apart from the models so the command line can name them without loading
the database layer (``printgate check`` starts in a fraction of a second)."""

ROLES = ("owner", "staff")
