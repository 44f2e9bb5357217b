// What both accessibility suites share: the axe-core check (WCAG 2.0/2.1/2.2
// A and AA, no sideways scrolling) with a screenshot of each state in
// target/screenshots, and the variants every screen is checked in.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';

const SHOTS = resolve(import.meta.dirname, '../../target/screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Zero axe violations on the page as it is now; a screenshot either way. */
export async function check(page, variant, state) {
  await page.screenshot({ path: join(SHOTS, `${variant}-${state}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${variant} ${state}: axe violations`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const viewport = page.viewportSize().width;
  assert.ok(width <= viewport, `${variant} ${state}: ${width}px wide in a ${viewport}px viewport`);
}

const read = (path) => JSON.parse(readFileSync(resolve(import.meta.dirname, '../../locales', path), 'utf8'));

/** A language's sentences: every page's, and the help desk's with `admin`. */
export const locale = (lang, admin = false) => ({ ...read(`${lang}.json`), ...(admin ? read(`admin/${lang}.json`) : {}) });

const desktop = { viewport: { width: 1024, height: 800 } };
const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
export const variants = [
  { name: 'light', lang: 'en', options: { colorScheme: 'light', ...desktop } },
  { name: 'dark', lang: 'en', options: { colorScheme: 'dark', ...desktop } },
  { name: 'phone', lang: 'en', options: { colorScheme: 'light', ...phone } },
  { name: 'phone-dark', lang: 'en', options: { colorScheme: 'dark', ...phone } },
  { name: 'ar', lang: 'ar', options: { colorScheme: 'light', ...desktop } },
  { name: 'ar-dark', lang: 'ar', options: { colorScheme: 'dark', ...desktop } },
  { name: 'ar-phone', lang: 'ar', options: { colorScheme: 'light', ...phone } },
  { name: 'de-phone-dark', lang: 'de', options: { colorScheme: 'dark', ...phone } },
];
