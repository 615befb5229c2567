"""The cabinet's files without a browser: its GraphQL documents against the committed SDL,
its error messages, the vendored libraries, GraphiQL's page, and the installed package."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from detalka.errors import ErrorCode, RequestErrorCode
from detalka.web.app import create_app
from detalka.web.cabinet import static_dir
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "detalka" / "web" / "static"
APP = STATIC / "app"
VENDOR = STATIC / "vendor"
SDL = ROOT / "detalka" / "schema" / "schema.graphql"
DOCUMENTS = sorted((APP / "graphql").glob("*.graphql"))
IMPORT = re.compile(r'^#import\s+"([^"]+)"', re.MULTILINE)


def resolve_document(path: Path, seen: set[Path] | None = None) -> str:
    """A document with its ``#import``-ed fragments, as js/api.js assembles it."""
    seen = set() if seen is None else seen
    if path in seen:
        return ""
    seen.add(path)
    text = path.read_text(encoding="utf-8")
    imported = [resolve_document((path.parent / m).resolve(), seen) for m in IMPORT.findall(text)]
    return "\n".join([text, *imported])


def app_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(APP.rglob("*.js")))


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.stem for p in DOCUMENTS])
def test_every_cabinet_document_validates_against_the_committed_schema(path: Path) -> None:
    # given the committed SDL and one of the app's documents with its fragments
    schema = build_schema(SDL.read_text(encoding="utf-8"))
    document = parse(resolve_document(path.resolve()))
    # when it is validated
    errors = validate(schema, document)
    # then it is valid, and holds one operation named as its file
    assert [e.message for e in errors] == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value if op.name else None for op in operations] == [path.stem]


def test_the_app_asks_for_exactly_the_documents_it_ships() -> None:
    named = set(re.findall(r'(?:request|subscribe|useQuery)\(\s*"(\w+)"', app_sources()))
    shipped = {p.stem for p in DOCUMENTS}
    assert named - shipped == set(), "documents the app asks for but does not ship"
    assert shipped - named == set(), "documents shipped but never used"


def test_every_error_code_has_a_russian_message_in_the_app() -> None:
    # given the app's one table of messages
    source = (APP / "js" / "messages.js").read_text(encoding="utf-8")
    table = source.split("export const ERROR_MESSAGES = {", 1)[1].split("\n};", 1)[0]
    messages = dict(re.findall(r'^\s+([A-Z_]+):\s*\n?\s*"([^"]+)"', table, re.MULTILINE))
    # then every code the API can put in userErrors or in a top-level error has one
    schema = build_schema(SDL.read_text(encoding="utf-8"))
    sdl_codes = set(schema.type_map["ErrorCode"].values)  # type: ignore[attr-defined]
    top_level = set(schema.type_map["RequestErrorCode"].values)  # type: ignore[attr-defined]
    assert {c.value for c in ErrorCode} == sdl_codes
    assert {c.value for c in RequestErrorCode} == top_level
    assert (sdl_codes | top_level) - set(messages) == set()
    for code in (*sdl_codes, *top_level, "NETWORK"):
        assert re.search("[а-яё]", messages[code]), code


def test_the_pages_content_security_policy_allows_its_import_map_and_nothing_remote() -> None:
    page = (APP / "index.html").read_text(encoding="utf-8")
    import_map = re.search(r'<script type="importmap">(.*?)</script>', page, re.DOTALL)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert import_map and csp
    digest = base64.b64encode(hashlib.sha256(import_map.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp.group(1), "update the hash after editing the import map"
    assert "http" not in csp.group(1)
    for target in re.findall(r'"\.\./static/vendor/([^"]+)"', import_map.group(1)):
        assert (VENDOR / target).is_file(), target


def test_vendored_files_are_those_the_manifest_names_each_package_with_its_licence() -> None:
    lines = (VENDOR / "MANIFEST.txt").read_text().splitlines()
    listed = dict(reversed(line.split(" ", 1)) for line in lines if not line.startswith("#"))
    on_disk = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()} - {
        "MANIFEST.txt"
    }
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert sri((VENDOR / name).read_bytes()) == digest, f"{name} changed: run scripts/vendor-js"
    packages = {re.match(r"(@[^/]+/)?[^/]+", name).group(0) for name in listed}  # type: ignore[union-attr]
    for package in packages:
        assert any(n.startswith(f"{package}/LICEN") for n in listed), f"{package} has no licence"


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(tmp_path), open_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://detalka.test") as client:
        yield client


async def test_graphiql_loads_only_vendored_assets_and_their_integrity_holds(
    http: httpx.AsyncClient,
) -> None:
    # given GraphiQL's page, as a browser asks for it
    page = (await http.get("/graphql", headers={"Accept": "text/html"})).text
    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', page)
    # then every script and stylesheet is Detalka's own, and is byte for byte what the page pins
    assert len(assets) >= 5 and "unpkg.com" not in page
    for url, integrity in assets:
        assert url.startswith("static/vendor/"), url
        served = await http.get(f"/{url}")
        assert served.status_code == 200, url
        assert sri(served.content) == integrity, url


async def test_the_app_and_its_modules_are_served_with_their_media_types(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/app")).headers["location"].endswith("/app/")
    index = await http.get("/app/")
    assert index.status_code == 200 and "Личный кабинет" in index.text
    for path in (
        "/app/js/main.js",
        "/static/vendor/preact@11.2.0/dist/preact.mjs",
        "/static/vendor/graphql-ws@6.4.2/dist/client.js",
    ):
        response = await http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/javascript"), path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert (await http.get("/app/graphql/Viewer.graphql")).text.startswith("#")
    # files outside each mount exist, and stay out of reach (dots sent encoded, as given)
    assert (await http.get("/static/vendor/%2e%2e/app/index.html")).status_code == 404
    assert (await http.get("/app/%2e%2e/%2e%2e/cabinet.py")).status_code == 404


def test_a_built_wheel_ships_the_cabinet_and_serves_it_from_the_installed_package(
    tmp_path: Path,
) -> None:
    # given the project built into a wheel (from a copy: the build writes next to the sources)
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "detalka", source / "detalka", ignore=shutil.ignore_patterns("__pycache__")
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "out").glob("detalka-*.whl")
    # then it holds every static file
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "installed")
    expected = {
        f"detalka/web/{p.relative_to(STATIC.parent)}" for p in STATIC.rglob("*") if p.is_file()
    }
    assert expected - names == set()
    # and, installed, the package finds and serves them from where it is installed
    probe = (
        "from starlette.applications import Starlette\n"
        "from starlette.testclient import TestClient\n"
        "from detalka.web.cabinet import cabinet_routes, static_dir\n"
        "print(static_dir())\n"
        "client = TestClient(Starlette(routes=cabinet_routes()))\n"
        "print(client.get('/app/').status_code, client.get('/app/js/api.js').status_code)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(tmp_path / "installed"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    where, statuses = ran.stdout.splitlines()
    assert Path(where) == tmp_path / "installed" / "detalka" / "web" / "static"
    assert statuses == "200 200"
    assert static_dir() == STATIC  # this checkout: the editable install
