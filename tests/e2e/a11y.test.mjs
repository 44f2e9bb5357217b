// Accessibility, themes and phone widths: axe-core (WCAG 2.0/2.1/2.2 A and
// AA) on every screen and state, English and Arabic, light and dark, phone
// widths, with a screenshot of each
// in target/screenshots; and sign-in plus a registration by keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { check, locale, variants } from './axe.mjs';
import { startServer, seed, issue, browser, cli, totp, ADA } from './helpers.mjs';


let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

for (const variant of variants) {
  test(`every screen and state passes axe (${variant.name})`, async (t) => {
    const server = await startServer(['--passwordless-window-seconds', '600']);
    const context = await chrome.newContext(variant.options);
    const page = await context.newPage();
    t.after(async () => { await context.close(); server.stop(); });
    seed(server.db);
    const code = issue(server.db, ADA, '--one-time').temporaryAccessPass;
    const v = variant.name;

    const L = locale(variant.lang);
    const button = (name) => page.getByRole('button', { name, exact: true });

    await page.goto(`${server.url}/?lng=${variant.lang}`);
    await page.getByRole('heading', { name: L.ACCOUNT_HEADING, level: 1 }).waitFor();
    assert.equal(await page.locator('html').getAttribute('dir'), variant.lang === 'ar' ? 'rtl' : 'ltr');
    await check(page, v, '1-account');
    await page.getByLabel(L.ACCOUNT_LABEL).fill('ada');
    await button(L.NEXT).click();
    await page.locator('#upn-error').waitFor();
    await check(page, v, '1-account-error');
    await page.getByLabel(L.ACCOUNT_LABEL).fill(ADA);
    await button(L.NEXT).click();
    await page.getByRole('heading', { name: L.PASS_HEADING }).waitFor();
    await check(page, v, '2-pass');
    await page.getByLabel(L.PASS_LABEL, { exact: true }).fill('0O1');
    await button(L.SIGN_IN).click();
    await page.locator('#pass-error').waitFor();
    await check(page, v, '2-pass-field-error');
    await page.getByLabel(L.PASS_LABEL, { exact: true }).fill('ZZZZZZZZ');
    await button(L.SIGN_IN).click();
    await page.locator('#signin-error').waitFor();
    await check(page, v, '2-pass-wrong');
    await page.getByLabel(L.PASS_LABEL, { exact: true }).fill(code);
    await button(L.SIGN_IN).click();
    await page.getByRole('heading', { name: L.INFO_HEADING, level: 1 }).waitFor();
    await page.locator('.countdown .clock').waitFor();
    await check(page, v, '3-security-info-countdown');

    for (const [key, state] of [['ADD_PASSKEY', 'add-passkey'], ['ADD_SECURITY_KEY', 'add-security-key'], ['ADD_EMAIL', 'add-email']]) {
      await button(L[key]).click();
      await page.locator('.panel').waitFor();
      await check(page, v, `3-${state}`);
      await button(L.CANCEL).click();
    }
    await button(L.ADD_AUTHENTICATOR).click();
    await page.locator('svg.qr').waitFor();
    await page.getByText(L.CANT_SCAN).click();
    await check(page, v, '3-add-authenticator');
    const secret = await page.locator('#totp-secret').getAttribute('data-secret');
    await button(L.VERIFY).click();
    await page.locator('#totp-code-error').waitFor();
    await check(page, v, '3-add-authenticator-errors');
    await page.locator('#totp-code').fill(totp(secret));
    await button(L.VERIFY).click();
    await page.locator('.success').waitFor();
    await check(page, v, '3-method-added');

    await button(L.ADD_PHONE).click();
    await page.locator('#phone-number').fill('12');
    await button(L.SEND_CODE).click();
    await page.locator('#phone-number-error').waitFor();
    await check(page, v, '3-add-phone-error');
    await page.locator('#phone-number').fill('+44 20 7946 0958');
    await button(L.SEND_CODE).click();
    await page.locator('#sent-code').waitFor();
    await page.locator('#sent-code').fill('000000' === cli(server.db, 'outbox').match(/code is (\d{6})/)?.[1] ? '111111' : '000000');
    await button(L.VERIFY).click();
    await page.locator('.panel .banner').filter({ hasText: /./ }).waitFor();
    await check(page, v, '3-code-wrong');
    await button(L.CANCEL).click();

    const app = page.locator('.method').first();
    await app.getByRole('button', { name: L.RENAME }).click();
    await check(page, v, '3-rename');
    await app.getByRole('button', { name: L.CANCEL }).click();
    await app.getByRole('button', { name: L.DELETE, exact: true }).click();
    await check(page, v, '3-confirm-delete');
    await app.getByRole('button', { name: L.CANCEL }).click();

    await page.goto(`${server.url}/passkey`);
    await page.getByRole('heading', { name: L.PASSKEY_HEADING, level: 1 }).waitFor();
    await check(page, v, '4-passkey-sign-in');
  });
}

/** A new context in `lang` and `scheme`, signed in with a fresh one-time pass. */
async function oneTimeSignIn(t, server, lang, scheme) {
  const L = locale(lang);
  const context = await chrome.newContext({ colorScheme: scheme });
  const page = await context.newPage();
  t.after(() => context.close());
  await page.goto(`${server.url}/?lng=${lang}`);
  await page.getByLabel(L.ACCOUNT_LABEL).fill(ADA);
  await page.getByRole('button', { name: L.NEXT, exact: true }).click();
  await page.getByLabel(L.PASS_LABEL, { exact: true }).fill(issue(server.db, ADA, '--one-time').temporaryAccessPass);
  await page.getByRole('button', { name: L.SIGN_IN, exact: true }).click();
  return { page, L };
}

test('the closed passwordless window and the registration wizard pass axe, English and Arabic, light and dark', async (t) => {
  const server = await startServer(['--passwordless-window-seconds', '2']);
  t.after(() => server.stop());
  seed(server.db);
  cli(server.db, 'policy', 'set', '--require-registration', 'true');
  for (const [lang, scheme] of [['en', 'light'], ['en', 'dark'], ['ar', 'light'], ['ar', 'dark']]) {
    const { page, L } = await oneTimeSignIn(t, server, lang, scheme);
    await page.getByRole('heading', { name: L.WIZARD_HEADING, level: 1 }).waitFor();
    await page.getByText(L.COUNTDOWN_CLOSED).waitFor({ timeout: 10000 });
    await check(page, lang === 'en' ? scheme : `${lang}-${scheme}`, '3-wizard-window-closed');
  }
});

test('the countdown in its last two minutes passes axe, English and Arabic, light and dark', async (t) => {
  const server = await startServer(['--passwordless-window-seconds', '110']);
  t.after(() => server.stop());
  seed(server.db);
  for (const [lang, scheme] of [['en', 'light'], ['en', 'dark'], ['ar', 'light'], ['ar', 'dark']]) {
    const { page, L } = await oneTimeSignIn(t, server, lang, scheme);
    await page.getByText(L.COUNTDOWN_WARNING).waitFor();
    await check(page, lang === 'en' ? scheme : `${lang}-${scheme}`, '3-countdown-warning');
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
  // The next stop of the keyboard shows where focus is: a solid ring.
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { element: document.activeElement.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.equal(ring.style, 'solid', JSON.stringify(ring));
  assert.ok(ring.width >= 2, JSON.stringify(ring));
});
