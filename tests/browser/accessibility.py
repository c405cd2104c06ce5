"""axe-core in the browser tests (issue 17: WCAG 2.2 AA).

`axe_findings` runs axe-core (the copy bundled by axe-playwright-python) in a Playwright Page or
Frame: Rapport's frame inside the demo LMS is cross-site, and `Frame.evaluate` runs there as in
the page itself (the tool's CSP governs what its pages load, not what the test evaluates). Every
WCAG 2.0-2.2 A and AA rule runs, and axe's best practices too (unique landmarks, headings,
regions). `Findings` gathers what many pages found, one line per rule and element, and fails
with a list a person can act on: rule id, impact, where, the element and axe's help.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


@dataclass(frozen=True)
class Finding:
    rule: str
    impact: str
    selector: str
    help: str
    summary: str  # axe's account of this element: the colours and ratio, the missing name…

    def line(self, where: str) -> str:
        detail = " ".join(self.summary.split())[:300]
        return f"{self.rule} ({self.impact}) on {where}: {self.selector} — {self.help}. {detail}"


def with_axe(context: Any) -> None:
    """Give every page of a browser context axe-core as it loads: its 550 kB then cross from the
    test to the browser once, instead of once for each page checked (a third of each check)."""
    context.add_init_script(script=AXE_SCRIPT)


def axe_findings(target: Any) -> list[Finding]:
    """What axe finds in a Page or a Frame as it is now (load it first)."""
    if not target.evaluate("typeof axe === 'object'"):
        target.evaluate(AXE_SCRIPT)
    found = target.evaluate("rules => axe.run(document, rules).then(r => r.violations)", RULES)
    return [
        Finding(
            rule["id"],
            node.get("impact") or rule.get("impact") or "unknown",
            " ".join(str(part) for part in node["target"]),
            rule["help"],
            node.get("failureSummary", ""),
        )
        for rule in found
        for node in rule["nodes"]
    ]


PAGES_LOG = os.environ.get("RAPPORT_AXE_PAGES")


@dataclass
class Findings:
    """Findings of many pages, each element's once with the pages where it was found."""

    pages: list[str] = field(default_factory=list)
    where: dict[Finding, list[str]] = field(default_factory=dict)

    def check(self, target: Any, page: str) -> list[Finding]:
        self.pages.append(page)
        found = axe_findings(target)
        for finding in found:
            self.where.setdefault(finding, []).append(page)
        if PAGES_LOG:  # RAPPORT_AXE_PAGES=FILE: each page checked, with its violations
            with Path(PAGES_LOG).open("a") as log:
                log.write(f"{page}\t{len(found)}\n")
        return found

    def report(self) -> str:
        lines = []
        for finding, pages in sorted(self.where.items(), key=lambda f: (f[0].rule, f[1][0])):
            more = f" (and {len(pages) - 1} more pages)" if len(pages) > 1 else ""
            lines.append(finding.line(pages[0] + more))
        return "\n".join(lines)

    def assert_none(self) -> None:
        assert not self.where, (
            f"axe-core found {len(self.where)} violations on {len(self.pages)} pages:\n"
            + self.report()
        )


# What shows where focus is: the focused element's outline (or, for a radio drawn by the
# element after it, as the check-in scale does, that element's), the width and colour of it,
# and the colour beside it: the background it is drawn on (its parent's, for an outline
# outside the element; its own, for one inside).
_FOCUS_RING = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) { return null; }
  const shown = focused.getBoundingClientRect().width <= 1 && focused.nextElementSibling
    ? focused.nextElementSibling : focused;
  const style = getComputedStyle(shown);
  let under = parseFloat(style.outlineOffset) < 0 ? shown : shown.parentElement;
  let background = "rgb(255, 255, 255)";
  for (; under; under = under.parentElement) {
    const colour = getComputedStyle(under).backgroundColor;
    if (colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") { background = colour; break; }
  }
  const name = (focused.getAttribute("aria-label") || focused.textContent || focused.name ||
    focused.id || "").trim().replace(/\\s+/g, " ").slice(0, 60);
  return {element: focused.tagName.toLowerCase() + " " + JSON.stringify(name),
          style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          colour: style.outlineColor, background: background};
}"""


def _luminance(css: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def focus_ring_problem(target: Any) -> str | None:
    """What is wrong with how the focused element shows its focus (WCAG 2.4.7, 1.4.11: an
    outline at least 2 px wide, 3:1 against what is beside it), or None."""
    ring = target.evaluate(_FOCUS_RING)
    if ring is None:
        return "focus is on <body>"
    if ring["style"] in ("none", "hidden") or ring["width"] < 2:
        return f"{ring['element']} shows no focus ring ({ring['style']} {ring['width']}px)"
    ratio = contrast(ring["colour"], ring["background"])
    if ratio < 3:
        return (
            f"{ring['element']}: its focus ring {ring['colour']} on {ring['background']} "
            f"is {ratio:.2f}:1, under 3:1"
        )
    return None
