"""What placing an order reads: the subscriber comes with the session when nothing else in
the request can have changed it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from detalka.jobs.app import Jobs
from detalka.models import DetailOrder
from detalka.settings import Settings
from tests.factories import NOW, MovableClock, subscriber_with_history
from tests.ordering import ORDER_FIELDS, open_ordering, order_input

TWO = f"""mutation($a: DetailOrderInput!, $b: DetailOrderInput!) {{
  a: detailOrderCreate(input: $a) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code }} }}
  b: detailOrderCreate(input: $b) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code }} }}
}}"""
ONE = TWO.split("  b:")[0].replace(", $b: DetailOrderInput!", "") + "}"


def _subscriber_reads(caplog: pytest.LogCaptureFixture) -> int:
    """Statements that read the subscriber table on its own (not the session's join)."""
    return sum(
        1
        for r in caplog.records
        if r.name.startswith("tortoise.db_client")
        and 'FROM "subscriber"' in " ".join(str(a) for a in (r.args or ()))
    )


async def test_an_order_alone_in_its_request_reads_no_subscriber_past_the_session(
    db: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given the API without a worker (each order stays as it was placed)
    settings = db.model_copy(update={"data_dir": tmp_path})
    clock = MovableClock(NOW)
    jobs = Jobs.for_settings(settings, clock)
    subscriber = await subscriber_with_history()
    async for opened in open_ordering(settings, subscriber, clock, jobs):
        # when an order is the operation's only field
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            one = await opened.data(ONE, {"a": order_input()})
        alone = _subscriber_reads(caplog)
        # and when two orders are placed by one operation
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            two = await opened.data(TWO, {"a": order_input(), "b": order_input(format="HTML")})
        together = _subscriber_reads(caplog)
    # then the lone order took the row read with the session, and the pair read it each,
    # since the first mutation runs before the second and may change what it reads
    assert one["a"]["userErrors"] == [] and one["a"]["order"]["status"] == "PENDING"
    assert [two[k]["userErrors"] for k in "ab"] == [[], []]
    assert alone == 0
    assert together == 2
    await DetailOrder.filter(subscriber_id=subscriber.id, status="PENDING").update(
        status="CANCELED"
    )
    jobs.broker.close()
