"""The standard-library verification snippets of docs/aggregators.md, run against a real
signature made by Detalka's signing code: a doc that drifts from the spec fails here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from detalka.resolvers.webhook_signing import new_salt, signed_headers, signing_secret
from tests.conftest import UNDER_CI

DOC = Path(__file__).resolve().parents[1] / "docs" / "aggregators.md"
BODY = '{"type":"detail_order.ready","data":{"orderId":"RGV0YWlsT3JkZXI6NDI=","note":"Готово"}}'


def snippet(language: str, defines: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    (found,) = [b for b in blocks if defines in b]
    return found


def signed() -> tuple[str, dict[str, str]]:
    secret = signing_secret("doc-test-key", new_salt())
    return secret, signed_headers(secret, "msg_doc", datetime.now(UTC), BODY)


@pytest.mark.parametrize("tampered", [False, True])
def test_the_python_snippet_verifies_a_detalka_signature(tampered: bool) -> None:
    namespace: dict[str, Any] = {}
    exec(snippet("python", "def verify_webhook"), namespace)
    secret, headers = signed()
    body = BODY.replace("Готово", "Готов") if tampered else BODY
    assert namespace["verify_webhook"](secret, headers, body.encode()) is not tampered


@pytest.mark.parametrize("tampered", [False, True])
def test_the_node_snippet_verifies_a_detalka_signature(tampered: bool) -> None:
    node = shutil.which("node")
    if node is None:
        if UNDER_CI:
            pytest.fail("Node.js is not installed (CI=true: the doc test may not skip)")
        pytest.skip("Node.js is not installed")
    secret, headers = signed()
    body = BODY.replace("Готово", "Готов") if tampered else BODY
    harness = (
        snippet("js", "function verifyWebhook")
        + "\nconst given = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));\n"
        + "process.stdout.write(String(verifyWebhook(given.secret, given.headers,"
        + " Buffer.from(given.body, 'utf8'))));\n"
    )
    given = json.dumps({"secret": secret, "headers": headers, "body": body})
    ran = subprocess.run(
        [node, "-e", harness], input=given, capture_output=True, text=True, timeout=30
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == str(not tampered).lower()
