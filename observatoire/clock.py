"""Times as the users read them: Europe/Paris, with the zone said.

The store writes its moments in UTC (journal `date` and lots `cree_le`: naive TIMESTAMP values in UTC; meta
`data_date`: ISO text with `+00:00`). Everything shown to a person — import history, journal, lots, version
dates on the page, the footer, the CLI, the files' « version du … » — goes through here: converted to Paris
time (summer and winter time included) and, when an hour is shown, followed by « (heure de Paris) ».
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

PARIS = ZoneInfo("Europe/Paris")
ZONE_LABEL = "heure de Paris"


def to_paris(value: object) -> dt.datetime | None:
    """`value` (datetime, pandas Timestamp, ISO text) as an aware Paris datetime; a naive value is UTC (what the
    store writes). None when it is not a moment (None, NaN, unreadable text)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        moment = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(moment):
        return None
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert(PARIS).to_pydatetime()


def paris_date(value: object) -> str:
    """`22/11/2026` (Paris date; the text as given when it is not a moment)."""
    moment = to_paris(value)
    return f"{moment:%d/%m/%Y}" if moment is not None else ("" if value is None else str(value))


def paris_datetime(value: object, zone: bool = True) -> str:
    """`22/11/2026 à 14:26 (heure de Paris)`; `zone=False` leaves the zone out (a table whose header says it).
    The text as given when it is not a moment."""
    moment = to_paris(value)
    if moment is None:
        return "" if value is None else str(value)
    text = f"{moment:%d/%m/%Y} à {moment:%H:%M}"
    return f"{text} ({ZONE_LABEL})" if zone else text


def paris_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in Paris, as a naive UTC datetime (comparable with the journal's dates)."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return start.astimezone(dt.UTC).replace(tzinfo=None)
