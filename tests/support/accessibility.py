"""A few of axe-core's rules, checked in the page by a script run through selenium
(no new dependency): what a screen reader or a keyboard needs first (WCAG 2.1 A/AA).

`problems(browser)` lists, in words, every form field without a label, a page without
exactly one h1, images without alt, buttons and links without a name, a missing lang,
duplicate ids (labels point at ids) and a missing title.
"""

from __future__ import annotations

from typing import Any

SCRIPT = r"""
const problems = [];
const name = (el) => (el.getAttribute('aria-label') || '').trim()
  || (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
       .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
const describe = (el) => el.outerHTML.slice(0, 120);
for (const el of document.querySelectorAll('input, select, textarea')) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
  const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
    || el.closest('label') || name(el) || el.getAttribute('title');
  if (!labelled) problems.push('field without a label: ' + describe(el));
}
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(`${h1} h1 on the page, expected one`);
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('image without alt: ' + describe(img));
}
for (const el of document.querySelectorAll('button, a[href], [role="button"]')) {
  const text = (el.textContent || '').trim() || name(el) || el.getAttribute('title')
    || (el.getAttribute('value') || '').trim()
    || [...el.querySelectorAll('img[alt]')].map((i) => i.alt).join('').trim();
  if (!text) problems.push('button or link without a name: ' + describe(el));
}
const lang = document.documentElement.getAttribute('lang') || '';
if (!lang.trim()) problems.push('no lang on <html>');
if (!document.title.trim()) problems.push('no title');
const ids = {};
for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
for (const [id, n] of Object.entries(ids)) if (n > 1) problems.push(`id "${id}" ${n} times`);
return problems;
"""


def problems(browser: Any) -> list[str]:
    """What the page in `browser` lacks, by the rules above (empty: none)."""
    found: list[str] = browser.execute_script(SCRIPT)
    return found
