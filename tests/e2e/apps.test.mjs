// Applications leaning on tapin after the sign-in, each with a real peer:
// - single sign-on to an application on another site (tapin on localhost,
//   the `openid-client` application on 127.0.0.1), followed through the
//   application's own links in Chromium;
// - Debian's Apache with mod_auth_openidc refreshing its tokens and
//   registered for back-channel logout: "sign out everywhere" in tapin ends
//   its session, and a disabled person's refresh is refused;
// - `openid-client`'s device authorization grant (RFC 8628) while the
//   browser approves the code; denial and expiry as the RFC says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startServerOn, cli, issue, freePort, browser, signIn, waitUntil, ADA } from './helpers.mjs';
import { startRelyingParty } from './rp.mjs';
import { startApache } from './apache.mjs';

let server, issuer, board, chrome, moveClock;

/** The audit trail's events (`tapin audit --json` writes one per line). */
const auditEvents = () => cli(server.db, 'audit', '--json').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

before(async () => {
  const clock = join(mkdtempSync(join(tmpdir(), 'tapin-clock-')), 'clock');
  writeFileSync(clock, '0');
  moveClock = (s) => writeFileSync(clock, String(s));
  const started = await startServerOn((port) => ['--addr', `127.0.0.1:${port}`, '--public-origin', `http://localhost:${port}`, '--test-clock-file', clock]);
  server = started.server;
  issuer = `http://localhost:${started.port}`;
  cli(server.db, 'policy', 'set', '--enabled', 'true', '--max-lifetime', '480');
  cli(server.db, 'user', 'add', ADA, '--name', 'Ada Lovelace');
  // The board: an application on another site (127.0.0.1 is not localhost's site).
  const boardPort = await freePort();
  const client = JSON.parse(cli(server.db, 'client', 'add', 'Board', '--redirect-uri', `http://127.0.0.1:${boardPort}/cb`, '--json'));
  board = await startRelyingParty({ issuer, client, port: boardPort, host: '127.0.0.1' });
  chrome = await browser();
});
after(async () => {
  await chrome?.close();
  board?.close();
  server?.stop();
});

/** Every address the page's main frame shows, from now on. */
function shown(page) {
  const seen = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) seen.push(f.url()); });
  return seen;
}

test('an application on another site gets a code with no tapin page after one sign-in, and prompt=none works', async () => {
  const context = await chrome.newContext();
  const page = await context.newPage();
  await signIn(page, issuer, ADA, issue(server.db, ADA).temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  // At the board (another site), through its own links only.
  await page.goto(board.url);
  const seen = shown(page);
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.locator('#claims').waitFor();
  const claims = JSON.parse(await page.locator('#claims').innerText());
  assert.equal(claims.preferred_username, ADA);
  const pages = seen.filter((u) => u.startsWith(issuer));
  assert.deepEqual(pages, [], `no tapin page was shown: ${seen.join(' → ')}`);
  // prompt=none, again by the board's link: a code, not login_required.
  await page.getByRole('link', { name: 'Log out' }).waitFor();
  await page.context().clearCookies({ domain: '127.0.0.1' });
  await page.goto(board.url);
  await page.getByRole('link', { name: 'Sign in without a page' }).click();
  await page.locator('#claims').waitFor();
  // The Lax cookie opens nothing else: another site's POST cannot sign Ada out.
  await page.evaluate((to) => fetch(`${to}/api/v1/signout`, { method: 'POST', credentials: 'include', mode: 'no-cors' }), issuer);
  const session = await page.evaluate((to) => fetch(`${to}/api/v1/session`, { credentials: 'include' }).then((r) => r.status).catch(() => 'blocked'), issuer);
  assert.equal(session, 'blocked', 'and cannot read tapin either (no CORS for the app API)');
  const still = await context.request.get(`${issuer}/api/v1/session`);
  assert.equal(still.status(), 200, 'Ada is still signed in to tapin');
  await context.close();
});

test('Apache refreshes its tokens; sign out everywhere ends its session by back channel; a disabled person cannot refresh', async () => {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const client = JSON.parse(cli(server.db, 'client', 'add', 'Intranet', '--redirect-uri', `${base}/protected/redirect_uri`,
    '--post-logout-uri', `${base}/bye.html`, '--backchannel-logout-uri', `${base}/protected/redirect_uri?logout=backchannel`, '--json'));
  // This one hears of logouts only by its back channel (it never refreshes).
  const apache = await startApache({ issuer, client, port });
  const context = await chrome.newContext();
  const page = await context.newPage();
  let quiet;
  const signInAtIntranet = async (at = apache) => {
    await page.goto(`${at.url}/protected/index.shtml`);
    await page.getByLabel('Account name').fill(ADA);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Temporary Access Pass').fill(issue(server.db, ADA).temporaryAccessPass);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#sub').waitFor();
  };
  // The application ends its session a moment after it is told (its
  // handler verifies the token first): asked again until it asks to sign in.
  const asksToSignIn = (at = apache) => waitUntil('the application asks to sign in again', async () => {
    await page.goto(`${at.url}/protected/index.shtml`);
    const heading = page.getByRole('heading', { name: 'Sign in', level: 1 });
    await heading.or(page.locator('#sub')).first().waitFor();
    return heading.isVisible();
  }, 15000);
  try {
    await signInAtIntranet();
    // Sign out everywhere, in tapin's own security info: the intranet is told.
    const told = () => (apache.log().match(/oidc_handle_logout_backchannel: enter/g) ?? []).length;
    const before = told();
    await page.goto(`${issuer}/security-info`);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/security-info'));
    await waitUntil('the intranet was told by back channel', () => told() > before);
    await asksToSignIn();
    // An intranet that refreshes its tokens and has no back channel: signed
    // in to, it refreshes; then Ada is disabled, and its next refresh is
    // refused, which ends its session.
    const quietPort = await freePort();
    const quietBase = `http://localhost:${quietPort}`;
    const quietClient = JSON.parse(cli(server.db, 'client', 'add', 'Intranet', '--redirect-uri', `${quietBase}/protected/redirect_uri`, '--json'));
    quiet = await startApache({ issuer, client: quietClient, port: quietPort, refresh: true });
    await signInAtIntranet(quiet);
    // Past a second the next request refreshes (and the refresh succeeds).
    await new Promise((ok) => setTimeout(ok, 1500));
    await page.reload();
    await page.locator('#sub').waitFor();
    assert.match(quiet.log(), /grant_type=refresh_token/, 'it refreshed');
    await new Promise((ok) => setTimeout(ok, 1500));
    cli(server.db, 'user', 'disable', ADA);
    await page.goto(`${quiet.url}/protected/index.shtml`);
    assert.equal(await page.locator('#sub').count(), 0, 'the protected page is not shown');
    assert.match(quiet.log(), /access_token could not be refreshed/);
    await asksToSignIn(quiet);
    cli(server.db, 'user', 'enable', ADA);
    assert.ok(auditEvents().some((e) => e.event === 'user_disabled'));
  } catch (e) {
    console.log(apache.log().split('\n').filter((l) => !/debug/.test(l)).join('\n'));
    console.log(cli(server.db, 'outbox', '--json'));
    console.log(auditEvents().map((a) => `${a.event} ${a.detail}`).join('\n'));
    throw e;
  } finally {
    apache.close();
    quiet?.close();
    await context.close();
  }
});

