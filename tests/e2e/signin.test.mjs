// Pass sign-in end to end in Chromium: the happy path and every outcome's message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, issue, browser, signIn, freshFor, seed, cookieHeader, replay } from './helpers.mjs';

let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

const fresh = (t, serverArgs) => freshFor(chrome, t, serverArgs);

test('a pass issued with the CLI signs the user in to security info, which survives a reload', async (t) => {
  const { server, page } = await fresh(t);
  const { temporaryAccessPass } = issue(server.db, 'ada@contoso.com');
  await signIn(page, server.url, 'ada@contoso.com', temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  assert.match(await page.locator('.facts').innerText(), /Ada Lovelace \(ada@contoso\.com\)/);
  assert.equal(await page.getByText('You have no sign-in methods yet', { exact: false }).count(), 1);
  assert.equal(await page.locator('.countdown').count(), 0, 'a multi-use pass has no passwordless countdown');
  await page.reload();
  await page.getByText('Ada Lovelace').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
});

/** Holds every request for the app's WebAssembly until `release()` is called. */
async function holdWasm(page) {
  let release;
  const held = new Promise((ok) => { release = ok; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  return release;
}

test('the account step works before the app has loaded, and a Next pressed early is carried out', async (t) => {
  const { server, page } = await fresh(t);
  const release = await holdWasm(page);
  await page.goto(server.url);
  await page.getByLabel('Account name').fill('ada@contoso.com');
  await page.getByRole('button', { name: 'Next' }).click();
  // Still the page as served: nothing typed has gone anywhere yet.
  assert.equal(await page.locator('#boot-form[data-continue]').count(), 1);
  assert.equal(await page.getByLabel('Account name').inputValue(), 'ada@contoso.com');
  release();
  await page.getByRole('heading', { name: 'Enter your Temporary Access Pass' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Account name').inputValue(), 'ada@contoso.com');
});

test('someone still typing when the app arrives keeps their text and their cursor', async (t) => {
  const { server, page } = await fresh(t);
  const release = await holdWasm(page);
  await page.goto(`${server.url}/?lng=de`);
  await page.getByLabel('Kontoname').waitFor();
  await page.getByLabel('Kontoname').pressSequentially('ada@con');
  release();
  await page.locator('#boot').waitFor({ state: 'detached' });
  await page.keyboard.type('toso.com');
  assert.equal(await page.getByLabel('Kontoname').inputValue(), 'ada@contoso.com');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'upn');
});

test('a pasted pass with dashes, spaces and lower case still signs in', async (t) => {
  const { server, page } = await fresh(t);
  const code = issue(server.db, 'ada@contoso.com').temporaryAccessPass;
  await signIn(page, server.url, ' Ada@Contoso.com ', `${code.slice(0, 4).toLowerCase()} - ${code.slice(4)}`);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
});

test('the back button returns from the pass step to the account step', async (t) => {
  const { server, page } = await fresh(t);
  await page.goto(server.url);
  await page.getByLabel('Account name').fill('ada@contoso.com');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Enter your Temporary Access Pass' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Account name').inputValue(), 'ada@contoso.com');
});

test('a malformed account name is explained as it is typed and does not advance', async (t) => {
  const { server, page } = await fresh(t);
  await page.goto(server.url);
  await page.getByLabel('Account name').fill('ada');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Enter your account name as name@domain').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
});

test('a one-time pass shows a 10-minute countdown from the server clock, even with a skewed client clock and after a reload', async (t) => {
  const { server, page } = await fresh(t);
  const code = issue(server.db, 'ada@contoso.com', '--one-time').temporaryAccessPass;
  // The client's clock is an hour fast; the countdown must not care.
  await page.clock.install({ time: new Date(Date.now() + 3600 * 1000) });
  await signIn(page, server.url, 'ada@contoso.com', code);
  const clock = page.locator('.countdown .clock');
  await clock.waitFor();
  assert.match(await clock.innerText(), /^(10:00|9:[0-5]\d)$/);
  assert.match(await page.locator('.countdown [aria-live="polite"]').innerText(), /10 minutes left|9 minutes left/);
  await page.reload();
  await clock.waitFor();
  assert.match(await clock.innerText(), /^(10:00|9:[0-5]\d)$/);
});

test('when the passwordless window has run out the countdown closes with an explanation', async (t) => {
  const { server, page } = await fresh(t, ['--passwordless-window-seconds', '2']);
  const code = issue(server.db, 'ada@contoso.com', '--one-time').temporaryAccessPass;
  await signIn(page, server.url, 'ada@contoso.com', code);
  await page.getByText('The time to add a passkey or security key has ended').waitFor({ timeout: 10000 });
  assert.equal(await page.locator('.countdown .clock').innerText(), '0:00');
});

test('sign out ends the session, for a copy of its cookie too', async (t) => {
  const { server, page } = await fresh(t);
  const code = issue(server.db, 'ada@contoso.com').temporaryAccessPass;
  await signIn(page, server.url, 'ada@contoso.com', code);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const copied = await cookieHeader(page.context(), server.url);
  assert.equal((await replay(server.url, copied))[0], 200, 'the copy works while signed in');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.goto(`${server.url}/security-info`);
  await page.getByText('You are not signed in').waitFor();
  assert.deepEqual(await replay(server.url, copied), [401, 401], 'the old cookie opens nothing');
});

const outcomes = [
  ['a wrong pass', async (db) => { issue(db, 'ada@contoso.com'); return 'ZZZZZZZZ'; },
    /account name or Temporary Access Pass isn't right.*Ask your administrator for a Temporary Access Pass/],
  ['an unknown user', async () => 'ZZZZZZZZ',
    /account name or Temporary Access Pass isn't right/, 'nobody@contoso.com'],
  ['an expired pass', async (db) => issue(db, 'ada@contoso.com', '--start', new Date(Date.now() - 3 * 3600e3).toISOString(), '--lifetime', '60').temporaryAccessPass,
    /This Temporary Access Pass expired on .+\. Ask your administrator/],
  ['a not-yet-valid pass', async (db) => issue(db, 'ada@contoso.com', '--start', new Date(Date.now() + 24 * 3600e3).toISOString()).temporaryAccessPass,
    /isn't valid yet\. You can use it from .+/],
  ['an out-of-scope user', async (db) => {
    const code = issue(db, 'ada@contoso.com').temporaryAccessPass;
    cli(db, 'policy', 'set', '--exclude', 'group:staff');
    return code;
  }, /Temporary Access Pass sign in was blocked due to User Credential Policy/],
];

for (const [what, prepare, message, upn = 'ada@contoso.com'] of outcomes) {
  test(`${what} shows its own message`, async (t) => {
    const { server, page } = await fresh(t);
    const code = await prepare(server.db);
    await signIn(page, server.url, upn, code);
    const alert = page.locator('#signin-error');
    await alert.waitFor();
    assert.match(await alert.innerText(), message);
    assert.equal(new URL(page.url()).pathname, '/pass');
  });
}

test('a used one-time pass says when it was used', async (t) => {
  const { server, page } = await fresh(t);
  const code = issue(server.db, 'ada@contoso.com', '--one-time').temporaryAccessPass;
  const first = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass: code }),
  });
  assert.equal(first.status, 200);
  await signIn(page, server.url, 'ada@contoso.com', code);
  await page.locator('#signin-error').waitFor();
  assert.match(await page.locator('#signin-error').innerText(), /already used on .+/);
});

test('times are written the way the browser\'s region writes them, with the time zone', async (t) => {
  const server = await startServer();
  seed(server.db);
  const context = await chrome.newContext({ locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  t.after(async () => { await context.close(); server.stop(); });
  const code = issue(server.db, 'ada@contoso.com', '--one-time').temporaryAccessPass;
  const first = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass: code }),
  });
  assert.equal(first.status, 200);
  await signIn(page, server.url, 'ada@contoso.com', code);
  await page.locator('#signin-error').waitFor();
  const said = await page.locator('#signin-error').innerText();
  // en-GB: day before month, 24-hour clock; and the zone is named.
  assert.match(said, /\b\d{1,2} [A-Z][a-z]{2},? \d{2}:\d{2}\b/);
  assert.doesNotMatch(said, /\b(AM|PM)\b/);
  assert.match(said, /CET|CEST|GMT\+[12]/);
});

