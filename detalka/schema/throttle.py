"""Query cost at the door: price an operation, refuse it before it runs, meter the caller.

One schema extension, for HTTP and WebSocket alike, once the document parsed and validated:
1. the requested cost (schema/cost.py); over ``DETALKA_QUERY_COST_MAX`` the operation is
   refused with ``QUERY_TOO_COMPLEX`` (the cost and the maximum in its extensions) and
   nothing is taken from the budget;
2. the caller's bucket (adapters/budget.py) pays the requested cost, or the operation is
   refused with ``THROTTLED`` and ``retryAfter`` seconds (web/ turns that into HTTP 429
   with ``Retry-After`` under ``application/graphql-response+json``);
3. after execution the actual cost is priced from the data, and the difference given back.
Every result then carries ``extensions.cost`` in Shopify's shape. A document that never
reached execution (it did not parse or validate) costs nothing and reports the bucket.

The caller is the API token, else the session, else the client's address; a subscription
pays for its selection once, when it starts, and each event reports that.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from detalka.adapters.budget import BucketState, retry_after_seconds
from detalka.errors import RequestErrorCode
from detalka.schema.context import Context
from detalka.schema.priced import priced


def caller_key(context: Context) -> str:
    """Whose bucket pays: the API token, else the session, else the client's address."""
    viewer = context.viewer
    if viewer is not None and viewer.api_token_id is not None:
        return f"token:{viewer.api_token_id}"
    if viewer is not None and viewer.session_id is not None:
        return f"session:{viewer.session_id}"
    client = getattr(context.request, "client", None)
    return f"address:{client.host if client else 'unknown'}"


def cost_report(requested: int, actual: int, state: BucketState | None) -> dict[str, Any]:
    """``extensions.cost``; ``throttleStatus`` is null when the bucket store was away."""
    status = None
    if state is not None:
        rate = state.rate
        status = {
            "maximumAvailable": state.capacity,
            "currentlyAvailable": math.floor(state.available),
            "restoreRate": int(rate) if float(rate).is_integer() else rate,
        }
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}


class QueryCost(SchemaExtension):
    async_only = True  # its bucket store is async: schema.execute_sync runs without it

    def __init__(self) -> None:
        self._report: dict[str, Any] | None = None

    async def _spend(self, context: Context, amount: float) -> BucketState | None:
        settings = context.settings
        return await context.services.budget.spend(
            caller_key(context), amount, settings.cost_budget, settings.cost_restore_rate
        )

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if not isinstance(context, Context) or execution.graphql_document is None:
            yield
            return
        # Priced once per document (and values of the variables the price depends on).
        pricing = priced(
            execution.schema._schema,
            execution.graphql_document,
            execution.operation_name,
            execution.variables,
        )
        requested = pricing.requested
        maximum = context.settings.query_cost_max
        if requested is None or requested > maximum:
            self._report = cost_report(requested or 0, 0, await self._spend(context, 0))
            self._refuse(_too_complex(requested, maximum))
            yield
            return
        state = await self._spend(context, requested)
        if state is not None and not state.allowed:
            self._report = cost_report(requested, 0, state)
            self._refuse(_throttled(state))
            yield
            return
        yield
        actual = requested
        result = execution.result
        if isinstance(result, GraphQLExecutionResult):  # a subscription has no single result
            actual = min(requested, pricing.actual(result.data))
        if actual < requested and state is not None:
            state = await self._spend(context, actual - requested) or state
        self._report = cost_report(requested, actual, state)

    def _refuse(self, error: GraphQLError) -> None:
        execution = self.execution_context
        if execution.operation_type == OperationType.SUBSCRIPTION:
            # strawberry subscribes whatever the result says; an error here is its answer.
            raise error
        execution.result = GraphQLExecutionResult(data=None, errors=[error])

    async def get_results(self) -> dict[str, Any]:
        if self._report is None:
            context = self.execution_context.context
            if not isinstance(context, Context):
                return {}
            # Refused before execution (syntax, validation): nothing spent, the bucket shown.
            self._report = cost_report(0, 0, await self._spend(context, 0))
        return {"cost": self._report}


def _too_complex(cost: int | None, maximum: int) -> GraphQLError:
    if cost is None:
        message = "Запрос слишком сложный: его стоимость не вычислить. Разбейте его на части."
    else:
        message = (
            f"Запрос слишком сложный: стоимость {cost} при максимуме {maximum}. "
            "Разбейте его на части или уменьшите first."
        )
    code = RequestErrorCode.QUERY_TOO_COMPLEX.value
    return GraphQLError(message, extensions={"code": code, "cost": cost, "maxCost": maximum})


def _throttled(state: BucketState) -> GraphQLError:
    wait = retry_after_seconds(state)
    return GraphQLError(
        f"Слишком много запросов: бюджет стоимости исчерпан. Повторите через {wait} с.",
        extensions={"code": RequestErrorCode.THROTTLED.value, "retryAfter": wait},
    )
