// The help desk in Chromium: administrators sign in with a passkey (CDP
// virtual authenticator), find users, issue a delayed one-time pass in a
// chosen time zone, revoke passes, remove methods, clear lockouts; a
// global reader changes nothing; a member gets no help desk. The server's
// clock is moved through --test-clock-file, never by sleeping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, issue, browser, signIn, api, totp, helpDesk, passkeySession, ADA, MEL, PAT, GIL } from './helpers.mjs';

let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

async function openUser(page, typed, name) {
  await page.goto(new URL(page.url()).origin + '/admin');
  await page.getByRole('heading', { name: 'Find a user', level: 1 }).waitFor();
  const field = page.getByLabel('Account name or name');
  await field.fill(typed);
  await page.getByRole('status').getByText(/user found|users found/).waitFor();
  // The page lists everyone until the answer to what was typed arrives.
  await page.locator('#found li').first().getByText(name).waitFor();
  // Keyboard alone: from the field, Tab reaches the first result.
  await field.focus();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.textContent);
  assert.match(focused, new RegExp(name));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** The date in `zone` a day from now, as YYYY-MM-DD. */
function tomorrowIn(zone) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + 86_400_000));
  return parts;
}

test('an administrator signs in with a passkey, finds a user and issues a delayed one-time pass, which works once its start is reached', async (t) => {
  const { server, moveClock } = await helpDesk(t);
  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();

  // A pass is not enough to act as an administrator.
  await signIn(page, server.url, PAT, issue(server.db, PAT).temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  // The part of the page that would hold the link has rendered: who is signed in.
  await page.locator('dl.facts').getByText(PAT).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Help desk' }).count(), 0);
  assert.equal((await api(page, 'GET', '/api/v1/admin/me')).status, 403);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();

  await passkeySession(desk, page, server, PAT);
  await page.getByRole('link', { name: 'Help desk' }).click();
  await page.getByRole('heading', { name: 'Find a user', level: 1 }).waitFor();
  await openUser(page, 'love', 'Ada Lovelace');

  await page.getByRole('button', { name: 'Issue a Temporary Access Pass' }).click();
  await page.getByRole('heading', { name: 'New Temporary Access Pass', level: 2 }).waitFor();
  await page.getByLabel('Lifetime (minutes)').fill('120');
  await page.getByLabel('One-time use').check();
  await page.getByLabel('A later date and time').check();
  const day = tomorrowIn('Asia/Tokyo');
  await page.getByLabel('Date', { exact: true }).fill(day);
  await page.getByLabel('Time', { exact: true }).fill('09:00');
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
  await page.locator('.preview').getByText(/GMT\+9/).waitFor();
  // Beside it, the same instant on Ada's clock in Berlin: 01:00.
  assert.match(await page.locator('.preview').innerText(), /For the user \(Europe\/Berlin\): .*1:00.*GMT\+1/);
  await page.getByRole('button', { name: 'Issue the pass' }).click();
  await page.getByRole('heading', { name: 'The new pass', level: 2 }).waitFor();

  const code = (await page.locator('.pass-code output').innerText()).trim();
  assert.match(code, /^[A-Z2-9#]{8}$/);
  const starts = await page.locator('.issued .starts').innerText();
  assert.match(starts, /9:00/);
  assert.match(starts, /GMT\+9/, 'the start is shown in the chosen zone');
  const link = await page.locator('.issued a').first().getAttribute('href');
  assert.equal(link, `${server.url}/?upn=ada%40contoso.com`);
  assert.ok(!link.includes(code), 'the link never carries the pass');
  await page.locator('.issued svg.qr').waitFor();

  // The stored start is the instant chosen: 09:00 in Tokyo.
  const stored = JSON.parse(cli(server.db, 'tap', 'show', ADA, '--json'));
  const start = Date.parse(`${day}T09:00:00+09:00`);
  assert.equal(Date.parse(stored.startDateTime), start);
  assert.equal(stored.isUsableOnce, true);
  assert.equal(stored.methodUsabilityReason, 'NotYetValid');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.locator('.facts').getByText('Not valid yet').waitFor();

  // The user, on their own device: not before the start...
  const user = await chrome.newContext();
  t.after(() => user.close());
  const phone = await user.newPage();
  await phone.goto(link);
  assert.equal(await phone.getByLabel('Account name').inputValue(), ADA, 'the link fills in the account');
  await phone.getByRole('button', { name: 'Next' }).click();
  await phone.getByLabel('Temporary Access Pass').fill(code);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.getByText("This Temporary Access Pass isn't valid yet").waitFor();

  // ...and once it is reached (the server's clock moved past it), once.
  moveClock((start - Date.now()) / 1000 + 60);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const again = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: ADA, pass: code }),
  });
  assert.equal((await again.json()).code, 'pass_used');

  const audit = cli(server.db, 'audit', '--user', ADA);
  assert.match(audit, /pass_issued.*pat@contoso\.com|pat@contoso\.com.*pass_issued/);
});