test('too many wrong passes lock the account and say when to retry', async (t) => {
  const { server, page } = await fresh(t, ['--account-lockout', '3']);
  issue(server.db, 'ada@contoso.com');
  await signIn(page, server.url, 'ada@contoso.com', 'ZZZZZZZZ');
  for (let i = 0; i < 3; i++) {
    await page.locator('#signin-error').waitFor();
    const answered = page.waitForResponse('**/api/v1/signin/pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await answered;
  }
  await page.getByText(/Too many attempts, so sign-in is locked for now\. Try again after .+/).waitFor();
});

test('when tapin is at capacity the pass step says it is busy and to retry in a few seconds, in every language', async (t) => {
  // One hashing thread and no queue; a real flood of sign-ins keeps it busy.
  const { server, page } = await fresh(t, ['--hash-workers', '1', '--hash-queue', '0']);
  const { temporaryAccessPass } = issue(server.db, 'ada@contoso.com');
  let flooding = true;
  const signInOnce = () => fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass: temporaryAccessPass }),
  }).then((r) => r.status, () => 0);
  const flood = Promise.all(Array.from({ length: 6 }, async () => { while (flooding) await signInOnce(); }));
  t.after(async () => { flooding = false; await flood; });
  for (const [lng, busy] of [
    ['en', /tapin is busy right now\. Wait a few seconds, then try again\./],
    ['de', /tapin ist gerade ausgelastet\. Warten Sie ein paar Sekunden/],
    ['ar', /tapin مشغول الآن\. انتظر بضع ثوانٍ ثم حاول مرة أخرى\./],
  ]) {
    await page.goto(`${server.url}/?lng=${lng}`);
    await page.locator('#upn').fill('ada@contoso.com');
    await page.locator('#upn').press('Enter');
    await page.locator('#pass').fill('ZZZZZZZZ');
    let refused = false;
    for (let i = 0; i < 4 && !refused; i++) {
      const answered = page.waitForResponse('**/api/v1/signin/pass');
      await page.locator('#pass').press('Enter');
      const res = await answered;
      refused = res.status() === 503;
      if (refused) assert.equal(res.headers()['retry-after'], '2');
    }
    assert.ok(refused, 'the flood kept the only hashing thread busy');
    await page.locator('#signin-error').getByText(busy).waitFor();
  }
});

