"""Who may read a field or run a mutation, declared where the field is declared."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from detalka.errors import RequestErrorCode
from detalka.resolvers import access
from detalka.schema.context import Info


@strawberry.schema_directive(
    name="scope",
    locations=[Location.FIELD_DEFINITION],
    description="An API token needs this scope to read or run the field (FORBIDDEN without "
    "it); a password session has every scope.",
)
class ScopeDirective:
    name: str


def describe_directives(schema: strawberry.Schema) -> None:
    """strawberry drops a schema directive argument's description; the SDL keeps one."""
    directive = schema._schema.get_directive("scope")
    assert directive is not None
    directive.args["name"].description = (
        "The scope, as `apiTokenCreate` takes it: `account:read`, `usage:read`, "
        "`orders:read`, `orders:write` or `webhooks:write`."
    )


@strawberry.schema_directive(
    name="sessionOnly",
    locations=[Location.FIELD_DEFINITION],
    description="Needs a password session: an API token gets FORBIDDEN, whatever its scopes.",
)
class SessionOnlyDirective:
    pass


class SessionOnly(BasePermission):
    """Account management is for the subscriber's own session, never for an API token."""

    _schema_directive = SessionOnlyDirective()

    message = "Доступно только после входа по паролю, не по API-токену."
    error_extensions = {"code": RequestErrorCode.FORBIDDEN.value}  # noqa: RUF012

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.session_id is not None


class Scope(BasePermission):
    """The caller holds an ``access.Scope``; the SDL shows it as ``@scope(name: "...")``."""

    error_extensions = {"code": RequestErrorCode.FORBIDDEN.value}  # noqa: RUF012

    def __init__(self, scope: access.Scope) -> None:
        self.scope = scope
        self.message = f"Нет права {scope} у этого токена."

    @property
    def schema_directive(self) -> object:
        return ScopeDirective(name=str(self.scope))

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(self.scope)


def needs(scope: access.Scope) -> list[FieldExtension]:
    """``extensions=needs(Scope.USAGE_READ)`` on a field."""
    return [PermissionExtension(permissions=[Scope(scope)])]


def session_only() -> list[FieldExtension]:
    return [PermissionExtension(permissions=[SessionOnly()])]
