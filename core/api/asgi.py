"""ASGI entry point for uvicorn/gunicorn: ``uvicorn core.api.asgi:app``."""

from core import logs
from core.api.app import create_app
from core.config import get_settings

logs.setup(get_settings().log_level, get_settings().log_json)
app = create_app()
