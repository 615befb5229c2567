"""Who may read a field or run a mutation, declared where the field is declared."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from detalka.resolvers import access
from detalka.schema.context import Info


class SessionOnly(BasePermission):
    """Account management is for the subscriber's own session, never for an API token."""

    message = "Доступно только после входа по паролю, не по API-токену."
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.session_id is not None


class Scope(BasePermission):
    """The caller holds an ``access.Scope``. strawberry names the SDL's ``@scope`` after
    this class, so the name stays."""

    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def __init__(self, scope: access.Scope) -> None:
        self.scope = scope
        self.message = f"Нет права {scope} у этого токена."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(self.scope)


def needs(scope: access.Scope) -> list[FieldExtension]:
    """``extensions=needs(Scope.USAGE_READ)`` on a field."""
    return [PermissionExtension(permissions=[Scope(scope)])]


def session_only() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[SessionOnly()])]
