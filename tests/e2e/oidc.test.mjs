// tapin as an OpenID Connect provider, met by independent libraries:
// `openid-client` runs the code flow with PKCE, `jose` verifies the ID
// tokens against the published JWKS (before and after `tapin keys rotate`),
// and plain fetch checks that every broken rule gets the right OAuth error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startServerOn, cli, issue, totp } from './helpers.mjs';

const ADA = 'ada@contoso.com';
const RP = 'http://localhost:9/cb'; // never contacted: the code is read off the redirect
let server, issuer, wiki, spa, legacy, moveClock;

before(async () => {
  const clock = join(mkdtempSync(join(tmpdir(), 'tapin-clock-')), 'clock');
  writeFileSync(clock, '0');
  moveClock = (s) => writeFileSync(clock, String(s));
  const started = await startServerOn((port) => ['--addr', `127.0.0.1:${port}`, '--public-origin', `http://localhost:${port}`, '--test-clock-file', clock]);
  server = started.server;
  issuer = `http://localhost:${started.port}`;
  cli(server.db, 'policy', 'set', '--enabled', 'true', '--max-lifetime', '480');
  cli(server.db, 'user', 'add', ADA, '--name', 'Ada Lovelace', '--group', 'staff');
  const add = (...args) => JSON.parse(cli(server.db, 'client', 'add', ...args, '--json'));
  wiki = add('Wiki', '--redirect-uri', RP, '--post-logout-uri', 'http://localhost:9/bye');
  spa = add('Board', '--public', '--redirect-uri', RP);
  legacy = add('Legacy', '--id-token-alg', 'RS256', '--redirect-uri', RP);
});
after(() => server.stop());

/** A fresh pass session for Ada: the cookie, as a browser would hold it. */
async function passSession() {
  const { temporaryAccessPass: pass } = issue(server.db, ADA, '--lifetime', '60');
  const res = await fetch(`${issuer}/api/v1/signin/pass`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: issuer },
    body: JSON.stringify({ upn: ADA, pass }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = res.headers.get('set-cookie').split(';')[0];
  return cookie;
}

async function authorize(params, cookie) {
  const url = new URL(`${issuer}/oauth2/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

async function pkce() {
  const verifier = oidc.randomPKCECodeVerifier();
  return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

async function code(client, cookie, extra = {}) {
  const { verifier, challenge } = await pkce();
  const res = await authorize({
    response_type: 'code', client_id: client.client_id, redirect_uri: RP, scope: 'openid profile',
    state: 's1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  }, cookie);
  assert.equal(res.status, 303, res.text);
  const back = new URL(res.location);
  return { back, verifier, code: back.searchParams.get('code') };
}

async function token(form, basic) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic.client_id}:${basic.client_secret}`).toString('base64')}`;
  const res = await fetch(`${issuer}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

function oauthError(res, status, error) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.equal(typeof res.body.error_description, 'string');
}

async function configFor(client, alg = 'ES256') {
  const metadata = { id_token_signed_response_alg: alg };
  if (client.client_secret) metadata.client_secret = client.client_secret;
  return oidc.discovery(new URL(issuer), client.client_id, metadata, undefined, { execute: [oidc.allowInsecureRequests] });
}

