// The organisation's directory through SCIM: scim2-client (PyPI), a SCIM
// client nobody here wrote, drives joiners, a group and its members, a
// rename, a disable that signs the person out, an enable and removal
// (tests/directory/scim_lifecycle.py), against tapin on SQLite and on
// PostgreSQL; and only a provisioning token opens /scim/v2.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIST, smtpListener, waitUntil } from './helpers.mjs';

const TAPIN = join(resolve(import.meta.dirname, '../..'), 'target/debug/tapin');

const PYTHON = process.env.TAPIN_E2E_PYTHON;
const PG = process.env.TAPIN_E2E_POSTGRES_DIRECTORY;
const LIFECYCLE = new URL('../directory/scim_lifecycle.py', import.meta.url).pathname;
const procs = [];
after(() => { for (const p of procs) p.kill('SIGTERM'); });

/** tapin on `db` (a file or a PostgreSQL URL), with its command line. */
async function tapinOn(db, serve = []) {
  const dir = mkdtempSync(join(tmpdir(), 'tapin-directory-'));
  chmodSync(dir, 0o777);
  const args = ['--db', db ?? join(dir, 'tapin.db'), '--secret-key-file', join(dir, 'tapin.key')];
  const cli = (...more) => execFileSync(TAPIN, [...args, ...more], { encoding: 'utf8' });
  cli('policy', 'set', '--enabled', 'true');
  const proc = spawn(TAPIN, [...args, 'serve', '--addr', '127.0.0.1:0', '--dist', DIST, ...serve], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPIN_LOG: 'warn' },
  });
  procs.push(proc);
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`tapin did not start: ${err}`)), 60000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => fail(new Error(`tapin exited with ${code}: ${err}`)));
  });
  return { url, args, cli };
}

function lifecycle({ url, args, cli }) {
  const { token } = JSON.parse(cli('token', 'create', '--provisioning', '--name', 'entra', '--json'));
  const out = execFileSync(PYTHON, [LIFECYCLE, url, token, TAPIN, ...args], { encoding: 'utf8', timeout: 150000 });
  const steps = out.trim().split('\n').filter((l) => l.startsWith('ok - '));
  assert.equal(steps.length, 9, out);
}

test('scim2-client provisions joiners and a group, moves, disables, enables and removes a person, on SQLite', async () => {
  assert.ok(PYTHON, 'TAPIN_E2E_PYTHON names the virtual environment\'s python with scim2-client (cargo xtask test sets it)');
  lifecycle(await tapinOn());
});

test('the same lifecycle on PostgreSQL', async () => {
  assert.ok(PG, 'TAPIN_E2E_POSTGRES_DIRECTORY names an empty PostgreSQL database (cargo xtask test sets it)');
  lifecycle(await tapinOn(PG));
});

test('a provisioning token opens /scim/v2 and nothing else; no other token or session opens it', async () => {
  const t = await tapinOn();
  t.cli('user', 'add', 'pat@contoso.com', '--name', 'Pat', '--role', 'admin', '--admin-role', 'privileged-authentication-administrator');
  t.cli('user', 'add', 'ada@contoso.com', '--name', 'Ada');
  const created = JSON.parse(t.cli('token', 'create', '--provisioning', '--name', 'entra', '--json'));
  const scim = created.token;
  const api = JSON.parse(t.cli('token', 'create', '--as', 'pat@contoso.com', '--json')).token;
  const pass = JSON.parse(t.cli('tap', 'issue', 'ada@contoso.com', '--json')).temporaryAccessPass;
  const signIn = await fetch(`${t.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: t.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass }),
  });
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const get = (path, headers) => fetch(`${t.url}${path}`, { headers }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));
  const bearer = (tok) => ({ authorization: `Bearer ${tok}` });

  const ok = await get('/scim/v2/Users', bearer(scim));
  assert.equal(ok.status, 200);
  assert.match(ok.type, /^application\/scim\+json/);
  for (const [who, headers] of [['an API token', bearer(api)], ['a session', { cookie }], ['nothing', {}], ['a made-up token', bearer('tapin_scim_00')]]) {
    const refused = await get('/scim/v2/Users', headers);
    assert.equal(refused.status, 401, `${who} opens no directory`);
    const body = JSON.parse(refused.body);
    assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(body.status, '401');
  }
  for (const path of ['/graph/v1.0/users', '/api/v1/admin/me', '/api/v1/session', '/oauth2/userinfo']) {
    const elsewhere = await get(path, bearer(scim));
    assert.equal(elsewhere.status, 401, `a provisioning token opens nothing at ${path}`);
  }
  // Errors in SCIM's shape, each with its scimType.
  const bad = await get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq')}`, bearer(scim));
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).scimType, 'invalidFilter');
  const missing = await get('/scim/v2/Users/00000000-0000-4000-8000-000000000000', bearer(scim));
  assert.equal(missing.status, 404);
  const wrongType = await fetch(`${t.url}/scim/v2/Users`, { method: 'POST', headers: { ...bearer(scim), 'content-type': 'text/plain' }, body: '{}' });
  assert.equal(wrongType.status, 415);
  const unknownField = await fetch(`${t.url}/scim/v2/Users`, {
    method: 'POST', headers: { ...bearer(scim), 'content-type': 'application/scim+json' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'not an account' }),
  });
  assert.equal(unknownField.status, 400);
  assert.equal((await unknownField.json()).scimType, 'invalidValue');
  // Revoked, it opens nothing at the next request.
  t.cli('token', 'revoke', created.id);
  assert.equal((await get('/scim/v2/Users', bearer(scim))).status, 401);
});