test('the administrator revokes a pass, removes a lost method with a reason, and clears a lockout', async (t) => {
  const { server } = await helpDesk(t);
  // Ada holds an authenticator app, registered through the API as the app would.
  const user = await chrome.newContext();
  t.after(() => user.close());
  const adaPage = await user.newPage();
  await signIn(adaPage, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await adaPage.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const started = (await api(adaPage, 'POST', '/api/v1/methods/authenticator/start')).body;
  const added = await api(adaPage, 'POST', '/api/v1/methods/authenticator/finish', { id: started.id, name: 'Old phone', code: totp(started.secret) });
  assert.equal(added.status, 201);
  // Mel is locked out by someone guessing.
  const melPass = issue(server.db, MEL).temporaryAccessPass;
  const signInMel = (pass) => fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: MEL, pass }),
  });
  for (let i = 0; i < 10; i++) await signInMel('ZZZZZZZZ');
  assert.equal((await signInMel(melPass)).status, 429, 'locked: the right pass is refused');

  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();
  await passkeySession(desk, page, server, PAT);

  await openUser(page, 'mel', 'Mel Member');
  await page.getByText(/^Locked: 10 failed attempts/).waitFor();
  await page.getByRole('button', { name: 'Clear the failed attempts' }).click();
  await page.locator('.success').getByText('The failed attempts were cleared').waitFor();
  await page.getByText('Not locked: no failed attempts recently.').waitFor();
  const melIn = await signInMel(melPass);
  assert.equal(melIn.status, 200, 'unlocked everywhere');
  const melCookie = melIn.headers.get('set-cookie').split(';')[0];

  await page.reload();
  await page.getByRole('heading', { name: 'Mel Member', level: 1 }).waitFor();
  await page.getByText(/Signed in with a pass/).waitFor();
  await page.getByRole('button', { name: 'Revoke this pass' }).click();
  await page.locator('.success').getByText('The pass was revoked').waitFor();
  await page.getByText('This user has no Temporary Access Pass.').waitFor();
  await page.getByText('No open sessions.').waitFor();
  const melSession = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: melCookie } });
  assert.equal(melSession.status, 401, 'the sessions the pass opened ended with it');

  await openUser(page, 'ada@', 'Ada Lovelace');
  await page.getByRole('button', { name: 'Remove Authenticator app “Old phone”' }).click();
  await page.getByRole('button', { name: 'Remove the method' }).click();
  await page.getByText('Write down why, for the audit trail.').waitFor();
  await page.getByLabel('Why is it removed?').fill('lost phone');
  await page.getByRole('button', { name: 'Remove the method' }).click();
  await page.locator('.success').getByText('Authenticator app “Old phone” was removed').waitFor();
  await page.getByText('This user has no sign-in methods yet.').waitFor();
  const mine = await api(adaPage, 'GET', '/api/v1/methods');
  assert.deepEqual(mine.body.methods, [], 'gone for the user too');

  const audit = JSON.parse(`[${cli(server.db, 'audit', '--json').trim().split('\n').join(',')}]`);
  const removal = audit.find((e) => e.event === 'method_removed');
  assert.equal(removal.actor, PAT);
  assert.match(removal.detail, /lost phone/);
  assert.ok(audit.some((e) => e.event === 'lockout_cleared' && e.actor === PAT));
  assert.ok(audit.some((e) => e.event === 'pass_revoked' && e.actor === PAT && e.upn === MEL));

  // The audit page shows it, filtered by user and kind, and exports it.
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
  await page.getByLabel('User', { exact: true }).fill(ADA);
  await page.getByLabel('Kind').selectOption('method_removed');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('status').getByText('1 event.').waitFor();
  await page.locator('table.audit').getByText('lost phone').waitFor();
  const href = await page.getByRole('link', { name: 'Export as CSV' }).getAttribute('href');
  const csv = await page.evaluate(async (u) => (await fetch(u)).text(), href);
  assert.match(csv, /^at,upn,event,detail,actor,client\r\n/);
  assert.match(csv, /"ada@contoso.com","method_removed","authenticator_app ""Old phone"" \(reason: lost phone\)","pat@contoso.com"/);
  assert.equal(csv.trim().split('\r\n').length, 2);
});

