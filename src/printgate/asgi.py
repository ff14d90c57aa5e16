"""ASGI entry point for uvicorn/gunicorn: ``uvicorn printgate.asgi:app``."""

import multiprocessing
import os

from printgate.app import create_app
from printgate.core import logs
from printgate.core.config import get_settings
from printgate.process_tree import die_with_parent

_supervisor = multiprocessing.parent_process()
if _supervisor is not None:
    # A worker process of ``uvicorn --workers N``: it dies with its supervisor. Found by the
    # fault-injection bench (issue 14): after a kill -9 of the API, its workers lived on as orphans
    # still answering on the port beside the API serve started next.
    die_with_parent()
    if os.getppid() != _supervisor.pid:  # the supervisor was gone before the signal was asked for
        os._exit(0)

logs.setup(get_settings().log_level, get_settings().log_json)
app = create_app()
