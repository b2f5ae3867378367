"""Go-live readiness: the checklist before the switch and the data-migration reconciliation checks."""
