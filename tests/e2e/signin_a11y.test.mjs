// The sign-in page for other applications under axe-core (WCAG 2.0/2.1/2.2
// A and AA) in every variant the app is checked in, for a person who has
// every method: the account step, the passkey step with the other ways
// listed, the authenticator-app code, the recovery code, a code sent by
// text (before and after sending), by call and by email, the pass, a refused
// pass, the consent screen and an expired request; screenshots in
// target/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { check, variants } from './axe.mjs';
import { browser, startServerOn, cli, issue, signIn, authenticators, api, totp, ADA } from './helpers.mjs';

const sentences = (lang) => JSON.parse(readFileSync(resolve(import.meta.dirname, `../../locales/signin/${lang}.json`), 'utf8'));

let chrome, server, client, kiosk;
before(async () => {
  chrome = await browser();
  const started = await startServerOn((port) => [
    '--addr', `127.0.0.1:${port}`, '--public-origin', `http://localhost:${port}`, '--sign-in-codes', '--recovery-codes',
    // Every variant sends one text: more than an hour's allowance.
    '--sends-per-destination', '100', '--sends-per-user', '100',
  ]);
  server = started.server;
  server.url = `http://localhost:${started.port}`;
  cli(server.db, 'policy', 'set', '--enabled', 'true');
  cli(server.db, 'user', 'add', ADA, '--name', 'Ada Lovelace');
  client = JSON.parse(cli(server.db, 'client', 'add', 'Wiki', '--redirect-uri', 'http://localhost:9/cb', '--consent', '--json'));
  kiosk = JSON.parse(cli(server.db, 'client', 'add', 'Kiosk', '--redirect-uri', 'http://127.0.0.1/cb', '--device', '--public', '--json'));
  await registerEveryMethod();
});

/** Ada registers a passkey, an authenticator app, a phone, an email
 * address and recovery codes, so the sign-in page offers every way. */
async function registerEveryMethod() {
  const context = await chrome.newContext();
  try {
    const page = await context.newPage();
    await authenticators(context, page);
    await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
    await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Laptop');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.success').getByText('was added').waitFor();
    const app = await api(page, 'POST', '/api/v1/methods/authenticator/start');
    const added = await api(page, 'POST', '/api/v1/methods/authenticator/finish', { id: app.body.id, name: 'Phone app', code: totp(app.body.secret) });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const sentCode = (to) => JSON.parse(cli(server.db, 'outbox', '--json')).find((m) => m.to === to).body.match(/code is (\d{6})/)[1];
    const phone = await api(page, 'POST', '/api/v1/methods/phone/start', { kind: 'phone', number: '+44 20 7946 0958', channel: 'text' });
    assert.equal(phone.status, 200, JSON.stringify(phone.body));
    assert.equal((await api(page, 'POST', '/api/v1/methods/verify', { id: phone.body.id, code: sentCode('+442079460958') })).status, 201);
    const email = await api(page, 'POST', '/api/v1/methods/email/start', { address: 'ada.private@example.org' });
    assert.equal(email.status, 200, JSON.stringify(email.body));
    assert.equal((await api(page, 'POST', '/api/v1/methods/verify', { id: email.body.id, code: sentCode('ada.private@example.org') })).status, 201);
    const codes = await api(page, 'POST', '/api/v1/methods/recovery-codes');
    assert.ok(codes.status < 300, JSON.stringify(codes.body));
  } finally {
    await context.close();
  }
}
after(async () => { await chrome.close(); server.stop(); });

/** Opens a fresh authorization request's sign-in page in `page`: the
 * browser makes the request itself, since a request continues only in the
 * browser that made it. */
