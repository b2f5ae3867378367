"""SQL for tests that recount figures from rows: the Sentry issues the triage inbox has set aside
(latest action "set aside"; the demo sets one aside with no end), which every new-issue count
leaves out."""

SET_ASIDE_ISSUES = ("SELECT ref FROM triage_actions WHERE source = 'sentry' QUALIFY row_number() OVER "
                    "(PARTITION BY item_key ORDER BY seq DESC) = 1 AND action = 'set aside'")
