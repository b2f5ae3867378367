"""The triage inbox as pages read it: built once per `now` step from its parts (each a cached
query) and kept for the cache's short TTL, so the Triage page's reruns and the Overview's
untriaged count share one build and say the same number."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard import data
from dashboard.figures.triage import Listing, listing
from hypercare.store.queries import triage as q
from hypercare.triage import inbox
from hypercare.triage.view import combine
from hypercare.window import Window


def inbox_listing(now: datetime) -> Listing:
    """The inbox at `now` (data.now()) with every item's state, as the Triage page shows it."""
    return _listing(data.db_key(), now)


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _listing(db: str, now: datetime) -> Listing:
    context = data.ctx()
    found = [i for name in inbox.PARTS for i in data.cached(inbox.part)(context.config, now, name)]
    view = combine(inbox.ranked(found), data.cached(q.item_states)(now), data.cached(q.covering_incidents)(), now)
    window = context.window() or Window(now, timezone=context.config.release.timezone)  # the zone before go-live
    return listing(view, window)
