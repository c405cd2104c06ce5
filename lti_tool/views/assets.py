"""Rapport's own static files (CSS and scripts), kept by browsers until they change.

Every `url_for('static', …)` carries `v`, a digest of the file's content, so that a page names
each file as it is now. A request naming the current digest is answered as immutable for a
year; any other (no `v`, or an old one from a page cached before a deploy) is revalidated each
time, as before. Without this, each page inside the LMS frame cost five more requests, one per
file, each through the whole app (session, headers, log line), only to answer 304.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

VERSION_PARAM = "v"
KEPT_SECONDS = 365 * 24 * 3600
_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, mtime, size) → digest


def version_of(folder: str, filename: str) -> str | None:
    """The digest of a static file's current content (read once per change); None for a file
    that is not there (`url_for` still builds its URL; the request answers 404)."""
    path = os.path.join(folder, filename)
    try:
        found = os.stat(path)
    except OSError:
        return None
    key = (path, found.st_mtime_ns, found.st_size)
    digest = _DIGESTS.get(key)
    if digest is None:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        _DIGESTS[key] = digest
    return digest


def register(app: Flask) -> None:
    folder = str(app.static_folder)

    @app.url_defaults
    def _versioned(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and VERSION_PARAM not in values and "filename" in values:
            digest = version_of(folder, str(values["filename"]))
            if digest:
                values[VERSION_PARAM] = digest

    @app.after_request
    def _kept(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        named = request.args.get(VERSION_PARAM)
        filename = (request.view_args or {}).get("filename")
        if named and filename and named == version_of(folder, str(filename)):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = KEPT_SECONDS
            response.cache_control.immutable = True
        return response
