"""Report files: written under a temporary name, moved into place, read by key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class FileStorage:
    """Files under one directory (a shared disk in the distributed mode)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def temporary(self, key: str) -> Path:
        """A fresh temporary path beside the final one; nothing sees it until ``commit``."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")

    def commit(self, temporary: Path, key: str) -> None:
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, self.path(key))  # atomic on one filesystem

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True
