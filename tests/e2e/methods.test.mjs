// Registering and managing sign-in methods end to end in Chromium, with
// the DevTools virtual authenticators, the outbox, and a real SMTP listener.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cli, issue, browser, signIn, freshFor, totp, smtpListener, authenticators, api, cookieHeader, replay, waitUntil } from './helpers.mjs';

let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

const fresh = (t, serverArgs) => freshFor(chrome, t, serverArgs);
const ADA = 'ada@contoso.com';

async function securityInfo(page) {
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
}

async function methodTitles(page) {
  return page.locator('.methods .method-title').allInnerTexts();
}

test('one-time pass, then a passkey and a security key; signed out, the passkey alone signs in again', async (t) => {
  const { server, page, context } = await fresh(t);
  const keys = await authenticators(context, page);
  const code = issue(server.db, ADA, '--one-time').temporaryAccessPass;
  await signIn(page, server.url, ADA, code);
  await securityInfo(page);
  await page.getByText(/minutes? left|Time left/).first().waitFor();

  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByRole('heading', { name: 'Add a passkey', level: 2, exact: true }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Laptop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('Passkey “Laptop” was added.').waitFor();
  assert.equal((await keys.platform()).length, 1, 'the passkey lives on the platform authenticator');
  assert.equal((await keys.platform())[0].isResidentCredential, true, 'and is discoverable');

  await keys.useSecurityKey();
  await page.getByRole('button', { name: 'Add a security key' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Blue key');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('Security key “Blue key” was added.').waitFor();
  assert.equal((await keys.usb()).length, 1, 'the security key holds its own credential');
  assert.deepEqual(await methodTitles(page), ['Passkey “Laptop” Default', 'Security key “Blue key”']);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal((await api(page, 'GET', '/api/v1/session')).status, 401);

  // The one-time pass is spent; only the passkey can sign Ada in now.
  await keys.usePlatform();
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('heading', { name: 'Sign in with a passkey', level: 1 }).waitFor();
  assert.equal(await page.locator('.progress [aria-current=step]').innerText(), 'Passkey');
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await securityInfo(page);
  await page.getByText('Ada Lovelace').waitFor();
  assert.equal(await page.locator('.countdown').count(), 0, 'no pass, no passwordless window');
  const laptop = page.locator('.method', { hasText: 'Laptop' });
  await laptop.locator('.meta').filter({ hasNotText: 'last used never' }).waitFor();
  const audit = cli(server.db, 'audit', '--user', ADA);
  assert.match(audit, /pass_sign_in[\s\S]*method_added[\s\S]*method_added[\s\S]*passkey_sign_in/);
});

test('the add panel is fetched on first use: without it the page works, says so when it cannot come, and tries again', async (t) => {
  const { server, page, context } = await fresh(t);
  await authenticators(context, page);
  // The split-off modules (cargo xtask build) cannot be fetched: a dropped connection.
  const lazy = '**/*-lazy-*.wasm';
  let refused = 0;
  await page.route(lazy, (route) => { refused += 1; return route.abort('internetdisconnected'); });
  await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await securityInfo(page);
  await page.getByText('Ada Lovelace').waitFor();
  await waitUntil('the page fetching the add panel once it has its data', async () => refused > 0);

  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'This part of the page could not be loaded' });
  await alert.waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Add a passkey', level: 2 }).count(), 0);
  // The rest of the page still works.
  assert.ok(await page.getByRole('button', { name: 'Sign out', exact: true }).isEnabled());

  await page.unroute(lazy);
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'Add a passkey', level: 2, exact: true }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Laptop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('Passkey “Laptop” was added.').waitFor();
});