test('openid-client signs Ada in to a confidential client with a pass session; jose verifies the ID token', async () => {
  const cookie = await passSession();
  const config = await configFor(wiki);
  const { verifier, challenge } = await pkce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP, scope: 'openid profile email', state: 'st-1', nonce: 'no-1',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const res = await fetch(url, { redirect: 'manual', headers: { cookie } });
  assert.equal(res.status, 303);
  const back = new URL(res.headers.get('location'));
  assert.equal(back.searchParams.get('iss'), issuer, 'RFC 9207: the issuer comes back with the code');
  assert.equal(back.searchParams.get('state'), 'st-1');
  const tokens = await oidc.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier, expectedState: 'st-1', expectedNonce: 'no-1',
  });
  const claims = tokens.claims();
  assert.equal(claims.preferred_username, ADA);
  assert.equal(claims.name, 'Ada Lovelace');
  assert.notEqual(claims.sub, ADA, 'sub is stable and not the account name');
  assert.match(claims.sub, /^[0-9a-f-]{36}$/);
  assert.deepEqual(claims.amr, ['pwd']);
  assert.equal(claims.acr, 'urn:tapin:acr:pass');
  assert.equal(claims.nonce, 'no-1');
  assert.ok(claims.auth_time <= claims.iat);

  const jwks = createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`));
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: wiki.client_id });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, claims.sub);

  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.preferred_username, ADA);

  // The same session signs in to a second client at once (single sign-on).
  const again = await code(legacy, cookie);
  const legacyTokens = await token({ grant_type: 'authorization_code', code: again.code, redirect_uri: RP, code_verifier: again.verifier }, legacy);
  assert.equal(legacyTokens.status, 200);
  const legacyHeader = decodeProtectedHeader(legacyTokens.body.id_token);
  assert.equal(legacyHeader.alg, 'RS256', 'a client registered for RS256 gets RS256');
  await jwtVerify(legacyTokens.body.id_token, jwks, { issuer, audience: legacy.client_id });
});

test('discovery names the endpoints, S256 only, and the iss response parameter', async () => {
  const d = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  assert.equal(d.issuer, issuer);
  assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(d.id_token_signing_alg_values_supported, ['ES256', 'RS256']);
  assert.equal(d.authorization_response_iss_parameter_supported, true);
  assert.equal(d.end_session_endpoint, `${issuer}/oauth2/logout`);
  const keys = (await (await fetch(d.jwks_uri)).json()).keys;
  assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  for (const k of keys) assert.equal(k.d, undefined, 'no private part is published');
});

test('each broken rule is refused with the right OAuth error', async () => {
  const cookie = await passSession();
  const { challenge } = await pkce();
  const base = { response_type: 'code', client_id: wiki.client_id, redirect_uri: RP, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 'x' };

  // A redirect URI not registered exactly: shown to the person, never redirected to.
  for (const redirect_uri of [`${RP}/`, `${RP}?a=1`, 'http://localhost:9/other', 'http://evil.example/cb']) {
    const res = await authorize({ ...base, redirect_uri }, cookie);
    assert.equal(res.status, 400);
    assert.equal(res.location, null);
    assert.match(res.text, /not registered/);
  }
  const unknown = await authorize({ ...base, client_id: 'nobody' }, cookie);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.location, null);
  // In the language the browser asks for, among those the app speaks.
  for (const [lang, words, dir] of [['de-AT,de;q=0.9', /Diese Anmeldeanfrage kann nicht abgeschlossen werden/, 'ltr'], ['ar-EG', /لا يمكن إكمال طلب تسجيل الدخول هذا/, 'rtl']]) {
    const url = new URL(`${issuer}/oauth2/authorize`);
    for (const [k, v] of Object.entries({ ...base, redirect_uri: 'http://evil.example/cb' })) url.searchParams.set(k, v);
    const page = await fetch(url, { redirect: 'manual', headers: { cookie, 'accept-language': lang } });
    const html = await page.text();
    assert.equal(page.status, 400);
    assert.match(html, words);
    assert.match(html, new RegExp(`lang="${lang.slice(0, 2)}" dir="${dir}"`));
    assert.match(html, /Wiki/, 'names the application');
  }

  const errorOf = (res) => {
    assert.equal(res.status, 303);
    const u = new URL(res.location);
    assert.equal(u.searchParams.get('iss'), issuer);
    return u.searchParams.get('error');
  };
  // A public client must use PKCE; plain is never accepted.
  assert.equal(errorOf(await authorize({ ...base, client_id: spa.client_id, code_challenge: undefined, code_challenge_method: undefined }, cookie)), 'invalid_request');
  assert.equal(errorOf(await authorize({ ...base, code_challenge_method: 'plain' }, cookie)), 'invalid_request');
  assert.equal(errorOf(await authorize({ ...base, scope: 'profile' }, cookie)), 'invalid_scope');
  assert.equal(errorOf(await authorize({ ...base, response_type: 'token' }, cookie)), 'unsupported_response_type');
  // prompt=none with no session: login_required, nothing shown.
  assert.equal(errorOf(await authorize({ ...base, prompt: 'none' })), 'login_required');
  // max_age=0 and prompt=login: a fresh sign-in, even with a session.
  for (const extra of [{ max_age: '0' }, { prompt: 'login' }]) {
    const fresh = await authorize({ ...base, ...extra }, cookie);
    assert.equal(fresh.status, 303);
    assert.match(fresh.location, /^\/signin\?request=/);
  }

  // Missing or wrong PKCE verifier.
  let c = await code(wiki, cookie);
  oauthError(await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP }, wiki), 400, 'invalid_grant');
  c = await code(wiki, cookie);
  oauthError(await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: (await pkce()).verifier }, wiki), 400, 'invalid_grant');
  // Wrong secret; unknown client.
  c = await code(wiki, cookie);
  const wrong = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, { ...wiki, client_secret: 'tapin_cs_wrong' });
  oauthError(wrong, 401, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate'), /^Basic/);
  // A code for another client, or another redirect URI.
  c = await code(wiki, cookie);
  oauthError(await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, legacy), 400, 'invalid_grant');
  // Replayed: refused, and the access token it issued stops working.
  c = await code(wiki, cookie);
  const first = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, wiki);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('cache-control'), 'no-store');
  const userinfo = () => fetch(`${issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
  assert.equal((await userinfo()).status, 200);
  oauthError(await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, wiki), 400, 'invalid_grant');
  const revoked = await userinfo();
  assert.equal(revoked.status, 401);
  assert.match(revoked.headers.get('www-authenticate'), /invalid_token/);
  // Expired: a code lives 60 seconds.
  c = await code(wiki, cookie);
  moveClock(61);
  try {
    oauthError(await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, wiki), 400, 'invalid_grant');
  } finally {
    moveClock(0);
  }
  oauthError(await token({ grant_type: 'password', username: ADA }, wiki), 400, 'unsupported_grant_type');
});

