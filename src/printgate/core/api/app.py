"""The FastAPI application shell: error shape, CORS, OpenAPI document (routes come from the rooms)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from printgate.core.api.routes import docs
from printgate.core.api.schemas import filecheck_spec
from printgate.core.errors import PrintgateError, RateLimited, validation_message

log = logging.getLogger("printgate.api")

def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": True, "message": message}, status_code=status, headers=headers)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document for printgate's own routes, with Filecheck's 21 operations taken verbatim."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    own = get_openapi(title="printgate", version="0.1.0", routes=app.routes,
                      description="Filecheck-compatible print-file gate. The Filecheck operations are "
                                  "documented as published; printgate's additions are marked.")
    spec = filecheck_spec()
    for path, ops_ in spec["paths"].items():
        own["paths"].setdefault(path, {}).update(ops_)
    own.setdefault("components", {}).setdefault("schemas", {}).update(spec["components"]["schemas"])
    own["components"].setdefault("securitySchemes", {}).update(spec["components"].get("securitySchemes", {}))
    app.openapi_schema = own
    return own


def build_app() -> FastAPI:
    """The application shell: error shape, CORS, /docs and the OpenAPI document. The rooms add their
    routes through ``printgate.app.create_app``, which is what serves."""
    app = FastAPI(title="printgate", version="0.1.0", docs_url=None, redoc_url=None)
    docs.mount_docs(app)  # /docs with its assets served here, not from a CDN
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"],
                       expose_headers=["Retry-After"])

    @app.exception_handler(PrintgateError)
    async def _printgate_error(_request: Request, exc: PrintgateError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return error_response(exc.status_code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, validation_message(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "Not found"
        return error_response(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "Internal error")

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
