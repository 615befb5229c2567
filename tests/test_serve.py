"""`detalka serve` as the README starts it: one command, a seeded demo, GraphQL answering."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.client import free_port, process_ready
from tests.polling import eventually_sync

REGIONS = "{ regions { code name timeZone } }"


def test_serve_comes_up_seeded_and_answers_regions_and_the_demo_login(tmp_path: Path) -> None:
    # given an empty data dir
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    env |= {"DETALKA_DATA_DIR": str(tmp_path / "var"), "DETALKA_CAPTCHA": "disabled"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "detalka", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # when it has come up (migrate + seed + start), polled with a deadline
        eventually_sync(
            lambda: process_ready(process, base, tmp_path / "serve.log"),
            timeout_s=180,
            interval_s=0.5,
            explain=lambda _: (tmp_path / "serve.log").read_text(),
        )
        # then regions answer with their real time zones
        body = httpx.post(f"{base}/graphql", json={"query": REGIONS}, timeout=10).json()
        zones = {r["code"]: r["timeZone"] for r in body["data"]["regions"]}
        assert zones["MOW"] == "Europe/Moscow"
        assert zones["KGD"] == "Europe/Kaliningrad"
        assert zones["PRI"] == "Asia/Vladivostok"
        assert len(zones) >= 7
        # and the printed demo login signs in
        printed = (tmp_path / "serve.log").read_text()
        assert "Demo login: +79001234567, region MOW, password demo-password" in printed
        assert f"http://127.0.0.1:{port}/graphql" in printed
        assert f"http://127.0.0.1:{port}/app/" in printed
        cabinet = httpx.get(f"{base}/app/", timeout=10)
        assert cabinet.status_code == 200 and "Личный кабинет" in cabinet.text
        signed = httpx.post(
            f"{base}/graphql",
            json={
                "query": 'mutation { sessionCreate(input: {msisdn: "+7 900 123-45-67",'
                ' password: "demo-password", regionCode: "MOW"}) { token userErrors { code } } }'
            },
            timeout=10,
        ).json()
        assert signed["data"]["sessionCreate"]["userErrors"] == []
        graphiql = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
