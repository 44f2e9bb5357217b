// The HTTP surface as a browser or attacker meets it: headers, cookie,
// compression, Origin check, body cap and the error shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, seed, issue } from './helpers.mjs';

let server;
before(async () => { server = await startServer(); seed(server.db); });
after(() => server.stop());

const post = (body, headers = {}) => fetch(`${server.url}/api/v1/signin/pass`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: server.url, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

test('pages carry a strict CSP, no-referrer, nosniff and frame-ancestors none', async () => {
  const res = await fetch(server.url);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.doesNotMatch(await res.text(), /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
});

test('the app is served brotli-compressed to browsers that accept it', async () => {
  const page = await fetch(server.url, { headers: { 'accept-encoding': 'br' } });
  assert.equal(page.headers.get('content-encoding'), 'br');
  const wasm = (await page.text()).match(/href="(\/[^"]+\.wasm)"/)[1];
  const res = await fetch(`${server.url}${wasm}`, { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(res.headers.get('content-encoding'), 'br');
  assert.equal(res.headers.get('content-type'), 'application/wasm');
});

test('a successful sign-in sets a __Host- cookie that is HttpOnly, Secure and SameSite=Strict, and its Lax single-sign-on twin', async () => {
  const { temporaryAccessPass } = issue(server.db, 'ada@contoso.com');
  const res = await post({ upn: 'ada@contoso.com', pass: temporaryAccessPass });
  assert.equal(res.status, 200);
  const [cookie, sso, ...rest] = res.headers.getSetCookie();
  assert.match(cookie, /^__Host-tapin=[0-9a-f]{64}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/);
  // Read only by /oauth2/authorize (single sign-on from other sites).
  assert.match(sso, /^__Host-tapin-sso=[0-9a-f]{64}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/);
  assert.deepEqual(rest, []);
  const ssoOnly = await fetch(`${server.url}/api/v1/session`, { headers: { cookie: sso.split(';')[0] } });
  assert.equal(ssoOnly.status, 401, 'the twin alone opens no API');
  const session = await (await fetch(`${server.url}/api/v1/session`, { headers: { cookie: cookie.split(';')[0] } })).json();
  assert.equal(session.upn, 'ada@contoso.com');
  assert.equal(session.passwordless_deadline, null);
  // Times are milliseconds since the epoch: a browser's Date takes them as they are.
  assert.ok(Number.isInteger(session.server_time) && Math.abs(session.server_time - Date.now()) < 60_000, `${session.server_time}`);
  assert.ok(Number.isInteger(session.expires_at) && session.expires_at > session.server_time);
});

test('a sign-in from a foreign origin is refused before anything is checked', async () => {
  const res = await post({ upn: 'ada@contoso.com', pass: 'ZZZZZZZZ' }, { origin: 'https://evil.example' });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).code, 'forbidden');
});

test('bad input gets 400 invalid_input with the field named', async () => {
  const res = await post({ upn: 'not-an-account', pass: 'ZZZZZZZZ' });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.deepEqual([body.code, body.field], ['invalid_input', 'upn']);
  const garbage = await post('{"upn": 1');
  assert.equal(garbage.status, 400);
  assert.equal((await garbage.json()).code, 'invalid_input');
});

test('an oversized body is refused with 413', async () => {
  const res = await post({ upn: 'ada@contoso.com', pass: 'A'.repeat(20000) });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).code, 'payload_too_large');
});

test('a locked account answers 429 with Retry-After', async () => {
  for (let i = 0; i < 10; i++) await post({ upn: 'locked@contoso.com', pass: 'ZZZZZZZZ' });
  const res = await post({ upn: 'locked@contoso.com', pass: 'ZZZZZZZZ' });
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  assert.equal((await res.json()).code, 'too_many_attempts');
});

test('without a session, the session endpoint answers 401 not_signed_in', async () => {
  const res = await fetch(`${server.url}/api/v1/session`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'not_signed_in');
});

test('the OpenAPI document describes the pass sign-in', async () => {
  const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
  assert.ok(doc.paths['/api/v1/signin/pass'].post.responses['429']);
});