test('an authenticator-app code signs in once; a code session cannot remove what is stronger', async () => {
  const cookie = await passSession();
  const headers = { 'content-type': 'application/json', origin: issuer, cookie };
  const started = await (await fetch(`${issuer}/api/v1/methods/authenticator/start`, { method: 'POST', headers, body: '{}' })).json();
  const added = await fetch(`${issuer}/api/v1/methods/authenticator/finish`, {
    method: 'POST', headers, body: JSON.stringify({ id: started.id, code: totp(started.secret), name: 'Phone app' }),
  });
  assert.equal(added.status, 201, await added.clone().text());
  // The step just used at registration is spent too: wait for a fresh one.
  moveClock(31);
  try {
    const now = Date.now() + 31_000;
    const signIn = () => fetch(`${issuer}/api/v1/signin/code`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: issuer },
      body: JSON.stringify({ upn: ADA, code: totp(started.secret, now) }),
    });
    const once = await signIn();
    assert.equal(once.status, 200, await once.clone().text());
    const twice = await signIn();
    assert.equal(twice.status, 400);
    assert.equal((await twice.json()).code, 'code_invalid');

    // The code session signs in to a client with amr otp.
    const codeCookie = once.headers.get('set-cookie').split(';')[0];
    const c = await code(wiki, codeCookie);
    const t = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, wiki);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`));
    const { payload } = await jwtVerify(t.body.id_token, jwks, { issuer, audience: wiki.client_id });
    assert.deepEqual(payload.amr, ['otp']);
    assert.equal(payload.acr, 'urn:tapin:acr:code');
  } finally {
    moveClock(0);
  }
  // Unknown and known accounts get answers of the same shape.
  const options = async (upn) => (await fetch(`${issuer}/api/v1/signin/options`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: issuer }, body: JSON.stringify({ upn }),
  })).json();
  assert.deepEqual(await options(ADA), { methods: ['authenticator_app', 'pass'] });
  const ghost = await options('ghost@contoso.com');
  assert.deepEqual(Object.keys(ghost), ['methods']);
  assert.equal(ghost.methods.at(-1), 'pass');
  assert.deepEqual(await options('ghost@contoso.com'), ghost, 'the same answer every time');
});

test('ID tokens verify before and after tapin keys rotate; logout ends the session', async () => {
  const cookie = await passSession();
  const issueToken = async () => {
    const c = await code(wiki, cookie);
    const t = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: RP, code_verifier: c.verifier }, wiki);
    assert.equal(t.status, 200);
    return t.body.id_token;
  };
  const before = await issueToken();
  const oldKid = decodeProtectedHeader(before).kid;
  const out = cli(server.db, 'keys', 'rotate');
  assert.match(out, /new signing keys/);
  // The server keeps its opened keys for 5 s: the rotation (made by another
  // process, as by another instance) reaches it within seconds.
  const rotated = Date.now();
  let after = await issueToken();
  while (decodeProtectedHeader(after).kid === oldKid && Date.now() - rotated < 10000) {
    await new Promise((ok) => setTimeout(ok, 250));
    after = await issueToken();
  }
  const newKid = decodeProtectedHeader(after).kid;
  assert.notEqual(newKid, oldKid);
  assert.ok(Date.now() - rotated < 7000, `the new key was used within ${Date.now() - rotated} ms`);
  // A fresh key set, as a relying party fetches it after seeing a new kid.
  const jwks = createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`));
  for (const t of [before, after]) await jwtVerify(t, jwks, { issuer, audience: wiki.client_id });
  const kids = (await (await fetch(`${issuer}/oauth2/jwks`)).json()).keys.map((k) => k.kid);
  assert.ok(kids.includes(oldKid) && kids.includes(newKid));

  // RP-initiated logout: only to a registered address, and the session ends.
  const bad = await fetch(`${issuer}/oauth2/logout?${new URLSearchParams({ id_token_hint: after, post_logout_redirect_uri: 'http://evil.example/' })}`, { redirect: 'manual' });
  assert.equal(bad.status, 400);
  const res = await fetch(`${issuer}/oauth2/logout?${new URLSearchParams({ id_token_hint: after, post_logout_redirect_uri: 'http://localhost:9/bye', state: 'bye-1' })}`, { redirect: 'manual' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), 'http://localhost:9/bye?state=bye-1');
  const session = await fetch(`${issuer}/api/v1/session`, { headers: { cookie } });
  assert.equal(session.status, 401, 'the tapin session the ID token came from is over');
  assert.equal((await authorize({ response_type: 'code', client_id: wiki.client_id, redirect_uri: RP, scope: 'openid', prompt: 'none', state: 'z' }, cookie)).location.includes('error=login_required'), true);
});