test('a browser without WebAuthn\'s JSON helpers still registers a passkey and signs in with it', async (t) => {
  const { server, page, context } = await fresh(t);
  // As in browsers from before PublicKeyCredential.parse*FromJSON and toJSON().
  await context.addInitScript(() => {
    delete PublicKeyCredential.parseCreationOptionsFromJSON;
    delete PublicKeyCredential.parseRequestOptionsFromJSON;
    delete PublicKeyCredential.prototype.toJSON;
  });
  const keys = await authenticators(context, page);
  await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await securityInfo(page);
  assert.equal(await page.evaluate(() => typeof PublicKeyCredential.parseCreationOptionsFromJSON), 'undefined');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Old laptop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('Passkey “Old laptop” was added.').waitFor();
  assert.equal((await keys.platform()).length, 1);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await securityInfo(page);
  await page.getByText('Ada Lovelace').waitFor();
});

test('after the passwordless window the app has closed passkeys, and the API refuses them', async (t) => {
  const { server, page } = await fresh(t, ['--passwordless-window-seconds', '3']);
  const code = issue(server.db, ADA, '--one-time').temporaryAccessPass;
  await signIn(page, server.url, ADA, code);
  await securityInfo(page);
  await page.getByText('The time to add a passkey or security key has ended').waitFor({ timeout: 10000 });
  for (const name of ['Add a passkey', 'Add a security key']) {
    assert.equal(await page.getByRole('button', { name }).isDisabled(), true, `${name} is closed`);
  }
  await page.locator('#add-passkey-note').getByText('No longer available in this session').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Add an authenticator app' }).isDisabled(), false);
  for (const kind of ['passkey', 'security_key']) {
    const res = await api(page, 'POST', '/api/v1/methods/webauthn/start', { kind });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'passwordless_window_closed');
  }
  assert.deepEqual((await api(page, 'GET', '/api/v1/methods')).body.methods, []);
});

