"""``POST /uploads``: a presigned, expiring form upload. printgate serves the upload URL itself on
local storage; with S3 configured the client posts straight to the bucket."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session

from printgate.core.api.deps import AnyKey, JsonBody, SessionDep
from printgate.core.api.form_upload import receive_form_file
from printgate.core.api.schemas import validate_body
from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge
from printgate.core.ids import new_id
from printgate.core.models import Upload
from printgate.core.storage import S3Storage, get_storage, sign_token, verify_token

router = APIRouter(tags=["uploads"])


@router.post("/uploads")
def create_upload(session: SessionDep, caller: AnyKey, body: JsonBody) -> dict[str, Any]:
    body = validate_body("UploadRequest", body if body is not None else {})
    return presign_upload(session, caller.account_id, mime_type=body.get("mimeType"), size_bytes=body.get("sizeBytes"))


def presign_upload(session: Session, account_id: str, *, mime_type: str | None = None,
                   size_bytes: int | None = None) -> dict[str, Any]:
    """A new expiring upload of ``account_id`` and the form that fills it (``POST /uploads``'s answer);
    also what the merchant dashboard's New Job page uploads through."""
    settings = get_settings()
    requested = size_bytes
    if requested is not None and requested > settings.max_upload_bytes:
        raise PayloadTooLarge(f"sizeBytes exceeds the {settings.max_upload_bytes} byte limit")
    max_bytes = settings.max_upload_bytes
    upload_id = new_id("upload")
    key = f"u/{account_id}/{upload_id}"
    expires_in = settings.upload_expires_s
    upload = Upload(id=upload_id, account_id=account_id, key=key, mime_type=mime_type,
                    max_bytes=max_bytes, expires_at=utcnow() + timedelta(seconds=expires_in))
    session.add(upload)
    session.commit()
    storage = get_storage()
    if isinstance(storage, S3Storage):
        post = storage.presigned_post(key, max_bytes=max_bytes, expires_in=expires_in)
        form = {"url": post["url"], "fields": post["fields"], "method": "POST"}
    else:
        exp = str(int(time.time()) + expires_in)
        policy = base64.b64encode(json.dumps({"fileRef": upload_id, "exp": exp, "maxBytes": max_bytes}).encode()).decode()
        form = {
            "url": f"{settings.public_url.rstrip('/')}/uploads/{upload_id}",
            "fields": {"key": key, "bucket": storage.bucket, "Policy": policy,
                       "X-Printgate-Signature": sign_token(settings.effective_signing_secret, "upload", upload_id, exp)},
            "method": "POST",
        }
    return {"fileRef": upload_id, "upload": form, "maxBytes": max_bytes, "expiresIn": expires_in}


def _complete(session: Session, upload: Upload, size: int, file_name: str | None, mime: str | None) -> None:
    upload.status = "uploaded"
    upload.size_bytes = size
    upload.file_name = file_name
    upload.mime_type = upload.mime_type or mime
    session.add(upload)
    session.commit()


@router.post("/uploads/{upload_id}", status_code=204, include_in_schema=True)
async def receive_upload(upload_id: str, request: Request, session: SessionDep) -> None:
    """The target of the presigned form: policy fields first, the ``file`` part last.

    The signature is checked when the file part starts, before any of its bytes are stored, and the
    file is written with a running count that stops at the cap (``printgate.core.api.form_upload``).
    """
    upload = session.get(Upload, upload_id)
    if upload is None:
        raise NotFound(f"Upload not found: {upload_id}")
    length = int(request.headers.get("content-length") or 0)
    if length > upload.max_bytes + 64 * 1024:
        raise PayloadTooLarge(f"File is larger than the {upload.max_bytes} byte limit")

    def authorize(fields: dict[str, str]) -> None:
        try:
            policy = json.loads(base64.b64decode(fields.get("Policy") or ""))
        except ValueError as exc:
            raise Forbidden("Upload policy is missing or malformed (send the policy fields before the file)") from exc
        exp = str(policy.get("exp", "")) if isinstance(policy, dict) else ""
        if not isinstance(policy, dict) or policy.get("fileRef") != upload_id or not verify_token(
            get_settings().effective_signing_secret, fields.get("X-Printgate-Signature") or "", "upload", upload_id, exp
        ):
            raise Forbidden("Upload signature does not match")
        if not exp.isdigit() or int(exp) < time.time() or as_utc(upload.expires_at) < utcnow():
            raise Forbidden("Upload URL has expired; request a new one with POST /uploads")
        if upload.status == "uploaded":
            raise BadRequest("This upload has already been completed")

    dst = get_storage().local_path(upload.key)
    tmp = dst.with_name(dst.name + ".part")
    received = await receive_form_file(request.headers.get("content-type", ""), request.stream(), tmp,
                                       upload.max_bytes, authorize)
    tmp.replace(dst)
    _complete(session, upload, received.size, received.file_name, received.content_type)
