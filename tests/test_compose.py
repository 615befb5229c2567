"""docker-compose.yml, the Dockerfile and the lock files, read (no Docker engine runs here):
they parse, name only real commands, options and settings, and every service can heal."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from detalka.cli import _parser
from detalka.settings import Settings

ROOT = Path(__file__).parent.parent


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _ours(service: dict[str, Any]) -> bool:
    return service.get("build") == "."


def test_every_service_has_a_healthcheck_and_a_restart_policy() -> None:
    for name, service in _compose()["services"].items():
        assert "healthcheck" in service, name
        assert service.get("restart") in {"unless-stopped", "on-failure", "always"}, name


def test_our_services_run_real_commands_with_real_options() -> None:
    parser = _parser()
    commands = set()
    for name, service in _compose()["services"].items():
        if not _ours(service):
            continue
        argv = service["command"]
        assert argv[0] == "detalka", name
        parser.parse_args(argv[1:])  # exits (SystemExit) on an unknown command or option
        commands.add(argv[1])
    assert {"api", "worker", "scheduler", "migrate"} <= commands


def test_the_settings_named_exist() -> None:
    fields = {f"DETALKA_{name.upper()}" for name in Settings.model_fields}
    env = _compose()["x-detalka-env"]
    assert set(env) <= fields, set(env) - fields


def test_two_apis_behind_one_port_a_worker_per_queue_and_a_kept_rabbitmq() -> None:
    services = _compose()["services"]
    apis = [n for n, s in services.items() if _ours(s) and s["command"][1] == "api"]
    assert len(apis) == 2
    assert all("ports" not in services[n] for n in apis)
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert all(f"server {n}:8000" in nginx for n in apis)
    queues = set()
    for service in services.values():
        if _ours(service) and service["command"][1] == "worker":
            argv = service["command"]
            queues |= set(argv[argv.index("--queues") + 1].split(","))
    assert queues == {"render", "mail", "sms", "housekeeping"}
    assert any(v.endswith(":/var/lib/rabbitmq") for v in services["rabbitmq"]["volumes"])
    assert {"minio", "mailpit", "postgres", "redis"} <= set(services)


def test_the_image_is_multi_stage_and_runs_unprivileged_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "requirements/runtime.txt" in dockerfile


def test_every_dependency_is_pinned_in_the_lock_files() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def pinned(lock: str) -> set[str]:
        text = (ROOT / "requirements" / lock).read_text()
        return {m.lower() for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[<>=~ ]", r, maxsplit=1)[0].lower() for r in requirements}

    assert names(project["dependencies"]) <= pinned("runtime.txt")
    assert names(project["dependencies"] + project["optional-dependencies"]["test"]) <= pinned(
        "test.txt"
    )
