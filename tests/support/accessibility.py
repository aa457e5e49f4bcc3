"""A few of axe-core's rules, checked in the page by a script run through selenium
(no new dependency): what a screen reader or a keyboard needs first (WCAG 2.1 A/AA).

`problems(browser)` lists, in words, every form field without a label, a page without
exactly one h1, a heading that skips a level, images without alt, buttons and links
without a name, a missing lang, duplicate ids (labels point at ids), a label or an aria
reference to no element, a missing title, a positive tabindex (it breaks the keyboard's
order), and text whose contrast with its background is under WCAG AA's 4.5:1 (3:1 for
large text; the background read from the nearest element that paints one, so text over
an image is not judged).
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
for (const el of document.querySelectorAll('[aria-describedby], [aria-labelledby], label[for]')) {
  const refs = [el.getAttribute('aria-describedby'), el.getAttribute('aria-labelledby'),
    el.getAttribute('for')].join(' ').split(/\s+/).filter(Boolean);
  for (const id of refs) {
    if (!document.getElementById(id)) problems.push(`no element "${id}" for ` + describe(el));
  }
}
let level = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
  const next = Number(h.tagName[1]);
  if (next > level + 1) problems.push(`h${next} after h${level}: ${h.textContent.trim()}`);
  level = next;
}
for (const el of document.querySelectorAll('[tabindex]')) {
  if (Number(el.getAttribute('tabindex')) > 0) problems.push('tabindex above 0: ' + describe(el));
}
const rgba = (text) => (text.match(/[\d.]+/g) || []).map(Number);
const luminance = ([r, g, b]) => {
  const [R, G, B] = [r, g, b].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * R + 0.7152 * G + 0.0722 * B;
};
const background = (el) => {
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour.length >= 3 && (colour.length === 3 || colour[3] > 0)) return colour;
  }
  return [255, 255, 255];
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const el = walker.currentNode.parentElement;
  if (!walker.currentNode.textContent.trim() || !el || seen.has(el)) continue;
  seen.add(el);
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || !el.getClientRects().length) continue;
  if (el.closest('svg, option, [aria-hidden="true"]')) continue;
  const [fore, back] = [luminance(rgba(style.color)), luminance(background(el))];
  const ratio = (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`contrast ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 60)}`);
  }
}
return problems;
"""


def problems(browser: Any) -> list[str]:
    """What the page in `browser` lacks, by the rules above (empty: none)."""
    found: list[str] = browser.execute_script(SCRIPT)
    return found
