"""A page's accessibility, as the browser tests check it: axe-core (tests/support/axe.py:
WCAG 2.1 A and AA, a few best practices) and, what axe does not do, the keyboard.

The keyboard walk presses Tab from the top of the page, as a person without a mouse would,
and checks at each stop (the first STOPS of them) that focus went to the next element of
the page's order (the document's, since positive tabindex is refused by axe), that the
focused element is on screen and that its focus is visible: an outline at least 2 px wide
whose colour has 3:1 against what it is drawn on (WCAG 2.4.7 and 1.4.11), or the
browser's own focus ring.
"""

from __future__ import annotations

from typing import Any

from tests.support.axe import violations

STOPS = 30  # the header's links and the first of the content's: where a page goes wrong
FIELD_PARTS = 6  # the most of a datetime-local field: day, month, year, hours, minutes, AM/PM

# Numbers each element that Tab should reach (data-tab-stop), in the document's order: of
# a group of radio buttons only the checked one (or the first) is a stop.
MARK = r"""
const candidates = document.querySelectorAll(
  'a[href], button, input, select, textarea, summary, [tabindex]');
const groups = new Set();
const stops = [];
for (const el of candidates) {
  if (el.tabIndex < 0 || el.disabled || el.type === 'hidden' || el.closest('[inert]')) continue;
  if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
  if (el.type === 'radio' && el.name) {
    const group = [...document.getElementsByName(el.name)].filter((r) => r.form === el.form);
    const chosen = group.find((r) => r.checked) || group[0];
    if (el !== chosen || groups.has(el.name)) continue;
    groups.add(el.name);
  }
  el.dataset.tabStop = String(stops.length);
  stops.push(el.outerHTML.slice(0, 100));
}
const active = document.activeElement;
const start = active && active.dataset.tabStop !== undefined ? Number(active.dataset.tabStop) : -1;
return [stops, start];
"""

# The focused element: its stop number, what it is, whether it is on screen, and its focus
# ring's width, style and contrast with the colour behind it.
FOCUSED = r"""
const el = document.activeElement;
const rgba = (text) => (text.match(/[\d.]+/g) || []).map(Number);
const luminance = ([r, g, b]) => {
  const [R, G, B] = [r, g, b].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * R + 0.7152 * G + 0.0722 * B;
};
const painted = (start) => {
  for (let node = start; node && node.nodeType === 1; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour.length === 3 || (colour.length === 4 && colour[3] > 0)) return colour;
  }
  return [255, 255, 255];
};
if (!el || el === document.body) return null;
const style = getComputedStyle(el);
const rect = el.getBoundingClientRect();
const onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
  && rect.top < innerHeight && rect.left < innerWidth;
// An outline drawn outside the element lies on its parent's background.
const behind = painted(parseFloat(style.outlineOffset) < 0 ? el : el.parentElement);
const [fore, back] = [luminance(rgba(style.outlineColor)), luminance(behind)];
return {
  stop: el.dataset.tabStop === undefined ? null : Number(el.dataset.tabStop),
  what: el.outerHTML.slice(0, 100),
  onScreen,
  ring: style.outlineStyle,
  width: parseFloat(style.outlineWidth) || 0,
  contrast: (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05),
  shadow: style.boxShadow !== 'none',
};
"""


def problems(browser: Any) -> list[str]:
    """What the page open in `browser` gets wrong, in words (empty: nothing)."""
    return [str(v) for v in violations(browser)] + keyboard_problems(browser)


def keyboard_problems(browser: Any) -> list[str]:
    """Tab through the page's first STOPS stops: each in order, on screen, focus visible."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    def tab() -> Any:
        ActionChains(browser).send_keys(Keys.TAB).perform()
        return browser.execute_script(FOCUSED)

    stops, start = browser.execute_script(MARK)
    found: list[str] = []
    for expected in range(start + 1, min(len(stops), start + 1 + STOPS)):
        focused = tab()
        # A date or time field is one element of several parts, each a stop of Tab.
        for _ in range(FIELD_PARTS):
            if focused is None or focused["stop"] != expected - 1:
                break
            focused = tab()
        if focused is None or focused["stop"] != expected:
            went = "nowhere" if focused is None else focused["what"]
            return [*found, f"Tab {expected - start}: focus went to {went}, not {stops[expected]}"]
        found += _focus_problems(focused)
    return found


def _focus_problems(focused: dict[str, Any]) -> list[str]:
    what = focused["what"]
    found = [] if focused["onScreen"] else [f"focused off screen: {what}"]
    if focused["ring"] == "auto":
        return found  # the browser's own ring, drawn in two colours for any background
    if focused["ring"] == "none" or focused["width"] < 2:
        if not focused["shadow"]:
            found.append(f"no visible focus: {what}")
    elif focused["contrast"] < 3:
        found.append(f"focus outline contrast {focused['contrast']:.2f} (under 3:1): {what}")
    return found
