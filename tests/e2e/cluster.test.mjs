// Two tapin instances on one PostgreSQL behind nginx, as deploy/ describes:
// the browser journey through the proxy, a passkey registration that
// starts on one instance and finishes on the other, a one-time pass raced
// 200 times across both, and a lockout reached on one holding on the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, createServer } from 'node:net';
import { browser, signIn, authenticators, api, waitUntil, freePort, DIST } from './helpers.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const TAPIN = join(ROOT, 'target/debug/tapin');
const PG = process.env.TAPIN_E2E_POSTGRES;
const ADA = 'ada@contoso.com';
let dir;
let keyFile;
const procs = [];
let instances;
let proxy;
let chrome;

const cli = (...args) => execFileSync(TAPIN, ['--db', PG, '--secret-key-file', keyFile, ...args], { encoding: 'utf8' });
const issue = (upn, ...args) => JSON.parse(cli('tap', 'issue', upn, '--json', ...args));

async function startInstance(db = PG) {
  const proc = spawn(TAPIN, ['--db', db, '--secret-key-file', keyFile, 'serve', '--addr', '127.0.0.1:0',
    '--dist', DIST, '--trusted-proxy', '127.0.0.1', '--hash-queue', '400'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPIN_LOG: 'warn' },
  });
  procs.push(proc);
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/(\S+)/);
      if (m) ok(m[1].replace('localhost', '127.0.0.1'));
    });
    proc.on('exit', (code) => fail(new Error(`tapin exited with ${code}: ${err}`)));
  });
}

before(async () => {
  assert.ok(PG, 'TAPIN_E2E_POSTGRES names an empty PostgreSQL database (cargo xtask test sets it)');
  dir = mkdtempSync(join(tmpdir(), 'tapin-cluster-'));
  chmodSync(dir, 0o777);
  keyFile = join(dir, 'tapin.key');
  cli('policy', 'set', '--enabled', 'true', '--max-lifetime', '43200');
  for (const upn of [ADA, 'bob@contoso.com', 'carol@contoso.com']) {
    cli('user', 'add', upn, '--name', upn.split('@')[0]);
  }
  instances = [await startInstance(), await startInstance()];
  // nginx as an unprivileged user, everything in the temporary directory;
  // the proxy settings are deploy/'s own file.
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream tapin {
    server ${instances[0]};
    server ${instances[1]};
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    # Which instance answered, for the test to see the requests alternate.
    add_header X-Instance $upstream_addr always;
    include ${ROOT}/deploy/nginx-tapin-proxy.conf;
  }
}
`);
  proxy = spawn('/usr/sbin/nginx', ['-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { uid: 65534, gid: 65534, stdio: 'ignore' });
  procs.push(proxy);
  const url = `http://localhost:${port}`;
  await waitUntil('nginx to answer /healthz', async () => (await fetch(`${url}/healthz`)).ok);
  proxy.url = url;
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  for (const p of procs) p.kill('SIGTERM');
});

test('through nginx to two instances: pass sign-in, a passkey registered across both, sign out, passkey sign-in', async (t) => {
  const context = await chrome.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const keys = await authenticators(context, page);
  const seen = [];
  page.on('response', (res) => {
    if (res.url().includes('/api/v1/methods/webauthn/')) seen.push([new URL(res.url()).pathname, res.headers()['x-instance']]);
  });
  await signIn(page, proxy.url, ADA, issue(ADA, '--one-time').temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();

  // Registrations until one starts on one instance and finishes on the other.
  for (let i = 1; i <= 4; i++) {
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByLabel('Name', { exact: true }).fill(`Laptop ${i}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.success').getByText(`Passkey “Laptop ${i}” was added.`).waitFor();
    const [start, finish] = seen.slice(-2);
    assert.deepEqual([start[0], finish[0]], ['/api/v1/methods/webauthn/start', '/api/v1/methods/webauthn/finish']);
    if (start[1] !== finish[1]) break;
  }
  const [start, finish] = seen.slice(-2);
  assert.notEqual(start[1], finish[1], `started on ${start[1]}, finished on ${finish[1]}`);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  assert.equal((await api(page, 'GET', '/api/v1/session')).status, 401);
  await keys.usePlatform();
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  await page.getByText('Laptop 1').waitFor();
  assert.match(cli('audit', '--user', ADA), /pass_sign_in[\s\S]*method_added[\s\S]*passkey_sign_in/);
});

test('a one-time pass redeemed 200 times at once across both instances is accepted exactly once', async () => {
  const pass = issue('bob@contoso.com', '--one-time').temporaryAccessPass;
  const tries = await Promise.all(Array.from({ length: 200 }, (_, i) => fetch(`http://${instances[i % 2]}/api/v1/signin/pass`, {
    method: 'POST',
    // Each from its own client (the instances trust 127.0.0.1 as a proxy), so
    // lockout does not stop the race before it is run.
    headers: { 'content-type': 'application/json', origin: `http://${instances[i % 2]}`, 'x-forwarded-for': `198.51.100.${i % 250}` },
    body: JSON.stringify({ upn: 'bob@contoso.com', pass }),
  }).then((r) => r.status)));
  const counts = tries.reduce((c, s) => ({ ...c, [s]: (c[s] ?? 0) + 1 }), {});
  assert.equal(counts[200], 1, `statuses: ${JSON.stringify(counts)}`);
  assert.equal(tries.filter((s) => s >= 500).length, 0, `statuses: ${JSON.stringify(counts)}`);
  assert.equal((cli('audit', '--user', 'bob@contoso.com', '--kind', 'pass_sign_in').match(/pass_sign_in/g) ?? []).length, 1);
});