async function openRequest(page, lang) {
  const url = new URL(`${server.url}/oauth2/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: 'http://localhost:9/cb', scope: 'openid', state: 's' })) url.searchParams.set(k, v);
  await page.goto(url.href);
  await page.goto(`${page.url()}&lng=${lang}`);
}

for (const variant of variants) {
  test(`the sign-in page passes axe (${variant.name})`, async (t) => {
    const context = await chrome.newContext(variant.options);
    t.after(() => context.close());
    const page = await context.newPage();
    const S = sentences(variant.lang);
    const v = `signin-${variant.name}`;

    await openRequest(page, variant.lang);
    await page.locator('#upn').waitFor();
    assert.equal(await page.locator('html').getAttribute('dir'), variant.lang === 'ar' ? 'rtl' : 'ltr');
    await check(page, v, 'account');

    await page.locator('#upn').fill(ADA);
    await page.locator('form button[type=submit]').click();
    // The first way is the passkey, with every other way listed under it.
    await page.getByRole('heading', { name: S.SGN_OTHER_WAYS }).waitFor();
    const ways = page.locator('ul.ways button');
    const offered = await ways.allInnerTexts();
    assert.deepEqual(
      [...offered].sort(),
      [S.SGN_WAY_CODE, S.SGN_WAY_PASS, S.SGN_WAY_RECOVERY, S.SGN_WAY_TEXT, S.SGN_WAY_CALL, S.SGN_WAY_EMAIL].sort(),
      'every way but the passkey is listed',
    );
    await check(page, v, 'way');

    const way = async (name, ready, step) => {
      await page.locator('ul.ways').getByRole('button', { name, exact: true }).click();
      await ready().waitFor();
      await check(page, v, step);
    };
    await way(S.SGN_WAY_CODE, () => page.locator('#code'), 'way-code');
    await way(S.SGN_WAY_RECOVERY, () => page.locator('#recovery'), 'way-recovery');
    await way(S.SGN_WAY_CALL, () => page.getByRole('button', { name: S.SGN_SEND }), 'way-call');
    await way(S.SGN_WAY_EMAIL, () => page.getByRole('button', { name: S.SGN_SEND }), 'way-email');
    await way(S.SGN_WAY_TEXT, () => page.getByRole('button', { name: S.SGN_SEND }), 'way-text');
    await page.getByRole('button', { name: S.SGN_SEND }).click();
    await page.locator('p[role=status]').filter({ hasText: /•/ }).waitFor();
    await check(page, v, 'way-text-sent');

    await page.locator('ul.ways').getByRole('button', { name: S.SGN_WAY_PASS, exact: true }).click();
    await page.locator('#pass').waitFor();
    await check(page, v, 'way-pass');
    await page.locator('#pass').fill('ZZZZZZZZ');
    await page.locator('form button[type=submit]').click();
    await page.locator('#signin-error:not([hidden])').waitFor();
    await check(page, v, 'refused');

    await page.locator('#pass').fill(issue(server.db, ADA).temporaryAccessPass);
    await page.locator('form button[type=submit]').click();
    await page.getByRole('button', { name: S.SGN_CONSENT_ALLOW }).waitFor();
    await check(page, v, 'consent');

    await page.goto(`${server.url}/signin?request=00000000000000000000000000000000&lng=${variant.lang}`);
    await page.getByText(S.SGN_NO_REQUEST).waitFor();
    await check(page, v, 'expired');

    // A device's code: typed (a wrong one first), then approved.
    await page.goto(`${server.url}/device?lng=${variant.lang}`);
    await page.locator('#user-code').waitFor();
    await check(page, v, 'device');
    await page.locator('#user-code').fill('BCDF-GHJK');
    await page.locator('form button[type=submit]').click();
    await page.locator('#device-error:not([hidden])').getByText(S.SGN_DEVICE_UNKNOWN).waitFor();
    await check(page, v, 'device-unknown');
    const started = await fetch(`${server.url}/oauth2/device_authorization`, {
      method: 'POST', body: new URLSearchParams({ client_id: kiosk.client_id, scope: 'openid' }),
    }).then((r) => r.json());
    await page.goto(`${server.url}/device?user_code=${started.user_code}&lng=${variant.lang}`);
    await page.locator('form button[type=submit]').click();
    await page.getByRole('button', { name: S.SGN_DEVICE_ALLOW }).waitFor();
    await check(page, v, 'device-consent');
    await page.getByRole('button', { name: S.SGN_DEVICE_ALLOW }).click();
    await page.getByText(S.SGN_DEVICE_APPROVED).waitFor();
    await check(page, v, 'device-approved');
  });
}
