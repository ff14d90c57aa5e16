"""Where files live: a local directory by default, any S3-compatible bucket through settings.

Keys are relative paths (``u/<account>/<upload id>``, ``a/<account>/<job>/<task>/<name>``).
Download URLs are signed and expire; for local storage printgate serves them itself at
``/files/<key>?exp=..&sig=..``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from printgate.core.config import Settings, get_settings

# Download links expire at the end of a time bucket, so every read within one bucket produces the
# same URL: job bodies stay cacheable and links stay valid for at least ``expires_in``.
URL_BUCKET_S = 300


def url_bucket(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // URL_BUCKET_S)


def bucketed_expiry(expires_in: int) -> int:
    return (url_bucket() + 1) * URL_BUCKET_S + expires_in


def sign_token(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\n".join(parts).encode(), hashlib.sha256).hexdigest()


def verify_token(secret: str, signature: str, *parts: str) -> bool:
    return hmac.compare_digest(sign_token(secret, *parts), signature)


class Storage(Protocol):
    bucket: str

    def put_file(self, key: str, src: Path, mime_type: str | None = None) -> int: ...
    def put_bytes(self, key: str, data: bytes, mime_type: str | None = None) -> int: ...
    def local_path(self, key: str) -> Path: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def download_url(self, key: str, *, expires_in: int, file_name: str | None = None) -> str: ...


class LocalStorage:
    bucket = "local"

    def __init__(self, settings: Settings) -> None:
        self.root = (settings.data_dir / "files").resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings = settings

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("storage key escapes the storage root")
        return path

    def put_file(self, key: str, src: Path, mime_type: str | None = None) -> int:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".part")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)
        return dst.stat().st_size

    def put_bytes(self, key: str, data: bytes, mime_type: str | None = None) -> int:
        dst = self._path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dst)
        return len(data)

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete_prefix(self, prefix: str) -> None:
        _remove(self._path(prefix))

    def download_url(self, key: str, *, expires_in: int, file_name: str | None = None) -> str:
        exp = str(bucketed_expiry(expires_in))
        # The file name is signed too: it sets the download's Content-Disposition, so an unsigned
        # ``name`` let anyone holding a link serve the file under a name of their choosing.
        sig = sign_token(self.settings.effective_signing_secret, "download", key, exp, file_name or "")
        query = {"exp": exp, "sig": sig}
        if file_name:
            query["name"] = file_name
        return f"{self.settings.public_url.rstrip('/')}/files/{quote(key)}?{urlencode(query)}"


def _remove(path: Path) -> None:
    """A stored prefix: a folder of files, or one file."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


class S3Storage:
    """S3-compatible storage (AWS, MinIO, R2...). Files are staged to a local cache to process."""

    def __init__(self, settings: Settings) -> None:
        import boto3  # optional dependency: pip install printgate[s3]

        if not settings.s3_bucket:
            raise ValueError("PRINTGATE_S3_BUCKET is required when PRINTGATE_STORAGE=s3")
        self.bucket = settings.s3_bucket
        self.client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id, aws_secret_access_key=settings.s3_secret_access_key,
        )
        # Workers stage objects here to read them; per instance, so two printgates never share it.
        self.cache = settings.data_dir.resolve() / "s3-cache"

    def put_file(self, key: str, src: Path, mime_type: str | None = None) -> int:
        extra = {"ContentType": mime_type} if mime_type else {}
        self.client.upload_file(str(src), self.bucket, key, ExtraArgs=extra)
        return src.stat().st_size

    def put_bytes(self, key: str, data: bytes, mime_type: str | None = None) -> int:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=mime_type or "application/octet-stream")
        return len(data)

    def local_path(self, key: str) -> Path:
        path = self.cache / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Into a private temp name first: an interrupted download must never look like the file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
            os.close(fd)
            try:
                self.client.download_file(self.bucket, key, tmp)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return path

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except Exception:
            return False

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def delete_prefix(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})
        _remove(self.cache / prefix)  # and the staged copies, or retention would never free the disk

    def download_url(self, key: str, *, expires_in: int, file_name: str | None = None) -> str:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if file_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{file_name}"'
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

    def presigned_post(self, key: str, *, max_bytes: int, expires_in: int) -> dict:
        return dict(self.client.generate_presigned_post(
            self.bucket, key, Conditions=[["content-length-range", 0, max_bytes]], ExpiresIn=expires_in,
        ))


_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    if _storage is None:
        settings = get_settings()
        _storage = S3Storage(settings) if settings.storage == "s3" else LocalStorage(settings)
    return _storage


def reset_storage() -> None:
    global _storage
    _storage = None
