"""Who is using the dashboard: the sign-in gate, the signed-in person, and the sidebar's line.

`person()` is the one place that turns a session into an `Identity`; pages reach it through
`dashboard.data.identity()` / `may()`. The entry script calls `gate()` before any page runs.
"""

from __future__ import annotations

import streamlit as st

from hypercare.auth.identity import Identity, local_identity
from hypercare.auth.passwords import Lockout, SignInRefused, sign_in
from hypercare.auth.roles import display_name, oidc_identity
from hypercare.config import AuthConfig
from hypercare.outside_text import as_text
from hypercare.runtime import get_context

SESSION_USER = "hypercare_user"  # password mode: the signed-in username, per browser session
LOCAL_ONLY = "Not signed in — local use only."


def person(auth: AuthConfig) -> Identity | None:
    """The person using this session with their role; None if not signed in or without a role."""
    if auth.mode == "none":
        return local_identity()
    if auth.mode == "password":
        user = next((u for u in auth.users if u.username == st.session_state.get(SESSION_USER)), None)
        return Identity(user.name, user.email, user.role) if user else None
    return oidc_identity(st.user.to_dict(), auth) if st.user.is_logged_in else None


def gate() -> Identity:
    """Stop the run here unless someone with a role is using the session: render the sign-in
    form (password), the sign-in button (oidc) or the one sentence for a person without a role."""
    auth = get_context().config.auth
    who = person(auth)
    if who is not None:
        return who
    if auth.mode == "password":
        _password_form()
    elif not st.user.is_logged_in:
        st.title("Hypercare")
        st.button("Sign in", type="primary", on_click=_oidc_login, args=(auth.provider,))
    else:
        name = as_text(display_name(st.user.to_dict()))
        st.error(f"You are signed in as {name} but have no role on this dashboard; ask {as_text(auth.ask)} for one.")
    st.stop()


def who_block(who: Identity) -> None:
    """The sidebar's lines: who is acting, their role, and sign-out."""
    auth = get_context().config.auth
    if auth.mode == "none":
        st.caption(f"{LOCAL_ONLY} Actions are recorded as {as_text(who.name)} (lead).")
        return
    st.caption(f"Signed in as **{as_text(who.name)}** · {who.role}")
    st.button("Sign out", key="sign_out", on_click=_sign_out, args=(auth.mode,))


def _oidc_login(provider: str | None) -> None:
    if provider:
        st.login(provider)
    else:
        st.login()


def _sign_out(mode: str) -> None:
    if mode == "oidc":
        st.logout()
    st.session_state.pop(SESSION_USER, None)


@st.cache_resource
def _lockout() -> Lockout:
    """One per serving process, shared by every browser session, on the app's clock."""
    return Lockout(get_context().clock)


def _hashes() -> dict[str, str]:
    try:
        return dict(st.secrets.get("passwords", {}))
    except FileNotFoundError:  # no secrets file at all: nobody can sign in; `serve` says so at start
        return {}


def _attempt() -> None:
    s = st.session_state
    try:
        sign_in(get_context().config.auth.users, _hashes(), _lockout(),
                s.signin_username, s.signin_password, st.context.ip_address or "local")
        s[SESSION_USER] = s.signin_username.strip()
    except SignInRefused as exc:
        s.signin_error = str(exc)
    s.signin_password = ""  # never kept in the session after the attempt


def _password_form() -> None:
    st.title("Hypercare")
    with st.form("sign_in"):
        st.text_input("Username", key="signin_username")
        st.text_input("Password", type="password", key="signin_password")
        st.form_submit_button("Sign in", type="primary", on_click=_attempt)
    if message := st.session_state.pop("signin_error", None):
        st.error(message)
