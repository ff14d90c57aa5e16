"""Signed, expiring download URLs for locally stored files (S3 serves its own presigned URLs)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import FileResponse

from printgate.core.config import get_settings
from printgate.core.errors import Forbidden, NotFound
from printgate.core.storage import get_storage, verify_token

router = APIRouter(tags=["files"])

_MIME = {".pdf": "application/pdf", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg",
         ".jpeg": "image/jpeg", ".json": "application/json", ".tif": "image/tiff", ".tiff": "image/tiff"}


@router.get("/files/{key:path}", include_in_schema=False)
def download(key: str, exp: str = "", sig: str = "", name: str | None = None) -> FileResponse:
    if not exp.isdigit() or not verify_token(get_settings().effective_signing_secret, sig, "download", key, exp,
                                             name or ""):
        raise Forbidden("Download link is invalid")
    if int(exp) < time.time():
        raise Forbidden("Download link has expired; read the job again for a fresh link")
    storage = get_storage()
    try:
        path = storage.local_path(key)
    except ValueError as exc:
        raise NotFound("File not found") from exc
    if not path.is_file():
        raise NotFound("File not found")
    media = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media, filename=name, content_disposition_type="inline" if name is None else "attachment")
