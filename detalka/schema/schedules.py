"""Periodic reports by email over GraphQL: the schedules and their mutations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from detalka.models.enums import ReportSection as ReportSectionEnum
from detalka.models.enums import ScheduleFrequency as ScheduleFrequencyEnum
from detalka.resolvers import schedules
from detalka.resolvers.access import Scope
from detalka.schema.context import Info, viewer_subscriber
from detalka.schema.enums import described_enum
from detalka.schema.errors import UserError
from detalka.schema.ids import pk_of
from detalka.schema.mutations import mutation
from detalka.schema.nodes import own_nodes
from detalka.schema.orders import (
    ReportFormat,
    ReportSection,
    may_email_anyone,
)
from detalka.schema.overview import Period
from detalka.schema.permissions import needs

if TYPE_CHECKING:
    from detalka.resolvers.schedules import DetailSchedule as ScheduleRow

ScheduleFrequency = described_enum(
    ScheduleFrequencyEnum,
    "WEEKLY: the previous Monday to Sunday; MONTHLY: the previous calendar month.",
    {
        ScheduleFrequencyEnum.WEEKLY: "Every Monday at 01:00 local time, for the week before.",
        ScheduleFrequencyEnum.MONTHLY: "On the 1st at 01:00 local time, for the month before.",
    },
)


@strawberry.type(description="A periodic report by email: the previous full week or month.")
class DetailSchedule(relay.Node):
    pk: relay.NodeID[int]
    frequency: ScheduleFrequency = strawberry.field(description="How often.")  # type: ignore[valid-type]
    format: ReportFormat = strawberry.field(description="The file format.")  # type: ignore[valid-type]
    sections: list[ReportSection] = strawberry.field(description="Sections, in report order.")  # type: ignore[valid-type]
    email: str = strawberry.field(description="Where the report goes.")
    paused: bool = strawberry.field(description="A paused schedule orders nothing.")
    next_run_at: datetime | None = strawberry.field(
        description="When the next report is ordered (01:00 local time); null while paused."
    )
    next_period: Period | None = strawberry.field(
        description="The period the next report will cover; null while paused."
    )
    created_at: datetime = strawberry.field(description="When it was set up.")

    @classmethod
    def from_row(cls, row: ScheduleRow, zone: str) -> Self:
        upcoming = schedules.next_period(row, ZoneInfo(zone))
        return cls(
            pk=row.id,
            frequency=row.frequency,
            format=row.format,
            sections=[ReportSectionEnum(s) for s in row.sections],
            email=row.email,
            paused=row.paused,
            next_run_at=None if row.paused else row.next_run_at,
            next_period=Period.of(upcoming) if upcoming else None,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await own_nodes(
            info, node_ids, Scope.ORDERS_READ, schedules.schedules_by_ids, cls.from_read
        )

    @classmethod
    def from_read(cls, row: ScheduleRow) -> Self:
        """A schedule read with its subscriber's home region, whose zone times it."""
        return cls.from_row(row, row.subscriber.home_region.time_zone)


@strawberry.input(description="A new periodic report.")
class DetailScheduleCreateInput:
    frequency: ScheduleFrequency = strawberry.field(description="WEEKLY or MONTHLY.")  # type: ignore[valid-type]
    format: ReportFormat = strawberry.field(description="The file format.")  # type: ignore[valid-type]
    sections: list[ReportSection] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Sections; all when absent."
    )
    email: str | None = strawberry.field(
        default=None, description="The address; the one on file when absent."
    )


@strawberry.input(description="Changes to a schedule; an absent field stays as it is.")
class DetailScheduleUpdateInput:
    id: relay.GlobalID = strawberry.field(description="The schedule's ID.")
    frequency: ScheduleFrequency | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="WEEKLY or MONTHLY."
    )
    format: ReportFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The file format."
    )
    sections: list[ReportSection] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Sections, at least one."
    )
    email: str | None = strawberry.field(default=None, description="The address.")
    paused: bool | None = strawberry.field(
        default=None, description="Pause or resume; resuming starts with the next period."
    )


@strawberry.input(description="Which schedule to delete.")
class DetailScheduleDeleteInput:
    id: relay.GlobalID = strawberry.field(description="The schedule's ID.")


@strawberry.type(description="The schedule as saved (or why not).")
class DetailSchedulePayload:
    schedule_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The schedule's ID, for any token that may change it."
    )
    # The schedule names the address the reports go to (maybe the one on file): orders:write
    # alone sets schedules up, it does not read them (#11).
    schedule: DetailSchedule | None = strawberry.field(
        default=None,
        description="Null when rejected. Needs orders:read.",
        extensions=needs(Scope.ORDERS_READ),
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Every problem with the input."
    )


@strawberry.type(description="The schedule was deleted (or why not).")
class DetailScheduleDeletePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The deleted schedule's ID."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems with the input."
    )


def _schedule_id(given: relay.GlobalID) -> int:
    return pk_of(given, "DetailSchedule")


def _payload(row: schedules.DetailSchedule, zone: str) -> DetailSchedulePayload:
    return DetailSchedulePayload(
        schedule_id=relay.GlobalID("DetailSchedule", str(row.id)),
        schedule=DetailSchedule.from_row(row, zone),
    )


@strawberry.type
class SchedulesMutation:
    @mutation(
        description="Set up a periodic report by email.", extensions=needs(Scope.ORDERS_WRITE)
    )
    async def detail_schedule_create(
        self,
        info: Info,
        input: Annotated[
            DetailScheduleCreateInput, strawberry.argument(description="The schedule.")
        ],
    ) -> DetailSchedulePayload | None:
        subscriber = await viewer_subscriber(info)
        request = schedules.ScheduleRequest(
            frequency=input.frequency,
            format=input.format,
            sections=None if input.sections is None else list(input.sections),
            email=input.email,
            any_email=may_email_anyone(info),
        )
        row = await schedules.create_schedule(
            subscriber, request, info.context.services.clock.now()
        )
        zone = subscriber.home_region.time_zone
        return _payload(row, zone)

    @mutation(
        description="Change, pause or resume a schedule.", extensions=needs(Scope.ORDERS_WRITE)
    )
    async def detail_schedule_update(
        self,
        info: Info,
        input: Annotated[
            DetailScheduleUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> DetailSchedulePayload | None:
        subscriber = await viewer_subscriber(info)
        change = schedules.ScheduleChange(
            frequency=input.frequency,
            format=input.format,
            sections=None if input.sections is None else list(input.sections),
            email=input.email,
            paused=input.paused,
            any_email=may_email_anyone(info),
        )
        row = await schedules.update_schedule(
            subscriber, _schedule_id(input.id), change, info.context.services.clock.now()
        )
        zone = subscriber.home_region.time_zone
        return _payload(row, zone)

    @mutation(
        description="Delete a schedule; reports it already ordered stay.",
        extensions=needs(Scope.ORDERS_WRITE),
    )
    async def detail_schedule_delete(
        self,
        info: Info,
        input: Annotated[
            DetailScheduleDeleteInput, strawberry.argument(description="The schedule.")
        ],
    ) -> DetailScheduleDeletePayload | None:
        viewer = info.context.viewer
        assert viewer is not None
        row = await schedules.delete_schedule(viewer.subscriber_id, _schedule_id(input.id))
        return DetailScheduleDeletePayload(deleted_id=relay.GlobalID("DetailSchedule", str(row.id)))
