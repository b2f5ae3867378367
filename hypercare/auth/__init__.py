"""Who is acting: identities and roles (the sign-in modes live here too)."""