test('a replayed or foreign-origin WebAuthn response is refused and changes nothing', async (t) => {
  const { server, page, context } = await fresh(t);
  const keys = await authenticators(context, page);
  await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await securityInfo(page);

  let captured;
  await page.route('**/api/v1/methods/webauthn/finish', async (route) => {
    captured = route.request().postDataJSON();
    await route.continue();
  });
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Laptop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('Passkey “Laptop” was added.').waitFor();

  const replay = await api(page, 'POST', '/api/v1/methods/webauthn/finish', captured);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.code, 'webauthn_failed');

  // The next response claims to come from another site.
  await page.unroute('**/api/v1/methods/webauthn/finish');
  await page.route('**/api/v1/methods/webauthn/finish', async (route) => {
    const body = route.request().postDataJSON();
    const client = JSON.parse(Buffer.from(body.credential.response.clientDataJSON, 'base64url'));
    client.origin = 'https://evil.example';
    body.credential.response.clientDataJSON = Buffer.from(JSON.stringify(client)).toString('base64url');
    await route.continue({ postData: JSON.stringify(body) });
  });
  await keys.useSecurityKey();
  await page.getByRole('button', { name: 'Add a security key' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Evil key');
  const answer = page.waitForResponse('**/api/v1/methods/webauthn/finish');
  await page.getByRole('button', { name: 'Continue' }).click();
  const res = await answer;
  assert.equal(res.status(), 400);
  assert.equal((await res.json()).code, 'webauthn_failed');
  await page.getByText('Your passkey or security key could not be verified').waitFor();
  const methods = (await api(page, 'GET', '/api/v1/methods')).body.methods;
  assert.deepEqual(methods.map((m) => m.name), ['Laptop']);
});

test('authenticator app, phone and email, then rename, default, delete and sign out everywhere', async (t) => {
  const smtp = await smtpListener();
  t.after(() => smtp.close());
  const { server, page } = await fresh(t, ['--smtp-url', smtp.url]);
  const code = issue(server.db, ADA).temporaryAccessPass;
  await signIn(page, server.url, ADA, code);
  await securityInfo(page);

  // Authenticator app: the test is the app, computing the code from the "can't scan" key.
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  await page.getByText("Can't scan?").click();
  const secret = await page.locator('#totp-secret').getAttribute('data-secret');
  assert.equal((await page.locator('#totp-secret').innerText()).replace(/ /g, ''), secret);
  await page.locator('svg.qr').waitFor();
  await page.getByLabel('Code', { exact: true }).fill('000000' === totp(secret) ? '111111' : '000000');
  await page.getByLabel('Name', { exact: true }).fill('Phone app');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText("That code isn't right. Check it and try again: 4 tries left.").waitFor();
  await page.getByLabel('Code', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.success').getByText('Authenticator app “Phone app” was added.').waitFor();

  // Four more reach the limit of five; the sixth is refused by the app and the API.
  for (let i = 2; i <= 5; i++) {
    const reg = (await api(page, 'POST', '/api/v1/methods/authenticator/start')).body;
    const done = await api(page, 'POST', '/api/v1/methods/authenticator/finish', { id: reg.id, name: `App ${i}`, code: totp(reg.secret) });
    assert.equal(done.status, 201);
  }
  await page.reload();
  await securityInfo(page);
  await page.getByRole('button', { name: 'Add an authenticator app' }).and(page.locator('[disabled]')).waitFor();
  const sixth = await api(page, 'POST', '/api/v1/methods/authenticator/start');
  assert.deepEqual([sixth.status, sixth.body.code, sixth.body.limit], [409, 'limit_reached', 5]);
  for (let i = 2; i <= 5; i++) {
    const m = (await api(page, 'GET', '/api/v1/methods')).body.methods.find((x) => x.name === `App ${i}`);
    assert.equal((await api(page, 'DELETE', `/api/v1/methods/${m.id}`)).status, 204);
  }
  await page.reload();
  await securityInfo(page);

  // Phone: a malformed number is explained at the field; the code comes through the outbox.
  await page.getByRole('button', { name: 'Add a phone' }).click();
  await page.getByLabel('Phone number', { exact: true }).fill('0151 1234');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText('Enter the number with + and the country code').waitFor();
  assert.equal(await page.getByLabel('Phone number', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.doesNotMatch(cli(server.db, 'outbox'), /verification code/);
  await page.getByLabel('Phone number', { exact: true }).fill('+44 20 7946 0958');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText(/We sent a code to \+44•+58\./).waitFor();
  const outbox = JSON.parse(cli(server.db, 'outbox', '--json'));
  const sms = outbox.find((m) => m.to === '+442079460958' && m.channel === 'text');
  await page.getByLabel('Code', { exact: true }).fill(sms.body.match(/code is (\d{6})/)[1]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.success').getByText('Phone was added.').waitFor();

  // Email: the code arrives at a real SMTP listener.
  await page.getByRole('button', { name: 'Add an email address' }).click();
  await page.getByLabel('Email address', { exact: true }).fill('ada.private@example.org');
  await page.getByRole('button', { name: 'Send code' }).click();
  const mail = await smtp.next(1);
  assert.match(mail, /To: ada\.private@example\.org/i);
  const emailCode = mail.match(/code is (\d{6})/)[1];
  await page.getByLabel('Code', { exact: true }).fill(emailCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.success').getByText('Email was added.').waitFor();
  assert.deepEqual(await methodTitles(page), ['Authenticator app “Phone app” Default', 'Phone', 'Email']);

  // Rename.
  const app = page.locator('.method', { hasText: 'Phone app' });
  await app.getByRole('button', { name: 'Rename' }).click();
  await app.getByLabel('New name').fill('Work phone app');
  await app.getByRole('button', { name: 'Save' }).click();
  await page.locator('.success').getByText('Authenticator app “Phone app” is now called Authenticator app “Work phone app”.').waitFor();

  // Default, then delete it: the default moves to the strongest remaining method.
  await page.locator('.method', { hasText: 'Phone' }).filter({ hasNotText: 'app' }).getByRole('button', { name: 'Make default' }).click();
  await page.locator('.success').getByText('Phone is now your default sign-in method.').waitFor();
  // The list is fetched again after the change: wait for it, then read it.
  await page.locator('.methods .method-title', { hasText: 'Phone Default' }).waitFor();
  assert.deepEqual(await methodTitles(page), ['Authenticator app “Work phone app”', 'Phone Default', 'Email']);
  const phone = page.locator('.method', { hasText: 'Phone Default' });
  await phone.getByRole('button', { name: 'Delete' }).click();
  await phone.getByRole('button', { name: 'Yes, delete it' }).click();
  await page.locator('.success').getByText('Phone was deleted.').waitFor();
  await page.locator('.methods .method-title', { hasText: 'Work phone app” Default' }).waitFor();
  assert.deepEqual(await methodTitles(page), ['Authenticator app “Work phone app” Default', 'Email']);

  // The email address heard about the removal, by SMTP.
  const notice = await smtp.next(2);
  assert.match(notice, /removed from your account/);
  assert.match(cli(server.db, 'audit', '--user', ADA), /method_renamed[\s\S]*default_changed[\s\S]*method_removed/);

  // Sign out everywhere ends this session and one on another device.
  const other = await chrome.newContext();
  t.after(() => other.close());
  const otherPage = await other.newPage();
  await signIn(otherPage, server.url, ADA, code);
  await securityInfo(otherPage);
  const copied = await cookieHeader(page.context(), server.url);
  assert.equal((await replay(server.url, copied))[0], 200, 'the copy works while signed in');
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal((await api(otherPage, 'GET', '/api/v1/session')).status, 401);
  assert.equal((await api(page, 'GET', '/api/v1/session')).status, 401);
  // This browser was told to drop its cookie; a copy of it opens nothing either.
  assert.deepEqual(await replay(server.url, copied), [401, 401]);
  assert.deepEqual(await replay(server.url, await cookieHeader(other, server.url)), [401, 401]);
});

test('required registration: a wizard that cannot be finished until a method is registered, passkeys included', async (t) => {
  const { server, page } = await fresh(t);
  cli(server.db, 'policy', 'set', '--require-registration', 'true');
  await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await page.getByRole('heading', { name: 'Set up a sign-in method', level: 1 }).waitFor();
  const finish = page.getByRole('button', { name: 'Finish' });
  assert.equal(await finish.isDisabled(), true);
  await page.getByText('Add at least one method to finish.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Add a passkey' }).isDisabled(), false, 'passkeys are offered');
  await page.getByRole('button', { name: 'Add an email address' }).click();
  await page.getByLabel('Email address', { exact: true }).fill('ada.private@example.org');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByText(/We sent a code/).waitFor();
  const mail = JSON.parse(cli(server.db, 'outbox', '--json')).find((m) => m.channel === 'email');
  await page.getByLabel('Code', { exact: true }).fill(mail.body.match(/code is (\d{6})/)[1]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('.success').getByText('Email was added.').waitFor();
  await finish.click();
  await page.getByText('All set.').waitFor();
});

test('text and call codes go to the phone webhook; a failing webhook is retried until it accepts', async (t) => {
  const received = [];
  let status = 503;
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ path: req.url, type: req.headers['content-type'], status, body: JSON.parse(body) });
      res.writeHead(status).end();
    });
  });
  await new Promise((ok) => hook.listen(0, '127.0.0.1', ok));
  t.after(() => hook.close());
  const { server, page } = await fresh(t, ['--phone-webhook-url', `http://127.0.0.1:${hook.address().port}/sms`]);
  await signIn(page, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await securityInfo(page);

  // The provider is down: the code is accepted for sending, and tried again.
  const start = { kind: 'office_phone', number: '+49 30 1234567', channel: 'call' };
  const sent = await api(page, 'POST', '/api/v1/methods/phone/start', start);
  assert.equal(sent.status, 200);
  await waitUntil('the webhook to be tried twice', () => received.length >= 2);
  const waiting = JSON.parse(cli(server.db, 'outbox', '--json'));
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0].failed, false);
  assert.ok(waiting[0].tries >= 1);
  assert.match(waiting[0].last_error, /503/);

  // It comes back: the next try is accepted and the code leaves the database.
  status = 200;
  await waitUntil('the webhook to accept a try', () => received.at(-1).status === 200);
  const call = received.at(-1);
  assert.equal(call.path, '/sms');
  assert.match(call.type, /application\/json/);
  assert.deepEqual([call.body.channel, call.body.to], ['call', '+49301234567']);
  const code = call.body.message.match(/code is (\d{6})/)[1];
  assert.ok(received.every((r) => r.body.message === call.body.message), 'every try carried the same code');
  await waitUntil('the outbox to empty', () => /the outbox is empty/.test(cli(server.db, 'outbox')));
  assert.match(cli(server.db, 'outbox'), /the outbox is empty/, 'nothing is kept once delivered');
  const wrong = await api(page, 'POST', '/api/v1/methods/verify', { id: sent.body.id, code: code === '123456' ? '654321' : '123456' });
  assert.deepEqual([wrong.status, wrong.body.code, wrong.body.tries_left], [400, 'code_invalid', 4]);
  const done = await api(page, 'POST', '/api/v1/methods/verify', { id: sent.body.id, code });
  assert.deepEqual([done.status, done.body.kind, done.body.detail], [201, 'office_phone', '+49•••••••67']);
  const again = await api(page, 'POST', '/api/v1/methods/verify', { id: sent.body.id, code });
  assert.deepEqual([again.status, again.body.code], [410, 'code_expired']);
});

