"""What every page shares: the sidebar with the release, where we are in the window, the clock."""

from __future__ import annotations

import logging
import secrets

import streamlit as st

from dashboard.data import ctx, now
from hypercare.outside_text import as_text

log = logging.getLogger(__name__)


def sidebar() -> None:
    context = ctx()
    release = context.config.release
    window = context.window()
    with st.sidebar:
        st.subheader(release.name, anchor=False)
        if release.version:
            st.caption(f"Version {as_text(release.version)} · {as_text(release.environment)}")
        if window is None:
            st.warning("Go-live instant not known yet: set release.go_live_at or wait for Sentry's deploy.")
            return
        t = now()
        st.text(window.label(t))
        st.progress(window.progress(t))
        local = window.local(t)
        st.caption(f"Now {local:%a %d %b %H:%M} ({as_text(release.timezone)})")
        if context.demo:
            st.info("Demo data: a gym network's booking platform, clock pinned inside its hypercare window.")


def run_page(navigation) -> None:
    """Run the chosen page. A failure shows the visitor a sentence with a reference; the
    traceback goes to the server log under that reference (and to self-monitoring when it is
    on, whose logging integration sends errors logged with their exception)."""
    try:
        navigation.run()
    except Exception:
        reference = secrets.token_hex(4)
        log.exception("page %r failed (reference %s)", navigation.title, reference)
        st.error(f"This page could not be drawn. The details are in Hypercare's server log under reference "
                 f"{reference}; the other pages may still work.")