test('a joiner provisioned with a start date and a manager: the manager is emailed a one-time pass that signs in from 08:00 on the first day, once', async (t) => {
  const smtp = await smtpListener();
  t.after(() => smtp.close());
  const clock = join(mkdtempSync(join(tmpdir(), 'tapin-clock-')), 'ahead');
  writeFileSync(clock, '0');
  const moveClock = (seconds) => writeFileSync(clock, String(Math.round(seconds)));
  const tapin = await tapinOn(undefined, ['--smtp-url', smtp.url, '--test-clock-file', clock]);
  tapin.cli('policy', 'set', '--joiner-pass', 'true');
  const { token } = JSON.parse(tapin.cli('token', 'create', '--provisioning', '--name', 'hr', '--json'));
  const scim = (method, path, body) => fetch(`${tapin.url}/scim/v2${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
  const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
  const TAPIN_EXT = 'urn:ietf:params:scim:schemas:extension:tapin:2.0:User';
  const grace = await scim('POST', '/Users', { schemas: [CORE], userName: 'grace@contoso.com', displayName: 'Grace Manager',
    emails: [{ value: 'grace@contoso.com', type: 'work', primary: true }] });
  assert.equal(grace.status, 201);
  // The first day is the day after tomorrow in Tokyo (no daylight saving: 08:00 there is 23:00 UTC the day before).
  const day = new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 10);
  const startsAt = Date.parse(`${day}T08:00:00+09:00`);
  const joiner = { schemas: [CORE, ENTERPRISE, TAPIN_EXT], userName: 'joan@contoso.com', displayName: 'Joan Joiner',
    [ENTERPRISE]: { manager: { value: grace.body.id } }, [TAPIN_EXT]: { startDate: day, timeZone: 'Asia/Tokyo' } };
  const joan = await scim('POST', '/Users', joiner);
  assert.equal(joan.status, 201, JSON.stringify(joan.body));

  const mail = await smtp.next(1);
  assert.match(mail, /To: grace@contoso\.com/i);
  assert.match(mail, /Joan Joiner/);
  const pass = mail.match(/Temporary Access Pass: (\S+)/)[1];
  // Delivered: the outbox no longer holds it, sealed or not.
  await waitUntil('the outbox empty', () => JSON.parse(tapin.cli('outbox', '--json')).length === 0);

  const signIn = () => fetch(`${tapin.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: tapin.url },
    body: JSON.stringify({ upn: 'joan@contoso.com', pass }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  moveClock((startsAt - Date.now()) / 1000 - 120);
  const early = await signIn();
  assert.equal(early.status, 401);
  assert.equal(early.body.code, 'pass_not_yet_valid');

  // Provisioned again (a PUT, as a directory's next cycle sends): no second pass.
  assert.equal((await scim('PUT', `/Users/${joan.body.id}`, joiner)).status, 200);
  const issued = tapin.cli('audit', '--kind', 'joiner_pass_issued').trim().split('\n').filter(Boolean);
  assert.equal(issued.length, 1, issued.join('\n'));

  moveClock((startsAt - Date.now()) / 1000 + 120);
  assert.equal((await signIn()).status, 200, 'the pass signs in on the morning of the first day');
  assert.equal((await signIn()).status, 401, 'once');
  assert.equal(smtp.messages.length, 1);
});
