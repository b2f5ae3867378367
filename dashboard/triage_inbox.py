"""The triage inbox as pages read it: built once per `now` step from its parts (each a cached
query) and shared by the Triage page's reruns and the Overview's untriaged count, so the two
say the same number.

The build is kept as it is (st.cache_resource: never pickled; ~3,000 items took ~70 ms to
pickle and ~30 ms to unpickle on every rerun), for exactly as long as the query cache it is
built from: an action anywhere clears that cache (data.clear) and so starts a new build.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import duckdb
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.figures.triage import Listing, listing, log_rows
from hypercare.store.queries import triage as q
from hypercare.triage import inbox
from hypercare.triage.view import combine
from hypercare.window import Window

_fills = itertools.count()


def inbox_listing(now: datetime) -> Listing:
    """The inbox at `now` (data.now()) with every item's state, as the Triage page shows it.
    Read only: every session shares it."""
    db = data.db_key()
    return _listing(db, now, _query_cache_fill(db))


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _query_cache_fill(db: str) -> int:
    """A number that changes each time the query cache is cleared or expires."""
    return next(_fills)


@st.cache_resource(ttl=data.TTL_SECONDS, max_entries=8, show_spinner=False)
def _listing(db: str, now: datetime, fill: int) -> Listing:
    context = data.ctx()
    window = context.window(as_of=now)  # as inbox.items reads it
    found = [i for name in inbox.PARTS for i in data.cached(inbox.part)(context.config, window, now, name)]
    view = combine(inbox.ranked(found), data.cached(q.item_states)(now), data.cached(q.covering_incidents)(), now)
    return listing(view, window or Window(now, timezone=context.config.release.timezone))  # the zone before go-live


def triage_log(cur: duckdb.DuckDBPyConnection, window: Window) -> pd.DataFrame:
    """The triage log as the page shows it (log_rows of queries.triage.history), for data.cached:
    labelled once per cache fill, not on every rerun."""
    return log_rows(q.history(cur), window)