test('a global reader sees everything and can change nothing; a member gets no help desk', async (t) => {
  const { server } = await helpDesk(t);
  issue(server.db, ADA);
  const reader = await chrome.newContext();
  t.after(() => reader.close());
  const page = await reader.newPage();
  await passkeySession(reader, page, server, GIL);
  await page.getByRole('link', { name: 'Help desk' }).click();
  await openUser(page, 'ada', 'Ada Lovelace');
  await page.getByText("You can see this user's details, but your roles don't allow changes.").waitFor();
  await page.locator('.facts').getByText('Usable', { exact: true }).waitFor();
  for (const name of ['Issue a Temporary Access Pass', 'Revoke this pass', 'Clear the failed attempts', 'Sign this user out everywhere']) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}" for a reader`);
  }
  // The server refuses what the page leaves out.
  const tap = '/graph/v1.0/users/ada@contoso.com/authentication/temporaryAccessPassMethods';
  const issued = await api(page, 'POST', tap, {});
  assert.equal(issued.status, 403);
  assert.equal(issued.body.error.code, 'accessDenied');
  const passes = await api(page, 'GET', tap);
  assert.equal(passes.status, 200);
  assert.equal(passes.body.value[0].temporaryAccessPass, undefined, 'a reader never sees a code');
  assert.equal((await api(page, 'DELETE', `${tap}/${passes.body.value[0].id}`)).status, 403);
  assert.equal((await api(page, 'DELETE', '/api/v1/admin/users/ada@contoso.com/lockout')).status, 403);
  assert.equal((await api(page, 'POST', '/graph/v1.0/users/ada@contoso.com/revokeSignInSessions')).status, 403);
  const policy = '/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
  assert.equal((await api(page, 'PATCH', policy, { defaultLifetimeInMinutes: 120 })).status, 403);
  await page.getByRole('link', { name: 'Policy' }).click();
  await page.getByText('Only an authentication policy administrator can change the policy.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save the policy' }).count(), 0);

  // A member with a passkey: no link, no page, and the server says no.
  const member = await chrome.newContext();
  t.after(() => member.close());
  const memberPage = await member.newPage();
  await passkeySession(member, memberPage, server, MEL);
  await memberPage.locator('dl.facts').getByText(MEL).waitFor();
  assert.equal(await memberPage.getByRole('link', { name: 'Help desk' }).count(), 0);
  await memberPage.goto(`${server.url}/admin`);
  await memberPage.getByRole('heading', { name: 'Help desk', level: 1 }).waitFor();
  await memberPage.getByText("This account can't use the help desk").waitFor();
  assert.equal(await memberPage.getByLabel('Account name or name').count(), 0);
  assert.equal((await api(memberPage, 'GET', '/graph/v1.0/users')).status, 403);
});

