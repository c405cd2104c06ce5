"""One blueprint per feature; each view parses, calls one service, renders."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from lti_tool.views.params import DatabaseId

    app.url_map.converters["int"] = DatabaseId  # before any route is added
    from lti_tool.views import (
        about,
        archive,
        assets,
        audit,
        checkin_answers,  # noqa: F401 (its routes are on checkins.bp)
        checkins,
        course,
        dashboard,
        deep_linking,
        errors,
        feedback,
        grades,
        headers,
        health,
        install,
        language,
        lti,
        metrics,
        newsfeed,
        notifications,
        outcomes,
        rollover,
        roster,
        settings,
        snippets,
        times,
        triage,  # noqa: F401 (its routes are on checkins.bp)
        tutors,
    )

    app.register_blueprint(about.bp)
    app.register_blueprint(lti.bp)
    app.register_blueprint(install.bp)
    app.register_blueprint(course.bp)
    app.register_blueprint(newsfeed.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(checkins.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(deep_linking.bp)
    app.register_blueprint(roster.bp)
    app.register_blueprint(grades.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(rollover.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(archive.bp)
    app.register_blueprint(snippets.bp)
    app.register_blueprint(tutors.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    language.install(app)  # the locale and zone of every page
    errors.register(app)
    health.register(app)
    headers.register(app)
    assets.register(app)
    times.register(app)
    notifications.register(app)
    archive.register(app)
    outcomes.register(app)
