"""axe-core, Deque's accessibility engine, run in the page by selenium: the rules of WCAG
2.1 A and AA (the level RGAA follows) and a few of its best practices.

The script is vendored (tests/support/vendor/axe-core/, MPL-2.0), pinned by version and by
its sha256, checked before every use so that a changed file fails loudly rather than
testing with something else. It is injected into the page under test, never served by
the console.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "4.14.1"
SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
SOURCE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# Best practices (not tagged WCAG) kept on top of the tags: a page's outline for a screen
# reader (one h1, no level skipped, landmarks holding all content), no positive tabindex
# (it would break the keyboard's order) and a skip link that leads somewhere (RGAA 12.7).
BEST_PRACTICES = (
    "page-has-heading-one",
    "heading-order",
    "landmark-one-main",
    "landmark-unique",
    "region",
    "tabindex",
    "skip-link",
)

# axe.run's promise handed to selenium's callback, cut down to what a failure message
# needs (the whole result carries every passing node too). What axe could not decide
# ("incomplete": text over an image, an id twice that a label or an aria attribute
# points at) counts as found: no person reviews these runs.
RUN = """
const [tags, extra, done] = arguments;
const rules = Object.fromEntries(extra.map((id) => [id, {enabled: true}]));
const options = {runOnly: {type: 'tag', values: tags}, rules,
  resultTypes: ['violations', 'incomplete']};
const cut = (results, undecided) => results.map((v) => ({
  id: v.id, impact: v.impact, help: v.help, undecided,
  nodes: v.nodes.map((n) => n.target.flat().join(' >> ')),
}));
axe.run(document, options)
  .then((r) => done(cut(r.violations, false).concat(cut(r.incomplete, true))))
  .catch((error) => done({error: String(error)}));
"""


@dataclass(frozen=True)
class Violation:
    rule: str  # axe's rule id, e.g. color-contrast
    impact: str  # minor, moderate, serious, critical
    help: str
    nodes: tuple[str, ...]  # CSS selectors of the offending elements
    undecided: bool = False  # axe's "incomplete": it could not tell, so it needs review

    def __str__(self) -> str:
        kind = f"{self.impact}, needs review" if self.undecided else self.impact
        return f"{self.rule} ({kind}): {self.help}: {', '.join(self.nodes)}"


@functools.cache
def source(path: Path = SOURCE) -> str:
    """The vendored axe.min.js, refused unless it is the pinned file."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise AssertionError(f"{path}: sha256 {digest}, expected axe-core {VERSION}'s {SHA256}")
    return data.decode("utf-8")


def violations(browser: Any) -> list[Violation]:
    """What axe-core finds wrong in the page open in `browser` (empty: nothing)."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(source())
    found = browser.execute_async_script(RUN, list(TAGS), list(BEST_PRACTICES))
    if isinstance(found, dict):
        raise AssertionError(f"axe-core failed in {browser.current_url}: {found['error']}")
    return [
        Violation(v["id"], v["impact"] or "", v["help"], tuple(v["nodes"]), v["undecided"])
        for v in found
    ]