test('a privileged administrator registers an application, re-keys it and removes it; a reader only reads', async (t) => {
  const { server } = await helpDesk(t);
  const context = await chrome.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await passkeySession(context, page, server, PAT);
  await page.goto(`${server.url}/admin`);
  await page.getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
  await page.getByText('No applications sign in with tapin yet.').waitFor();

  // The shared rule speaks while the address is typed.
  await page.getByLabel('Name', { exact: true }).fill('Wiki');
  await page.getByLabel('Return addresses').fill('http://wiki.contoso.com/callback');
  await page.getByText('http://wiki.contoso.com/callback is not allowed').waitFor();
  await page.getByLabel('Return addresses').fill('https://wiki.contoso.com/callback\nhttp://localhost:8080/callback');
  await page.getByLabel('Only passkeys and security keys').check();
  await page.getByRole('button', { name: 'Add the application' }).click();
  const id = await page.locator('#new-client-id').innerText();
  const secret = await page.locator('#new-client-secret').innerText();
  assert.match(secret, /^tapin_cs_[0-9a-f]{64}$/);
  await page.getByText('tapin shows it only this once').waitFor();
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.locator('#new-client-secret').count(), 0, 'the secret is gone from the page');
  const listed = page.locator('.clients li', { hasText: 'Wiki' });
  await listed.getByText('https://wiki.contoso.com/callback').waitFor();
  await listed.getByText('http://localhost:8080/callback').waitFor();

  // What the command line sees is the same application.
  const fromCli = JSON.parse(cli(server.db, 'client', 'list', '--json'));
  assert.deepEqual(fromCli.map((c) => [c.client_id, c.name, c.phishing_resistant]), [[id, 'Wiki', true]]);

  await listed.getByRole('button', { name: 'Make a new secret' }).click();
  const rotated = await page.locator('#new-client-secret').innerText();
  assert.notEqual(rotated, secret);
  await page.getByRole('button', { name: 'Done' }).click();

  // A reader sees the application and no buttons; the server refuses her too.
  const reader = await chrome.newContext();
  t.after(() => reader.close());
  const readerPage = await reader.newPage();
  await passkeySession(reader, readerPage, server, GIL);
  await readerPage.goto(`${server.url}/admin/clients`);
  await readerPage.locator('.clients li', { hasText: 'Wiki' }).waitFor();
  assert.equal(await readerPage.getByRole('button', { name: 'Remove' }).count(), 0);
  assert.equal(await readerPage.locator('#client-name').count(), 0);
  const refused = await api(readerPage, 'DELETE', `/api/v1/admin/clients/${id}`);
  assert.equal(refused.status, 403);

  await listed.getByRole('button', { name: 'Remove' }).click();
  await listed.getByRole('button', { name: 'Remove Wiki now' }).click();
  await page.getByText('No applications sign in with tapin yet.').waitFor();
  assert.deepEqual(JSON.parse(cli(server.db, 'client', 'list', '--json')), []);
  const audit = cli(server.db, 'audit', '--kind', 'oidc_client_removed', '--json');
  assert.match(audit, /pat@contoso.com/);
});