test('a device signs in with the device authorization grant while the browser approves its code; denial and expiry answer as RFC 8628 says', async () => {
  const client = JSON.parse(cli(server.db, 'client', 'add', 'Kiosk', '--redirect-uri', 'http://127.0.0.1/unused', '--device', '--json'));
  const config = await oidc.discovery(new URL(issuer), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const context = await chrome.newContext();
  const page = await context.newPage();
  const answer = async (code, button) => {
    await page.goto(code.verification_uri_complete);
    await page.getByRole('heading', { name: 'Sign in on a device', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Code from the device').inputValue(), code.user_code);
    await page.getByRole('button', { name: 'Next' }).click();
    const account = page.getByLabel('Account name');
    const consent = page.getByRole('button', { name: button });
    await account.or(consent).first().waitFor();
    if (await account.isVisible()) {
      await account.fill(ADA);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Temporary Access Pass').fill(issue(server.db, ADA).temporaryAccessPass);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByText('Sign in to Kiosk on the device that showed you this code?').waitFor();
    await consent.click();
  };
  try {
    // Three devices at once: one approved, one refused, one left to expire.
    const code = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile' });
    const refused = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    assert.match(code.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const polled = oidc.pollDeviceAuthorizationGrant(config, code);
    const denied = oidc.pollDeviceAuthorizationGrant(config, refused).then(() => 'tokens', (e) => e.error);
    await answer(code, 'Sign in on the device');
    await page.getByText('Done: the device is signing in.').waitFor();
    await answer(refused, "Don't sign in");
    await page.getByText('Nothing was signed in.').waitFor();
    const tokens = await polled;
    assert.equal(tokens.claims().preferred_username, ADA);
    assert.ok(tokens.refresh_token);
    assert.equal(await denied, 'access_denied');
    const kinds = auditEvents().map((e) => e.event);
    assert.ok(kinds.includes('oidc_device_code_issued') && kinds.includes('oidc_device_approved') && kinds.includes('oidc_device_denied'));

    const late = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const expired = oidc.pollDeviceAuthorizationGrant(config, late).then(() => 'tokens', (e) => e.error);
    moveClock(11 * 60);
    assert.equal(await expired, 'expired_token');
    moveClock(0);
  } finally {
    await context.close();
  }
});
