"""The tool's front page: what Rapport is and the URLs an LMS administrator needs."""

from __future__ import annotations

from flask import Blueprint, render_template

from lti_tool.extensions import rapport
from lti_tool.i18n import _

bp = Blueprint("about", __name__)


@bp.get("/")
def index() -> str:
    settings = rapport().settings
    base = settings.public_url
    urls = [
        (_("OIDC login initiation URL"), base + "/lti/login"),
        (_("Redirect URI / target link URI"), base + "/lti/launch"),
        (_("Public keyset (JWKS) URL"), base + "/lti/jwks.json"),
        (_("Dynamic registration URL"), base + "/lti/register"),
        (_("Canvas developer key JSON"), base + "/lti/canvas.json"),
    ]
    return render_template("about/index.html", urls=urls, demo=settings.demo)
