"""The reads every screen starts with, each in one statement written once, rows as models.

tortoise builds a query's SQL anew on every call (pypika: ~0.3-0.5 ms for a filter with
``select_related``), and a related row it cannot join is one more round trip. The session
with its subscriber, the balances with the promised-payment debt, and a page of orders with
their regions, stores and documents were seven statements of a dashboard request; here they
are three, each a fixed text. Rows become models through tortoise's own ``_init_from_db``,
related models set the way ``select_related`` sets them, so callers see the same objects.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from tortoise.models import Model

from detalka.models.account import Balance, Subscriber
from detalka.models.auth import Session
from detalka.models.catalog import Region, Store, Tariff
from detalka.models.money import from_kopecks
from detalka.models.orders import DetailOrder, Document
from detalka.models.queries import _db, _numbered, _param, _sql
from detalka.models.reads import read_rows

M = TypeVar("M", bound=Model)


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(
        f'{alias}."{column}" AS "{alias}_{column}"'
        for column in model._meta.fields_db_projection.values()
    )


@cache
def _keys(model: type[Model], alias: str) -> tuple[tuple[str, str], ...]:
    """(column, the row's key for it): the keys written once, not once a row."""
    return tuple((c, f"{alias}_{c}") for c in model._meta.fields_db_projection.values())


def _take(row: Any, model: type[M], alias: str) -> M:
    return model._init_from_db(**{c: row[key] for c, key in _keys(model, alias)})


def _relate(instance: Model, attribute: str, related: Model | None) -> None:
    object.__setattr__(instance, f"_{attribute}", related)  # as select_related does


@cache
def _session_sql(postgres: bool) -> str:
    text = (
        f"SELECT {_columns(Session, 'x')}, {_columns(Subscriber, 's')},"  # noqa: S608 - columns
        f" {_columns(Region, 'r')}, {_columns(Tariff, 't')}"
        " FROM session x JOIN subscriber s ON s.id = x.subscriber_id"
        " JOIN region r ON r.id = s.home_region_id JOIN tariff t ON t.id = s.tariff_id"
        " WHERE x.token_hash = ? AND x.revoked_at IS NULL AND x.expires_at > ?"
    )
    return text if not postgres else _numbered(text)


async def live_session(token_hash: str, now: datetime) -> tuple[Session, Subscriber] | None:
    """The session of this token while it lives (not revoked, not expired), with its
    subscriber, the subscriber's home region and tariff."""
    db = _db()
    rows = await read_rows(db, _session_sql(_postgres(db)), [token_hash, _param(db, now)])
    if not rows:
        return None
    row = rows[0]
    session, subscriber = _take(row, Session, "x"), _take(row, Subscriber, "s")
    _relate(subscriber, "home_region", _take(row, Region, "r"))
    _relate(subscriber, "tariff", _take(row, Tariff, "t"))
    _relate(session, "subscriber", subscriber)
    return session, subscriber


@cache
def _balances_sql(postgres: bool) -> str:
    text = (
        f"SELECT {_columns(Balance, 'b')}, (SELECT SUM(p.amount + p.fee - p.repaid)"  # noqa: S608
        " FROM promised_payment p WHERE p.subscriber_id = b.subscriber_id) AS debt"
        " FROM balance b WHERE b.subscriber_id = ? ORDER BY b.kind"
    )
    return text if not postgres else _numbered(text)


async def balances_and_debt(subscriber_id: int) -> tuple[list[Balance], Decimal | None]:
    """The subscriber's balances by kind, and what its promised payments still owe (amount
    + fee - repaid, summed); the debt is None when there is no balance to read it with."""
    db = _db()
    rows = await read_rows(db, _balances_sql(_postgres(db)), [subscriber_id])
    if not rows:
        return [], None
    debt = rows[0]["debt"]
    return [_take(r, Balance, "b") for r in rows], from_kopecks(int(debt or 0))


@cache
def _order_select() -> str:
    return (
        f"SELECT {_columns(DetailOrder, 'o')}, {_columns(Region, 'r')},"  # noqa: S608 - columns
        f" {_columns(Store, 'st')}, {_columns(Region, 'sr')}, {_columns(Document, 'd')}"
        " FROM detail_order o JOIN region r ON r.id = o.region_id"
        " LEFT JOIN store st ON st.id = o.store_id LEFT JOIN region sr ON sr.id = st.region_id"
        " LEFT JOIN document d ON d.order_id = o.id"
    )


async def orders_page(
    subscriber_id: int,
    *,
    ids: list[int] | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[DetailOrder, Document | None]]:
    """The subscriber's orders, newest first, each with its region, store (and the store's
    region) and its document, if any; ``before`` is the (created_at, id) of the page before."""
    db = _db()
    where, params = " WHERE o.subscriber_id = ?", [subscriber_id]
    if ids is not None:
        where += f" AND o.id IN ({', '.join('?' for _ in ids) or 'NULL'})"
        params += ids
    if before is not None:
        moment = _param(db, before[0])
        where += " AND o.created_at <= ? AND NOT (o.created_at = ? AND o.id >= ?)"
        params += [moment, moment, before[1]]
    order = f" ORDER BY o.created_at DESC, o.id DESC LIMIT {int(limit)}"
    rows = await read_rows(db, _sql(db, _order_select() + where + order), params)
    return [_order(row) for row in rows]


def _order(row: Any) -> tuple[DetailOrder, Document | None]:
    order = _take(row, DetailOrder, "o")
    _relate(order, "region", _take(row, Region, "r"))
    store = None
    if row["st_id"] is not None:
        store = _take(row, Store, "st")
        _relate(store, "region", _take(row, Region, "sr"))
    _relate(order, "store", store)
    document = _take(row, Document, "d") if row["d_id"] is not None else None
    return order, document


def _postgres(db: Any) -> bool:
    return str(db.capabilities.dialect) == "postgres"