test('a kept request is bound to the browser that made it and continued only by a POST from tapin; logout without id_token_hint asks first', async () => {
  const base = { response_type: 'code', client_id: wiki.client_id, redirect_uri: RP, scope: 'openid', state: 's' };
  const kept = await authorize(base);
  assert.equal(kept.status, 303);
  const id = new URL(kept.location, issuer).searchParams.get('request');
  assert.match(id, /^[0-9a-f]{32}$/);
  // fetch keeps no cookies: read the binding the way a browser would store it.
  const res = await fetch(`${issuer}/oauth2/authorize?${new URLSearchParams(base)}`, { redirect: 'manual' });
  const binding = res.headers.get('set-cookie').split(';')[0];
  assert.match(binding, /^__Host-tapin-authz=[0-9a-f]{64}$/);
  assert.match(res.headers.get('set-cookie'), /HttpOnly; Secure; SameSite=Lax/);
  const boundId = new URL(res.headers.get('location'), issuer).searchParams.get('request');

  const cookie = await passSession();
  const info = (c) => fetch(`${issuer}/api/v1/signin/request/${boundId}`, { headers: { cookie: c } });
  assert.equal((await info(cookie)).status, 404, 'another browser cannot read it');
  assert.equal((await info(`${cookie}; ${binding}`)).status, 200);
  const go = (c, origin = issuer) => fetch(`${issuer}/oauth2/authorize/continue`, {
    method: 'POST', headers: { cookie: c, origin, 'content-type': 'application/json' },
    body: JSON.stringify({ request: boundId }),
  });
  assert.equal((await go(cookie)).status, 404, 'a signed-in victim cannot be walked through it');
  assert.equal((await go(`${cookie}; ${binding}`, 'http://evil.example')).status, 403);
  const byGet = await fetch(`${issuer}/oauth2/authorize/continue?request=${boundId}&consent=allow`, { headers: { cookie: `${cookie}; ${binding}` }, redirect: 'manual' });
  assert.equal(byGet.status, 405, 'no consent or continue by GET');
  const done = await go(`${cookie}; ${binding}`);
  assert.equal(done.status, 200);
  assert.match((await done.json()).redirect_to, /^http:\/\/localhost:9\/cb\?code=/);

  // Limits on what an anonymous caller may make tapin keep.
  const long = await authorize({ ...base, state: 'x'.repeat(600) });
  assert.match(long.location, /error=invalid_request/);
  assert.doesNotMatch(long.location, /x{600}/);
  assert.match((await authorize({ ...base, prompt: 'select_everything' })).location, /error=invalid_request/);

  // Logout without an ID token: a page that asks, and the session lives on.
  const ask = await fetch(`${issuer}/oauth2/logout`, { headers: { cookie }, redirect: 'manual' });
  assert.equal(ask.status, 200);
  assert.match(await ask.text(), /<form method="post" action="\/oauth2\/logout">/);
  assert.equal((await fetch(`${issuer}/api/v1/session`, { headers: { cookie } })).status, 200);
  const forged = await fetch(`${issuer}/oauth2/logout`, { method: 'POST', headers: { cookie, origin: 'http://evil.example' }, redirect: 'manual' });
  assert.equal(forged.status, 403);
  const confirmed = await fetch(`${issuer}/oauth2/logout`, { method: 'POST', headers: { cookie, origin: issuer, 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
  assert.equal(confirmed.status, 303);
  assert.equal((await fetch(`${issuer}/api/v1/session`, { headers: { cookie } })).status, 401, 'the old cookie no longer works');
});
