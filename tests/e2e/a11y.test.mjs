// Accessibility, themes and phone widths: axe-core (WCAG 2.0/2.1/2.2 A and
// AA) on every screen and state, light and dark, with a screenshot of each
// in target/screenshots; and sign-in plus a registration by keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { startServer, seed, issue, browser, cli, totp } from './helpers.mjs';

const SHOTS = resolve(import.meta.dirname, '../../target/screenshots');
mkdirSync(SHOTS, { recursive: true });
const ADA = 'ada@contoso.com';

let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

/** Zero axe violations on the page as it is now; a screenshot either way. */
async function check(page, variant, state) {
  await page.screenshot({ path: join(SHOTS, `${variant}-${state}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${variant} ${state}: axe violations`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const viewport = page.viewportSize().width;
  assert.ok(width <= viewport, `${variant} ${state}: ${width}px wide in a ${viewport}px viewport`);
}

const variants = [
  { name: 'light', options: { colorScheme: 'light', viewport: { width: 1024, height: 800 } } },
  { name: 'dark', options: { colorScheme: 'dark', viewport: { width: 1024, height: 800 } } },
  { name: 'phone', options: { colorScheme: 'light', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } },
  { name: 'phone-dark', options: { colorScheme: 'dark', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } },
];

for (const variant of variants) {
  test(`every screen and state passes axe (${variant.name})`, async (t) => {
    const server = await startServer(['--passwordless-window-seconds', '600']);
    const context = await chrome.newContext(variant.options);
    const page = await context.newPage();
    t.after(async () => { await context.close(); server.stop(); });
    seed(server.db);
    const code = issue(server.db, ADA, '--one-time').temporaryAccessPass;
    const v = variant.name;

    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await check(page, v, '1-account');
    await page.getByLabel('Account name').fill('ada');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('#upn-error').waitFor();
    await check(page, v, '1-account-error');
    await page.getByLabel('Account name').fill(ADA);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Enter your Temporary Access Pass' }).waitFor();
    await check(page, v, '2-pass');
    await page.getByLabel('Temporary Access Pass').fill('0O1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#pass-error').waitFor();
    await check(page, v, '2-pass-field-error');
    await page.getByLabel('Temporary Access Pass').fill('ZZZZZZZZ');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-error').waitFor();
    await check(page, v, '2-pass-wrong');
    await page.getByLabel('Temporary Access Pass').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
    await page.locator('.countdown .clock').waitFor();
    await check(page, v, '3-security-info-countdown');

    for (const [button, state] of [['Add a passkey', 'add-passkey'], ['Add a security key', 'add-security-key'], ['Add an email address', 'add-email']]) {
      await page.getByRole('button', { name: button }).click();
      await page.locator('.panel').waitFor();
      await check(page, v, `3-${state}`);
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
    await page.getByRole('button', { name: 'Add an authenticator app' }).click();
    await page.locator('svg.qr').waitFor();
    await page.getByText("Can't scan?").click();
    await check(page, v, '3-add-authenticator');
    const secret = await page.locator('#totp-secret').getAttribute('data-secret');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#totp-code-error').waitFor();
    await check(page, v, '3-add-authenticator-errors');
    await page.getByLabel('Code', { exact: true }).fill(totp(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.success').waitFor();
    await check(page, v, '3-method-added');

    await page.getByRole('button', { name: 'Add a phone' }).click();
    await page.getByLabel('Phone number', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.locator('#phone-number-error').waitFor();
    await check(page, v, '3-add-phone-error');
    await page.getByLabel('Phone number', { exact: true }).fill('+44 20 7946 0958');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code', { exact: true }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill('000000' === cli(server.db, 'outbox').match(/code is (\d{6})/)?.[1] ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText("That code isn't right").waitFor();
    await check(page, v, '3-code-wrong');
    await page.getByRole('button', { name: 'Cancel' }).click();

    const app = page.locator('.method', { hasText: 'Authenticator app' });
    await app.getByRole('button', { name: 'Rename' }).click();
    await check(page, v, '3-rename');
    await app.getByRole('button', { name: 'Cancel' }).click();
    await app.getByRole('button', { name: 'Delete' }).click();
    await check(page, v, '3-confirm-delete');
    await app.getByRole('button', { name: 'Cancel' }).click();

    await page.goto(`${server.url}/passkey`);
    await page.getByRole('heading', { name: 'Sign in with a passkey', level: 1 }).waitFor();
    await check(page, v, '4-passkey-sign-in');
  });
}

test('the closed passwordless window and the registration wizard pass axe, light and dark', async (t) => {
  const server = await startServer(['--passwordless-window-seconds', '2']);
  t.after(() => server.stop());
  seed(server.db);
  cli(server.db, 'policy', 'set', '--require-registration', 'true');
  for (const scheme of ['light', 'dark']) {
    const context = await chrome.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    t.after(() => context.close());
    await page.goto(server.url);
    await page.getByLabel('Account name').fill(ADA);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Temporary Access Pass').fill(issue(server.db, ADA, '--one-time').temporaryAccessPass);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Set up a sign-in method', level: 1 }).waitFor();
    await page.getByText('The time to add a passkey or security key has ended').waitFor({ timeout: 10000 });
    await check(page, scheme, '3-wizard-window-closed');
  }
});

test('keyboard alone: sign in with a pass and register an authenticator app', async (t) => {
  const server = await startServer();
  const context = await chrome.newContext();
  const page = await context.newPage();
  t.after(async () => { await context.close(); server.stop(); });
  seed(server.db);
  const code = issue(server.db, ADA).temporaryAccessPass;
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} ${(e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40)}`;
  });
  /** Presses Tab until the focused element matches, as a keyboard user would; fails if it never comes. */
  async function tabTo(pattern) {
    for (let i = 0; i < 40; i++) {
      if (pattern.test(await focused())) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`never reached ${pattern} by Tab; last focus: ${await focused()}`);
  }
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.match(await focused(), /^h1/, 'focus starts at the step heading');
  await tabTo(/^input#upn/);
  await page.keyboard.type(ADA);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Enter your Temporary Access Pass' }).waitFor();
  assert.match(await focused(), /^h1/, 'focus moves to the new heading');
  await tabTo(/^input#pass/);
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await tabTo(/^button Add an authenticator app/);
  await page.keyboard.press('Enter');
  await page.locator('svg.qr').waitFor();
  assert.match(await focused(), /^h2#add-heading/, 'focus moves into the panel');
  await tabTo(/^summary Can't scan/);
  await page.keyboard.press('Enter');
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  await tabTo(/^input#totp-code/);
  await page.keyboard.type(totp(secret));
  await page.keyboard.press('Enter');
  await page.locator('.success').getByText('Authenticator app “Authenticator app” was added.').waitFor();
  const focusStyle = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(focusStyle, undefined);
});
