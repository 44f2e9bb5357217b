// The sign-in page for other applications under axe-core (WCAG 2.0/2.1/2.2
// A and AA) in every variant the app is checked in: the account step, the
// passkey step with the other ways listed, a refused code, the consent
// screen and an expired request; screenshots in target/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { check, variants } from './axe.mjs';
import { browser, startServer, cli, freePort, issue, ADA } from './helpers.mjs';

const sentences = (lang) => JSON.parse(readFileSync(resolve(import.meta.dirname, `../../locales/signin/${lang}.json`), 'utf8'));

let chrome, server, client;
before(async () => {
  chrome = await browser();
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  server = await startServer(['--addr', `127.0.0.1:${port}`, '--public-origin', issuer], { addr: true });
  server.url = issuer;
  cli(server.db, 'policy', 'set', '--enabled', 'true');
  cli(server.db, 'user', 'add', ADA, '--name', 'Ada Lovelace');
  client = JSON.parse(cli(server.db, 'client', 'add', 'Wiki', '--redirect-uri', 'http://localhost:9/cb', '--consent', '--json'));
});
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
    await page.getByRole('button', { name: S.SGN_WAY_PASS }).or(page.locator('#pass')).first().waitFor();
    await check(page, v, 'way');

    if (await page.locator('#pass').count() === 0) await page.getByRole('button', { name: S.SGN_WAY_PASS }).click();
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
  });
}
