"""JSON request bodies: capped in size (413), and malformed ones are a 400 that says why, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

LIMIT = 4096


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.config import reset_settings

    monkeypatch.setenv("PRINTGATE_MAX_JSON_BODY_BYTES", str(LIMIT))
    reset_settings()


def body_of(size: int) -> bytes:
    """A valid job body of exactly ``size`` bytes (the padding is in a metadata value)."""
    base = json.dumps({"sources": [{"url": "https://example.com/a.pdf"}], "metaData": {"pad": ""}}).encode()
    raw = json.dumps({"sources": [{"url": "https://example.com/a.pdf"}],
                      "metaData": {"pad": "x" * (size - len(base))}}).encode()
    assert len(raw) == size
    return raw


def test_a_body_over_the_cap_is_refused_at_the_boundary(client: Any, auth: dict[str, str], small_cap: None) -> None:
    over = client.post("/jobs", content=body_of(LIMIT + 1), headers={**auth, "Content-Type": "application/json"})
    assert over.status_code == 413, over.text
    assert over.json()["error"] is True and "fileRef" in over.json()["message"]
    at = client.post("/jobs", content=body_of(LIMIT), headers={**auth, "Content-Type": "application/json"})
    assert at.status_code != 413, at.text


def test_a_chunked_body_without_a_length_is_counted_as_it_arrives(client: Any, auth: dict[str, str],
                                                                  small_cap: None) -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            pulled.append(1024)
            yield b" " * 1024

    response = client.post("/jobs", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert sum(pulled) > LIMIT


def test_the_default_cap_leaves_room_for_an_inline_file(client: Any, auth: dict[str, str]) -> None:
    from printgate.core.config import get_settings

    settings = get_settings()
    assert settings.max_json_body_bytes >= settings.max_inline_file_bytes * 4 // 3 + 64 * 1024
    over = client.post("/jobs", content=b"[" + b" " * settings.max_json_body_bytes + b"]",
                       headers={**auth, "Content-Type": "application/json"})
    assert over.status_code == 413


def test_deeply_nested_json_is_a_400(client: Any, auth: dict[str, str]) -> None:
    deep = b'{"sources": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post("/jobs", content=deep, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "nested too deep" in response.json()["message"]


def test_a_lone_surrogate_in_a_file_name_is_a_400(client: Any, auth: dict[str, str]) -> None:
    raw = b'{"sources": [{"url": "https://example.com/a.pdf", "name": "art\\ud800work.pdf"}]}'
    response = client.post("/jobs", content=raw, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "lone surrogate" in response.json()["message"]
    # The same name, properly paired, is fine as far as the body goes.
    paired = b'{"sources": [{"url": "https://example.com/a.pdf", "name": "art\\ud83d\\ude00work.pdf"}]}'
    fine = client.post("/jobs", content=paired, headers={**auth, "Content-Type": "application/json"})
    assert "surrogate" not in fine.text and fine.status_code != 500