test('a dead SMTP server delays nothing the user waits for; the email arrives once it recovers', async (t) => {
  const smtp = await smtpListener({ stalled: true });
  t.after(() => smtp.close());
  // A request that waited for the dead server would take its 4 s timeout.
  const { server, page } = await fresh(t, ['--smtp-url', smtp.url, '--smtp-timeout-seconds', '4']);
  const timed = async (what, call) => {
    const started = performance.now();
    const res = await call();
    const took = performance.now() - started;
    assert.ok(took < 2000, `${what} answered in ${Math.round(took)} ms: it waited for SMTP`);
    return res;
  };
  const codeFor = (to) => JSON.parse(cli(server.db, 'outbox', '--json')).findLast((m) => m.to === to).body.match(/code is (\d{6})/)[1];
  await page.goto(server.url);
  const signedIn = await timed('pass sign-in', () => api(page, 'POST', '/api/v1/signin/pass', { upn: ADA, pass: issue(server.db, ADA).temporaryAccessPass }));
  assert.equal(signedIn.status, 200);

  // An email address (its code read from the outbox, since SMTP is dead) ...
  const mail = await timed('sending an email code', () => api(page, 'POST', '/api/v1/methods/email/start', { address: 'ada.private@example.org' }));
  assert.equal(mail.status, 200);
  const added = await timed('verifying it', () => api(page, 'POST', '/api/v1/methods/verify', { id: mail.body.id, code: codeFor('ada.private@example.org') }));
  assert.equal(added.status, 201);
  // ... then a phone, which that address hears about.
  const phone = await timed('sending a text code', () => api(page, 'POST', '/api/v1/methods/phone/start', { kind: 'phone', number: '+44 20 7946 0958', channel: 'text' }));
  assert.equal(phone.status, 200);
  const phoneAdded = await timed('adding the phone', () => api(page, 'POST', '/api/v1/methods/verify', { id: phone.body.id, code: codeFor('+442079460958') }));
  assert.equal(phoneAdded.status, 201);
  assert.equal(smtp.messages.length, 0, 'the dead server took nothing');

  smtp.recover();
  const notice = await smtp.waitFor(/was added to your account/);
  assert.match(notice, /To: ada\.private@example\.org/i);

  // Healthy again: a notice leaves at once, not behind the backoff of the
  // failed tries (a loaded machine gets seconds of slack).
  const phoneId = (await api(page, 'GET', '/api/v1/methods')).body.methods.find((m) => m.kind === 'phone').id;
  const asked = performance.now();
  assert.equal((await timed('removing the phone', () => api(page, 'DELETE', `/api/v1/methods/${phoneId}`))).status, 204);
  await smtp.waitFor(/removed from your account/);
  const took = performance.now() - asked;
  assert.ok(took < 5000, `the notice arrived ${Math.round(took)} ms after the change`);
  t.diagnostic(`notice after ${Math.round(took)} ms`);
});
