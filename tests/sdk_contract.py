"""Comparing printgate's answers with Filecheck's SDK fixtures (/work/shared/spec/sdk-fixtures/).

The fixtures are copied from the SDK's own test suite. A printgate body matches one when it has every
key the fixture has, with a value of the same JSON type (null on either side is not compared: both
sides have nullable fields), recursively, and the same status words where the fixture has them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

FIXTURES = Path("/work/shared/spec/sdk-fixtures")

# Parts whose content is not a job shape: free-form objects (params, metaData, policy), step outputs
# (a Filecheck storage detail per step type) and the preflight report body (printgate's own engine;
# its shape is tested in tests/preflight).
FREE_FORM = frozenset({"params", "metaData", "outputs", "report", "runtimeParams", "policy"})
# Fixture keys printgate does not produce (Filecheck internals): the lean task's intermediate-artifact
# pointers, always null in the fixtures.
NOT_PRODUCED = frozenset({"inputArtifact", "currentArtifact"})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names = {dict: "object", list: "array", str: "string"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), type(value).__name__)


def shape_mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where ``actual`` lacks a key of ``expected`` or holds a value of another JSON type."""
    if expected is None or actual is None:
        return []
    if json_type(expected) != json_type(actual):
        return [f"{path}: {json_type(actual)}, the fixture has {json_type(expected)}"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key in NOT_PRODUCED:
                continue
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            elif key not in FREE_FORM:
                problems.extend(shape_mismatches(value, actual[key], f"{path}.{key}"))
    elif isinstance(expected, list) and expected and actual:
        for index, item in enumerate(actual):
            problems.extend(shape_mismatches(expected[0], item, f"{path}[{index}]"))
    return problems


def status_words(body: Any, path: str = "$") -> dict[str, Any]:
    """Every ``status`` / ``outcome`` in a body, by path (list items by position)."""
    out: dict[str, Any] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("status", "outcome"):
                out[f"{path}.{key}"] = value
            elif key not in FREE_FORM:
                out.update(status_words(value, f"{path}.{key}"))
    elif isinstance(body, list):
        for index, item in enumerate(body):
            out.update(status_words(item, f"{path}[{index}]"))
    return out


def word_mismatches(expected: Any, body: Any, *, file_outcomes: bool = True) -> dict[str, tuple[Any, Any]]:
    """Where a status or outcome word of the fixture is not the word printgate answers at that place.

    ``file_outcomes=False`` leaves out the outcomes of tasks and steps: facts about the fixture's file
    (a warning that a later step fixed), not about the vocabulary.
    """
    wanted = {path: word for path, word in status_words(expected).items()
              if file_outcomes or not (".tasks[" in path and path.endswith(".outcome"))}
    got = status_words(body)
    assert wanted, "the fixture has status words"
    return {path: (word, got.get(path, "<missing>")) for path, word in wanted.items()
            if got.get(path, "<missing>") != word}


# --- callers that speak the SDK's dialect --------------------------------------------------------------

def key_for(dialect: str, account: str = "acme") -> dict[str, str]:
    """Auth headers of a new secret key created with ``status_dialect=dialect``."""
    from sqlmodel import Session

    from printgate.core.db import get_engine
    from printgate.core.keys import create_key, get_or_create_account

    with Session(get_engine(), expire_on_commit=False) as session:
        issued = create_key(session, get_or_create_account(session, account), status_dialect=dialect)
    return {"Authorization": f"Bearer {issued.key}"}


def gate_profile(client: TestClient, auth: dict[str, str]) -> str:
    """A profile with a clear verdict: the clean test file (``make_clean_pdf``) passes, missing bleed
    rejects it."""
    checks = {"bleed": {"action": "reject"}, "trimbox": {"action": "off"}, "output_intent": {"action": "off"},
              "pdf_version": {"action": "off"}, "pdfx": {"action": "off"}}
    response = client.post("/profiles", headers=auth, json={"name": "gate", "kind": "pdf", "checks": checks})
    assert response.status_code in (200, 201), response.text
    return str(response.json()["profile"]["id"])


def preflight(profile: str) -> dict[str, Any]:
    return {"type": "preflight", "params": {"profileId": profile}}
