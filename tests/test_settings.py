"""Bad settings stop start-up with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from detalka.settings import DEFAULT_SECRET, ConfigError, Settings
from tests.conftest import make_settings

STRONG_SECRET = "x" * 40


def run_detalka(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DETALKA_")}
    return subprocess.run(
        [sys.executable, "-m", "detalka", *(args or ("migrate",))],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_an_unknown_database_url_scheme_stops_start_up(tmp_path: Path) -> None:
    result = run_detalka(
        {"DETALKA_DATA_DIR": str(tmp_path), "DETALKA_DATABASE_URL": "mysql://db/detalka"}
    )
    assert_one_clear_line(result, "DETALKA_DATABASE_URL", "'mysql'")


def test_an_unknown_broker_url_scheme_stops_start_up(tmp_path: Path) -> None:
    result = run_detalka({"DETALKA_DATA_DIR": str(tmp_path), "DETALKA_BROKER_URL": "kafka://x"})
    assert_one_clear_line(result, "DETALKA_BROKER_URL", "'kafka'")


def test_an_unwritable_data_dir_stops_start_up(tmp_path: Path) -> None:
    # given a data dir whose parent is a regular file (root ignores permission bits)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    # when / then
    result = run_detalka({"DETALKA_DATA_DIR": str(blocker / "var")})
    assert_one_clear_line(result, "DETALKA_DATA_DIR", "not writable")


def test_production_with_the_default_secret_stops_start_up(tmp_path: Path) -> None:
    result = run_detalka({"DETALKA_DATA_DIR": str(tmp_path), "DETALKA_ENV": "production"})
    assert_one_clear_line(result, "DETALKA_SECRET_KEY")


def test_a_malformed_number_setting_names_the_variable(tmp_path: Path) -> None:
    result = run_detalka({"DETALKA_DATA_DIR": str(tmp_path), "DETALKA_SESSION_TTL_HOURS": "twelve"})
    assert_one_clear_line(result, "DETALKA_SESSION_TTL_HOURS")


def test_an_unreachable_database_is_one_line_too(tmp_path: Path) -> None:
    result = run_detalka(
        {
            "DETALKA_DATA_DIR": str(tmp_path),
            "DETALKA_DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        }
    )
    assert_one_clear_line(result, "cannot reach the database")


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"secret_key": DEFAULT_SECRET}, "DETALKA_SECRET_KEY"),
        ({"secret_key": "short"}, "DETALKA_SECRET_KEY"),
        ({"secret_key": STRONG_SECRET, "captcha": "disabled"}, "DETALKA_CAPTCHA"),
        ({"secret_key": STRONG_SECRET, "graphiql": True}, "DETALKA_GRAPHIQL"),
    ],
)
def test_production_refuses_development_conveniences(
    tmp_path: Path, overrides: dict[str, object], needle: str
) -> None:
    settings = Settings(_env_file=None, env="production", data_dir=tmp_path, **overrides)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=needle):
        settings.check()


def test_production_with_a_strong_secret_starts_with_graphiql_off(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, env="production", data_dir=tmp_path, secret_key=STRONG_SECRET
    )  # type: ignore[arg-type]
    settings.check()
    assert settings.graphiql is False


def test_the_database_defaults_to_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite://{tmp_path / 'detalka.sqlite3'}"
    assert settings.database_kind == "sqlite"


def test_download_links_follow_the_port_unless_a_public_url_is_set(tmp_path: Path) -> None:
    from detalka.cli import with_listen_url

    # `detalka serve --port 9000` without DETALKA_PUBLIC_URL: links must reach this process
    default = make_settings(tmp_path)
    assert with_listen_url(default, "127.0.0.1", 9000).public_url == "http://127.0.0.1:9000"
    assert with_listen_url(default, "0.0.0.0", 8001).public_url == "http://127.0.0.1:8001"
    # an explicit public URL (a proxy in front) is kept
    proxied = make_settings(tmp_path, public_url="https://detalka.example")
    assert with_listen_url(proxied, "0.0.0.0", 8000).public_url == "https://detalka.example"
