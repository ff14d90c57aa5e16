"""Webhook endpoint secrets are sealed at rest (issue 14, medium 8): a copy of the database alone
cannot forge printgate's webhooks; the key can live outside the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from printgate.core import crypto
from printgate.core.db import get_engine
from printgate.webhooks.signing import standard_verify
from tests.conftest import Instance, b64
from tests.webhooks.conftest import Receiver


def stored(endpoint_id: str) -> tuple[str, str | None]:
    with get_engine().connect() as conn:
        row = conn.execute(sa.text("SELECT secret, previous_secret FROM webhook_endpoint WHERE id = :i"),
                           {"i": endpoint_id}).one()
    return row[0], row[1]


def test_the_database_holds_no_endpoint_secret(client: TestClient, auth: dict[str, str], instance: Instance,
                                               receiver: Receiver, pdf_file: Path) -> None:
    created = client.post("/webhook-endpoints", headers=auth, json={"url": receiver.url}).json()["endpoint"]
    secret, _ = stored(created["id"])
    assert secret.startswith("fernet:") and created["secret"] not in secret
    rotated = client.post(f"/webhook-endpoints/{created['id']}/rotate-secret", headers=auth, json={})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["endpoint"]["secret"]
    current, previous = stored(created["id"])
    assert previous is not None and created["secret"] not in previous and new_secret not in current
    # Deliveries are signed with the real secrets: both verify during the rotation overlap.
    client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    instance.drain()
    assert receiver.requests
    for request in receiver.requests:
        standard_verify(new_secret, request.headers, request.body)
        standard_verify(created["secret"], request.headers, request.body)


def test_the_key_can_come_from_a_file_outside_the_data_dir(instance: Instance, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "elsewhere" / "printgate.key"
    key_file.parent.mkdir()
    key_file.write_text("a long passphrase kept out of the data dir\n")
    monkeypatch.delenv("PRINTGATE_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY_FILE", str(key_file))
    sealed = crypto.seal("whsec_c2VjcmV0")
    assert crypto.reveal(sealed) == "whsec_c2VjcmV0"
    key_file.write_text("another key\n")  # the data dir alone (or a wrong key) opens nothing
    with pytest.raises(crypto.CredentialsError):
        crypto.reveal(sealed)
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(crypto.CredentialsError, match="cannot be read"):
        crypto.seal("whsec_x")


def test_the_migration_seals_secrets_stored_in_plain_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from printgate.core.config import reset_settings
    from printgate.core.db import alembic_config, reset_engine

    monkeypatch.setenv("PRINTGATE_DATA_DIR", str(tmp_path / "old"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    reset_settings()
    reset_engine()
    try:
        config = alembic_config()
        command.upgrade(config, "0006")
        with get_engine().begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO webhook_endpoint (id, account_id, url, format, status_dialect, secret, previous_secret, "
                "enabled, failure_count, created_at, updated_at) VALUES ('we_old', 'acct_1', 'https://x.test', "
                "'printgate', 'lifecycle', 'whsec_cGxhaW4=', 'whsec_b2xk', 1, 0, '2026-01-01', '2026-01-01')"))
        command.upgrade(config, "head")
        secret, previous = stored("we_old")
        assert secret.startswith("fernet:") and previous is not None and previous.startswith("fernet:")
        assert (crypto.reveal(secret), crypto.reveal(previous)) == ("whsec_cGxhaW4=", "whsec_b2xk")
        command.downgrade(config, "0006")
        assert stored("we_old") == ("whsec_cGxhaW4=", "whsec_b2xk")
    finally:
        reset_engine()
        reset_settings()
