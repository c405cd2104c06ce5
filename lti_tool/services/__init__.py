"""Rapport's domain rules: plain classes and functions, testable without Flask.

One package per feature (`newsfeed`, `feedback`, `snippets`, `checkins`, `tutors`, `dashboard`,
`grades`, `roster`, `platforms`), each with its core in `service`; the modules at this level are
the parts several features share (access, refusals, course settings, placements, profiles, …).
"""