test('an administrator signed in with an app code gets no help desk, not even through Graph; with a passkey the same person gets in', async (t) => {
  const { server } = await helpDesk(t);
  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();

  // Pat registers an authenticator app with a pass, then signs in with a code from it.
  await signIn(page, server.url, PAT, issue(server.db, PAT).temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const started = (await api(page, 'POST', '/api/v1/methods/authenticator/start')).body;
  assert.equal((await api(page, 'POST', '/api/v1/methods/authenticator/finish', { id: started.id, name: 'Phone', code: totp(started.secret) })).status, 201);
  assert.ok((await api(page, 'POST', '/api/v1/signout')).status < 300);
  const coded = await api(page, 'POST', '/api/v1/signin/code', { upn: PAT, code: totp(started.secret, Date.now() + 30_000) });
  assert.equal(coded.status, 200);
  assert.equal(coded.body.admin, false, 'a code session is no help-desk session');

  await page.goto(`${server.url}/security-info`);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  // The part of the page that holds the link has rendered: the method list.
  await page.locator('li.method', { hasText: 'Phone' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Help desk' }).count(), 0);
  // The page says up front what this sign-in can do, and what to do instead.
  await page.getByRole('note').getByText('To add or remove a method, sign in again with a passkey').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Add a passkey' }).isDisabled());
  assert.ok(await page.getByRole('button', { name: 'Add an authenticator app' }).isDisabled());
  const me = await api(page, 'GET', '/api/v1/admin/me');
  assert.equal(me.status, 403);
  assert.equal(me.body.code, 'stronger_sign_in_needed');
  const graph = await api(page, 'POST', `/graph/v1.0/users/${ADA}/authentication/temporaryAccessPassMethods`, { lifetimeInMinutes: 60 });
  assert.equal(graph.status, 403, 'no pass for another user from a code session');
  const passkey = await api(page, 'POST', '/api/v1/methods/webauthn/start', { kind: 'passkey' });
  assert.equal(passkey.status, 403, 'a code session cannot mint a passkey');
  await page.goto(`${server.url}/admin`);
  await page.getByRole('heading', { name: 'Help desk', level: 1 }).waitFor();
  await page.getByRole('alert').getByText('a code or a Temporary Access Pass is not enough').waitFor();
  await api(page, 'POST', '/api/v1/signout');

  await passkeySession(desk, page, server, PAT);
  await page.getByRole('link', { name: 'Help desk' }).click();
  await page.getByRole('heading', { name: 'Find a user', level: 1 }).waitFor();
});

test('the help desk disables a leaver, who is signed out at once and cannot sign in, and enables them again', async (t) => {
  const { server } = await helpDesk(t);
  // Ada is signed in on her own computer, with an authenticator app.
  const own = await chrome.newContext();
  t.after(() => own.close());
  const adaPage = await own.newPage();
  await signIn(adaPage, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await adaPage.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const started = (await api(adaPage, 'POST', '/api/v1/methods/authenticator/start')).body;
  assert.equal((await api(adaPage, 'POST', '/api/v1/methods/authenticator/finish', { id: started.id, name: 'Phone', code: totp(started.secret) })).status, 201);

  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();
  await passkeySession(desk, page, server, PAT);
  await openUser(page, 'ada@', 'Ada Lovelace');
  await page.locator('.account-state').getByText('Enabled').waitFor();
  await page.getByRole('button', { name: 'Disable account' }).click();
  await page.locator('.success').getByText('The account is disabled').waitFor();
  await page.locator('.account-state').getByText('Disabled: nothing of theirs signs in').waitFor();
  await page.getByRole('button', { name: 'Enable account' }).waitFor();
  await page.getByText('This user has no Temporary Access Pass.').waitFor();
  await page.getByText('No open sessions.').waitFor();

  // Ada's open page stops working, and no pass can be issued to her.
  assert.equal((await api(adaPage, 'GET', '/api/v1/methods')).status, 401);
  await adaPage.reload();
  await adaPage.getByText('You are not signed in, or your session has ended.').first().waitFor();
  assert.throws(() => issue(server.db, ADA), /disabled/, 'no pass while disabled');

  // The search shows who is disabled.
  await page.goto(`${server.url}/admin`);
  await page.getByLabel('Account name or name').fill('ada');
  await page.getByRole('listitem').filter({ hasText: 'Ada Lovelace' }).getByText('disabled', { exact: true }).waitFor();

  await openUser(page, 'ada@', 'Ada Lovelace');
  await page.getByRole('button', { name: 'Enable account' }).click();
  await page.locator('.success').getByText('The account is enabled').waitFor();
  await page.locator('.account-state').getByText('Enabled').waitFor();
  await signIn(adaPage, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await adaPage.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  const methods = (await api(adaPage, 'GET', '/api/v1/methods')).body.methods;
  assert.deepEqual(methods.map((m) => m.name), ['Phone'], 'her method is back');

  const audit = cli(server.db, 'audit', '--json').trim().split('\n').map((l) => JSON.parse(l));
  for (const event of ['user_disabled', 'user_enabled']) {
    assert.ok(audit.some((e) => e.event === event && e.actor === PAT && e.upn === ADA), event);
  }
  // A global reader sees the state and no button.
  const reader = await chrome.newContext();
  t.after(() => reader.close());
  const gilPage = await reader.newPage();
  await passkeySession(reader, gilPage, server, GIL);
  await openUser(gilPage, 'ada@', 'Ada Lovelace');
  await gilPage.locator('.account-state').getByText('Enabled').waitFor();
  assert.equal(await gilPage.getByRole('button', { name: 'Disable account' }).count(), 0);
});
