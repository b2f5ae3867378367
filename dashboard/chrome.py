"""What every page shares: the sidebar with the release, where we are in the window, the clock."""

from __future__ import annotations

import streamlit as st

from dashboard.data import ctx, now


def sidebar() -> None:
    context = ctx()
    release = context.config.release
    window = context.window()
    with st.sidebar:
        st.subheader(release.name, anchor=False)
        if release.version:
            st.caption(f"Version {release.version} · {release.environment}")
        if window is None:
            st.warning("Go-live instant not known yet: set release.go_live_at or wait for Sentry's deploy.")
            return
        t = now()
        st.text(window.label(t))
        st.progress(window.progress(t))
        local = window.local(t)
        st.caption(f"Now {local:%a %d %b %H:%M} ({release.timezone})")
        if context.demo:
            st.info("Demo data: a gym network's booking platform, clock pinned inside its hypercare window.")
