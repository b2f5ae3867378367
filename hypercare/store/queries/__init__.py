"""Named query functions: each figure on a page comes from exactly one of them.

One module per area (overview, errors, health, tickets, incidents, freshness). Every function
takes a cursor and explicit instants, returns a DataFrame or a small dataclass, and has a test
that checks it against an independent computation on known rows.
"""
