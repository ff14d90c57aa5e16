"""ASGI entry point for uvicorn/gunicorn: ``uvicorn printgate.asgi:app``."""

from printgate.app import create_app
from printgate.core import logs
from printgate.core.config import get_settings

logs.setup(get_settings().log_level, get_settings().log_json)
app = create_app()
