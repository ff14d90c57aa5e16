"""The merchant dashboard (``/dashboard/``): server-rendered pages for a shop's staff.

``models.py`` the users, sessions and sign-in failures; ``auth.py`` passwords, sessions, CSRF and the
sign-in rate limit; ``queries.py`` the jobs list; ``views.py`` a job shaped for a page; ``routes.py``
the pages; ``cli.py`` ``printgate users``. Wired by ``printgate.widgets.room``.
"""
