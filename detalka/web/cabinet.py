"""The reference dashboard at ``/app/`` and the vendored browser libraries at ``/static/vendor/``.

Both are static files shipped inside the package (``detalka/web/static``) and found through
the installed package, so a wheel serves them with no Node and no CDN at run time.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

APP_PATH = "/app/"
VENDOR_PATH = "/static/vendor/"
# Module scripts are refused unless served as JavaScript; Python's table lacks some of these.
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".graphql": "application/graphql; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def static_dir() -> Path:
    """``detalka/web/static`` wherever the package is installed (a directory, never a zip)."""
    return Path(str(files("detalka.web").joinpath("static")))


class Assets(StaticFiles):
    """Static files with exact media types and ``nosniff``."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None and response.status_code != 304:
            response.headers["content-type"] = media_type
        response.headers["x-content-type-options"] = "nosniff"
        return response


def cabinet_routes() -> list[BaseRoute]:
    """``/app`` redirects to ``/app/`` (the router's slash redirect); routing is by hash."""
    root = static_dir()
    return [
        Mount(APP_PATH.rstrip("/"), Assets(directory=root / "app", html=True)),
        Mount(VENDOR_PATH.rstrip("/"), Assets(directory=root / "vendor")),
    ]


def offline_ide_html(page: str) -> str:
    """strawberry's GraphiQL page with its unpkg URLs pointed at the vendored copies.

    The copies are byte for byte unpkg's files, so the page's SRI hashes still hold (and
    the browser checks them). Relative, so that a path prefix in front of Detalka works.
    """
    return page.replace("https://unpkg.com/", VENDOR_PATH.lstrip("/"))
