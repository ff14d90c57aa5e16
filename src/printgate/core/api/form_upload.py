"""A presigned form upload read straight from the request stream.

Starlette's ``request.form()`` spools the whole body to disk before the route sees a single field,
so a forged signature or an oversize file (chunked, with no Content-Length) cost the server the
whole body first: a disk-fill attack with a public ``pk_`` key. Here the policy fields come first
(as with S3 presigned posts); the file part is refused before its first byte when the signature is
wrong, and writing stops at the size cap with a running count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header

from printgate.core.errors import BadRequest, PayloadTooLarge

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 20


@dataclass
class ReceivedFile:
    path: Path
    size: int
    file_name: str | None
    content_type: str | None


@dataclass
class _State:
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    value: bytearray = field(default_factory=bytearray)
    out: IO[bytes] | None = None
    file: ReceivedFile | None = None
    in_file: bool = False


async def receive_form_file(content_type: str, body: AsyncIterator[bytes], destination: Path, max_bytes: int,
                            authorize: Callable[[dict[str, str]], None]) -> ReceivedFile:
    """Stream a ``multipart/form-data`` body: text fields, then one ``file`` part written to
    ``destination``. ``authorize(fields)`` runs when the file part starts (raise to refuse)."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest("Send the upload as multipart/form-data")
    state = _State()
    destination.parent.mkdir(parents=True, exist_ok=True)

    def on_part_begin() -> None:
        state.headers, state.name, state.value = {}, None, bytearray()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        state.headers[bytes(state.header_field).lower()] = bytes(state.header_value)
        state.header_field, state.header_value = bytearray(), bytearray()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state.headers.get(b"content-disposition", b""))
        state.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if state.name != "file":
            if len(state.fields) >= MAX_FIELDS:
                raise BadRequest("Too many form fields")
            return
        if state.file is not None or state.out is not None:
            raise BadRequest("The form has more than one 'file' part")
        authorize(dict(state.fields))  # before the first byte of the file is read
        raw_name = disposition.get(b"filename")
        mime = state.headers.get(b"content-type")
        state.file = ReceivedFile(destination, 0, raw_name.decode("utf-8", "replace") if raw_name else None,
                                  mime.decode("latin-1") if mime else None)
        state.out = destination.open("wb")
        state.in_file = True

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.in_file and state.out is not None and state.file is not None:
            state.file.size += end - start
            if state.file.size > max_bytes:
                raise PayloadTooLarge(f"File is larger than the {max_bytes} byte limit")
            state.out.write(data[start:end])
            return
        state.value += data[start:end]
        if len(state.value) > MAX_FIELD_BYTES:
            raise BadRequest(f"Form field {state.name!r} is too long")

    def on_part_end() -> None:
        if state.in_file:
            state.in_file = False
        elif state.name:
            state.fields[state.name] = state.value.decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    try:
        async for chunk in body:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except BaseException:
        if state.out is not None:
            state.out.close()
        destination.unlink(missing_ok=True)
        raise
    if state.out is not None:
        state.out.close()
    if state.file is None:
        raise BadRequest("The form has no 'file' part (send it last, after the policy fields)")
    return state.file
