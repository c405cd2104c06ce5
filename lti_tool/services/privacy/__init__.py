"""A person's data (issue 18): everything Rapport holds about one person, exported or erased.

A person is who the platform says they are, (issuer, `sub`) — LTI 1.3 Core §5.3.6 — and may
be known in several courses and, where a platform registered Rapport more than once, under
several registrations. `export` gathers everything about them as one JSON document; `erase`
removes it in one transaction and keeps only a keyed hash of their identity (`erasures`), so
that a roster sync does not bring back what was erased while the LMS still lists them. No
Flask here: `rapport privacy export` and `rapport privacy erase` (lti_tool/cli/privacy.py)
call these.
"""
