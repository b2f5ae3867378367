"""Cached wrappers around the query functions: the only way pages read the store.

Results are cached for a short TTL, keyed by the database and a `now` rounded down to
NOW_STEP so reruns within a few seconds share results while a live page still moves.
Actions that write call `clear()` so the page shows their effect at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from dashboard import signin
from hypercare.auth.identity import Identity, Role
from hypercare.outside_text import as_text
from hypercare.runtime import AppContext, get_context
from hypercare.store import StoreError
from hypercare.store.db import DAMAGE_ERRORS

TTL_SECONDS = 30
NOW_STEP = timedelta(seconds=15)


def ctx() -> AppContext:
    return get_context()


def identity() -> Identity:
    """Who is using this page: the one place pages ask. Without sign-in, the OS user as lead.

    A run with nobody (with a role) signed in stops here, so no page ever acts for no one;
    the entry script's `signin.gate()` has shown them the sign-in form already.
    """
    who = signin.person(ctx().config.auth)
    if who is None:
        st.stop()
    return who


def may(role: Role) -> bool:
    """Whether to render widgets that write: the one check every page uses for them."""
    return identity().may(role)


def now() -> datetime:
    """The page's `now`, rounded down to NOW_STEP so cached results can be shared."""
    t = ctx().clock.now()
    step = int(NOW_STEP.total_seconds())
    return t - timedelta(seconds=t.second % step, microseconds=t.microsecond)


def db_key() -> str:
    return str(ctx().store.path)


_QUERIES: dict[str, object] = {}


def _tuple_key(values: tuple) -> str | list:
    """What a tuple argument is hashed as: a tuple of strings (a page's 1,000 check names) as its
    repr, one string, since Streamlit hashes a tuple item by item (~4 µs each, ~4 ms a run of the
    Health page); any other tuple item by item still, as a list."""
    return repr(values) if all(type(v) is str for v in values) else list(values)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, hash_funcs={tuple: _tuple_key})
def _run(db: str, name: str, *args, **kwargs):
    store = ctx().store
    try:
        return _QUERIES[name](store.cursor(), *args, **kwargs)
    except DAMAGE_ERRORS as exc:  # the file itself is bad: the sentence, not DuckDB's exception
        raise store.explain(exc) from None


def cached(func):
    """Cache a query function `func(cur, *args)`; call the result as `wrapped(*args)`.

    Arguments must be hashable by Streamlit (str, numbers, datetimes, tuples).
    """
    name = f"{func.__module__}.{func.__qualname__}"
    _QUERIES[name] = func

    def call(*args, **kwargs):
        try:
            return _run(db_key(), name, *args, **kwargs)
        except StoreError as exc:  # the store itself is unusable: say so and what to do, nothing else
            st.error(as_text(str(exc)))
            st.stop()

    call.__name__ = func.__name__
    call.__doc__ = func.__doc__
    return call


def clear() -> None:
    st.cache_data.clear()
