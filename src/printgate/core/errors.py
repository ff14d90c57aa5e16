"""Errors that map to a user-facing result in one place (HTTP status or a rejected step)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pydantic is loaded by the API, not by every user of these errors (a local check)
    from pydantic import BaseModel


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """A pydantic/FastAPI validation failure as one line naming the field: ``decision: Input should be ...``."""
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
    return f"{where}: {first.get('msg', 'invalid request')}".strip(": ")


ModelT = TypeVar("ModelT", bound="BaseModel")


def parse_body(model: type[ModelT], body: Any, *, where: str = "") -> ModelT:
    """``body`` as ``model`` (printgate's own bodies forbid unknown keys), or a 400 naming the field
    (``where`` prefixes it: ``apiCredentials.key: Field required``)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(body if body is not None else {})
    except ValidationError as exc:
        errors = [{**e, "loc": (where, *e["loc"])} if where else e for e in exc.errors()]
        raise BadRequest(validation_message(errors)) from None


class PrintgateError(Exception):
    """Base class: carries the HTTP status an API caller should see."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(PrintgateError):
    status_code = 400


class Unauthorized(PrintgateError):
    status_code = 401


class Forbidden(PrintgateError):
    status_code = 403


class NotFound(PrintgateError):
    status_code = 404


class Conflict(PrintgateError):
    status_code = 409


class PayloadTooLarge(PrintgateError):
    status_code = 413


class Unprocessable(PrintgateError):
    status_code = 422


class RateLimited(PrintgateError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnreadableFile(Exception):
    """The input file cannot be processed at all (corrupt, not a PDF, password-protected...).

    ``reason`` is shown to the customer/merchant as the failing step's reason; the job ends
    ``rejected`` instead of crashing the worker.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StepNotAvailable(Exception):
    """A step type that is part of the contract but not implemented by this printgate build."""
