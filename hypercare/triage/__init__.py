"""The triage inbox: one ranked list of what needs a person now, across Sentry, checks, tickets
and incidents (model, pure score, the store reads behind each kind of item, and the inbox)."""
