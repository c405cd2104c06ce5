"""Where the captured LMS payloads live: `shared/fixtures/` beside the repository.

Developers' checkouts and CI's fresh clones both have `shared/` next to the repository folder.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