test('a lockout reached through one instance holds on the other', async () => {
  const pass = issue('carol@contoso.com').temporaryAccessPass;
  const post = (instance, code) => fetch(`http://${instance}/api/v1/signin/pass`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://${instance}`, 'x-forwarded-for': '203.0.113.9' },
    body: JSON.stringify({ upn: 'carol@contoso.com', pass: code }),
  });
  for (let i = 0; i < 10; i++) assert.equal((await post(instances[0], 'WRNGPASS2345')).status, 401);
  const other = await post(instances[1], pass);
  assert.equal(other.status, 429, 'the right pass from the locked-out client is refused on the other instance too');
  assert.equal((await other.json()).code, 'too_many_attempts');
  // The owner, from another client, still signs in.
  const owner = await fetch(`http://${instances[1]}/api/v1/signin/pass`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://${instances[1]}`, 'x-forwarded-for': '192.0.2.44' },
    body: JSON.stringify({ upn: 'carol@contoso.com', pass }),
  });
  assert.equal(owner.status, 200);
});

test('with PostgreSQL away, requests are answered 503 unavailable within a second, and the instance recovers by itself', async () => {
  // A relay in front of PostgreSQL that can be cut, as a stopped server or
  // a lost network would: open connections drop, new ones are refused.
  const target = new URL(PG);
  const live = new Set();
  let away = false;
  const relay = createServer((downstream) => {
    if (away) { downstream.destroy(); return; }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const pair = [downstream, upstream];
    for (const s of pair) {
      live.add(s);
      s.on('error', () => pair.forEach((x) => x.destroy()));
      s.on('close', () => { pair.forEach((x) => x.destroy()); live.delete(s); });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise((ok) => relay.listen(0, '127.0.0.1', ok));
  try {
    const through = new URL(PG);
    through.host = `127.0.0.1:${relay.address().port}`;
    const instance = await startInstance(through.toString());
    cli('user', 'add', 'dora@contoso.com', '--name', 'Dora');
    const pass = issue('dora@contoso.com').temporaryAccessPass;
    const signIn = await fetch(`http://${instance}/api/v1/signin/pass`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://${instance}` },
      body: JSON.stringify({ upn: 'dora@contoso.com', pass }),
    });
    assert.equal(signIn.status, 200);
    const cookie = signIn.headers.get('set-cookie').split(';')[0];
    const session = () => fetch(`http://${instance}/api/v1/session`, { headers: { cookie } });
    assert.equal((await session()).status, 200);

    away = true;
    for (const s of live) s.destroy();
    const timed = async (what, request) => {
      const started = performance.now();
      const res = await request();
      const ms = performance.now() - started;
      assert.equal(res.status, 503, `${what}: ${res.status}`);
      assert.equal((await res.json()).code, 'unavailable', what);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, `${what} says when to retry`);
      assert.ok(ms < 1000, `${what} answered in ${ms.toFixed(0)} ms, not within a second`);
    };
    await timed('the session (the edge)', session);
    await timed('readiness', () => fetch(`http://${instance}/readyz`));
    await timed('a sign-in (a blocking read)', () => fetch(`http://${instance}/api/v1/signin/pass`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://${instance}` },
      body: JSON.stringify({ upn: 'dora@contoso.com', pass: 'WRNGPASS2345' }),
    }));

    away = false;
    const deadline = Date.now() + 15000;
    let last;
    while (Date.now() < deadline) {
      last = [(await session()).status, (await fetch(`http://${instance}/readyz`)).status];
      if (last.every((s) => s === 200)) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.deepEqual(last, [200, 200], 'the session and readiness answer again once PostgreSQL is back (within 15 s)');
  } finally {
    relay.close();
    for (const s of live) s.destroy();
  }
});
