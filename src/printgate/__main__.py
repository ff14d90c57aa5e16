"""``python -m printgate``: the same command line as the ``printgate`` script."""

from printgate.cli import main

raise SystemExit(main())
