"""Checks a record must pass before it is written; each failure is a typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ranger_app.domain.errors import EndBeforeStart, MissingValue, TimeInFuture
from ranger_app.domain.geo import check_position
from ranger_app.domain.records import PatrolValue
from ranger_app.domain.vocab import vocabulary

# A laptop clock may run ahead a little; a patrol a day in the future is a typo.
FUTURE_SLACK = timedelta(days=1)


def check_not_future(value: datetime | None, now: datetime | None = None) -> None:
    if value is not None and value > (now or datetime.now(UTC)) + FUTURE_SLACK:
        raise TimeInFuture(value.isoformat())


def check_interval(start: datetime | None, end: datetime | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise EndBeforeStart(start.isoformat(), end.isoformat(), what)


def validate_patrol(patrol: PatrolValue) -> None:
    if patrol.start_at is None:
        raise MissingValue("start_at")
    check_interval(patrol.start_at, patrol.end_at, "patrol")
    check_not_future(patrol.start_at)
    check_not_future(patrol.end_at)
    vocabulary("patrol_types").get(patrol.patrol_type)
    vocabulary("mandates").get(patrol.mandate)
    for leg in patrol.legs:
        vocabulary("transports").get(leg.transport)
        check_interval(leg.start_at, leg.end_at, "leg")
    categories = vocabulary("observation_categories")
    for obs in patrol.observations:
        categories.get(obs.category)
        if obs.lat is not None or obs.lon is not None:
            check_position(obs.lat if obs.lat is not None else float("nan"),
                           obs.lon if obs.lon is not None else float("nan"), "observation")
        check_not_future(obs.observed_at)
