"""Check-ins (PRODUCT.md, "Check-ins"): staff schedule short questions that students answer
inside the LMS; staff triage the answers, answer each student in their feedback thread, nudge
those who have not answered, and read charts and a CSV; participation can be graded back to the
LMS gradebook (AGS). `service` holds the rules and answering, `schedule` when occurrences open,
`triage`, `replies`, `stats`, `charts`, `sparkline` and `export` what staff do and see,
`settings` the course's defaults for a new check-in."""