test('with WebAssembly disabled (V8 jitless, as in enhanced security modes) the page explains what to do instead of going blank', async () => {
  const server = await startServer();
  const noWasm = await browser(['--js-flags=--jitless']);
  try {
    const page = await noWasm.newPage();
    await page.goto(server.url);
    await page.getByText("This page can't start because your browser blocked WebAssembly.").waitFor();
    assert.match(await page.locator('#boot-blocked').innerText(), /add this site as an exception/);
    // In Arabic too, right to left.
    await page.goto(`${server.url}/?lng=ar`);
    await page.getByText('لا يمكن تشغيل هذه الصفحة لأن متصفحك حظر WebAssembly.').waitFor();
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
  } finally {
    await noWasm.close();
    server.stop();
  }
});

test('?lng= picks German or Arabic (mirrored), the choice survives the move to security info, and dates follow it', async (t) => {
  const { server, page } = await fresh(t);
  const code = issue(server.db, 'ada@contoso.com').temporaryAccessPass;
  await page.goto(`${server.url}/?lng=ar`);
  await page.getByRole('heading', { name: 'تسجيل الدخول', level: 1 }).waitFor();
  assert.deepEqual([await page.locator('html').getAttribute('lang'), await page.locator('html').getAttribute('dir')], ['ar', 'rtl']);
  const box = await page.locator('#upn').boundingBox();
  const label = await page.locator('label[for=upn]').boundingBox();
  assert.ok(label.x + label.width > box.x + box.width - 2, 'the label sits at the right edge, as Arabic reads');
  await page.getByLabel('اسم الحساب').fill('ada@contoso.com');
  await page.getByRole('button', { name: 'التالي' }).click();
  await page.getByLabel('تصريح الوصول المؤقت', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'تسجيل الدخول', exact: true }).click();
  await page.getByRole('heading', { name: 'معلومات الأمان', level: 1 }).waitFor();
  const ends = await page.locator('.facts dd').nth(1).innerText();
  assert.match(ends, /[\u0600-\u06FF]/, `the session end is written the Arabic way: ${ends}`);

  const german = await fresh(t);
  await german.page.goto(`${german.server.url}/?lng=de`);
  await german.page.getByRole('heading', { name: 'Anmelden', level: 1 }).waitFor();
  assert.equal(await german.page.locator('html').getAttribute('dir'), 'ltr');
});

test('without ?lng= the browser language decides, and an unknown one falls back to English', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  for (const [locale, heading] of [['de-AT', 'Anmelden'], ['ar-EG', 'تسجيل الدخول'], ['fr-FR', 'Sign in']]) {
    const context = await chrome.newContext({ locale });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  }
});
