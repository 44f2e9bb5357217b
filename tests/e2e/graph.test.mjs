// The Graph-shaped admin API as a help desk's script meets it: plain
// fetch with a bearer token from `tapin token create`, Graph's field
// names, statuses and error shape, against a real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, totp } from './helpers.mjs';

let server, graph, full, readOnly, revoked;

const token = (...args) => JSON.parse(cli(server.db, 'token', 'create', '--json', ...args));

before(async () => {
  server = await startServer();
  const db = server.db;
  cli(db, 'policy', 'set', '--enabled', 'true', '--min-lifetime', '60', '--max-lifetime', '480');
  cli(db, 'user', 'add', 'ada@contoso.com', '--name', 'Ada Lovelace', '--group', 'staff');
  cli(db, 'user', 'add', 'pat@contoso.com', '--name', 'Pat Privileged', '--role', 'admin',
    '--admin-role', 'privileged-authentication-administrator', '--admin-role', 'authentication-policy-administrator');
  full = token('--as', 'pat@contoso.com', '--name', 'onboarding');
  readOnly = token('--as', 'pat@contoso.com', '--name', 'reports', '--read-only');
  revoked = token('--as', 'pat@contoso.com', '--name', 'old');
  cli(db, 'token', 'revoke', revoked.id);
  graph = `${server.url}/graph/v1.0`;
});
after(() => server.stop());

/**
 * The `@odata.type` Microsoft's Graph SDKs put in every body they send
 * (the resource's own, and each policy target's), so every body here
 * carries it as theirs do.
 */
function asTheSdksSend(method, path, body) {
  if (body === null || typeof body !== 'object') return body;
  const type = path.endsWith('/temporaryAccessPassMethods') ? 'temporaryAccessPassAuthenticationMethod'
    : path === POLICY ? 'temporaryAccessPassAuthenticationMethodConfiguration'
      : path === FIDO2 ? 'fido2AuthenticationMethodConfiguration'
        : /^\/users\/[^/]+$/.test(path) ? 'user' : null;
  const typed = type ? { '@odata.type': `#microsoft.graph.${type}`, ...body } : { ...body };
  const included = path === FIDO2 ? 'passkeyAuthenticationMethodTarget' : 'authenticationMethodTarget';
  for (const [list, target] of [['includeTargets', included], ['excludeTargets', 'excludeTarget']]) {
    if (Array.isArray(typed[list])) typed[list] = typed[list].map((t) => ({ '@odata.type': `#microsoft.graph.${target}`, ...t }));
  }
  const restricted = (r) => ({ '@odata.type': '#microsoft.graph.fido2KeyRestrictions', ...r });
  if (typed.keyRestrictions) typed.keyRestrictions = restricted(typed.keyRestrictions);
  if (Array.isArray(typed.passkeyProfiles)) {
    typed.passkeyProfiles = typed.passkeyProfiles.map((p) => ({
      '@odata.type': '#microsoft.graph.passkeyProfile', ...p, keyRestrictions: restricted(p.keyRestrictions),
    }));
  }
  return typed;
}

async function call(method, path, { as = full, body: given, sdk = true } = {}) {
  const headers = { authorization: `Bearer ${as.token}` };
  const body = sdk ? asTheSdksSend(method, path, given) : given;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${graph}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Graph's error shape, and nothing of tapin's own around it. */
function graphError(res, status, code) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body), ['error']);
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0);
}

const PASSES = '/users/ada@contoso.com/authentication/temporaryAccessPassMethods';
const POLICY = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
const FIDO2 = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2';
const DEFAULT_PROFILE = '00000000-0000-0000-0000-000000000001';

test('a pass is created, listed, read and deleted; its code is shown once and signs in', async () => {
  const created = await call('POST', PASSES, { body: { lifetimeInMinutes: 120, isUsableOnce: true } });
  assert.equal(created.status, 201);
  const pass = created.body;
  assert.equal(pass['@odata.type'], '#microsoft.graph.temporaryAccessPassAuthenticationMethod');
  assert.match(pass.temporaryAccessPass, /^[A-Z2-9#]{8}$/);
  assert.equal(pass.lifetimeInMinutes, 120);
  assert.equal(pass.isUsableOnce, true);
  assert.equal(pass.isUsable, true);
  assert.equal(pass.methodUsabilityReason, 'EnabledByPolicy');
  for (const field of ['createdDateTime', 'startDateTime']) assert.ok(!Number.isNaN(Date.parse(pass[field])), field);

  const list = await call('GET', PASSES);
  assert.equal(list.status, 200);
  assert.equal(list.body.value.length, 1);
  assert.equal(list.body.value[0].id, pass.id);
  assert.equal(list.body.value[0].temporaryAccessPass, undefined, 'the code is never shown again');

  // The same user by id, as Graph scripts address users too.
  const user = (await call('GET', '/users/ada@contoso.com')).body;
  const one = await call('GET', `/users/${user.id}/authentication/temporaryAccessPassMethods/${pass.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.temporaryAccessPass, undefined);
  assert.equal(one.body.startDateTime, list.body.value[0].startDateTime);

  const methods = await call('GET', '/users/ada@contoso.com/authentication/methods');
  assert.deepEqual(methods.body.value.map((m) => m['@odata.type']), ['#microsoft.graph.temporaryAccessPassAuthenticationMethod']);

  const signIn = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass: pass.temporaryAccessPass }),
  });
  assert.equal(signIn.status, 200, 'the issued code signs in');
  const used = await call('GET', `${PASSES}/${pass.id}`);
  assert.equal(used.body.methodUsabilityReason, 'OneTimeUsed');
  assert.equal(used.body.isUsable, false);

  assert.equal((await call('DELETE', `${PASSES}/${pass.id}`)).status, 204);
  graphError(await call('GET', `${PASSES}/${pass.id}`), 404, 'Request_ResourceNotFound');
  assert.deepEqual((await call('GET', PASSES)).body.value, []);
  graphError(await call('DELETE', `${PASSES}/${pass.id}`), 404, 'Request_ResourceNotFound');
});

test('a delayed start is kept, and the pass is not yet usable', async () => {
  const start = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, '+02:00');
  const created = await call('POST', PASSES, { body: { startDateTime: start } });
  assert.equal(created.status, 201);
  assert.equal(created.body.methodUsabilityReason, 'NotYetValid');
  assert.equal(Date.parse(created.body.startDateTime), Date.parse(start));
  assert.equal(created.body.lifetimeInMinutes, 60, 'the policy default');
  assert.equal(created.body.isUsableOnce, false, 'the policy default');
});

test('the policy is read and patched, with the same validation as the command line', async () => {
  const before = await call('GET', POLICY);
  assert.equal(before.status, 200);
  assert.equal(before.body.id, 'TemporaryAccessPass');
  assert.equal(before.body.state, 'enabled');
  assert.equal(before.body.defaultLifetimeInMinutes, 60);
  assert.deepEqual(before.body.includeTargets, [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }]);

  const patched = await call('PATCH', POLICY, { body: { defaultLifetimeInMinutes: 90, defaultLength: 12, excludeTargets: [{ targetType: 'group', id: 'contractors' }] } });
  assert.equal(patched.status, 204);
  const after = (await call('GET', POLICY)).body;
  assert.equal(after.defaultLifetimeInMinutes, 90);
  assert.equal(after.defaultLength, 12);
  assert.deepEqual(after.excludeTargets, [{ targetType: 'group', id: 'contractors' }]);
  assert.match(cli(server.db, 'policy', 'show'), /90/, 'the command line sees the same policy');

  const bad = await call('PATCH', POLICY, { body: { minimumLifetimeInMinutes: 300, maximumLifetimeInMinutes: 120 } });
  graphError(bad, 400, 'badRequest');
  graphError(await call('PATCH', POLICY, { body: { state: 'maybe' } }), 400, 'badRequest');
  assert.equal((await call('GET', POLICY)).body.minimumLifetimeInMinutes, 60, 'nothing half written');
  await call('PATCH', POLICY, { body: { defaultLifetimeInMinutes: 60, defaultLength: 8, excludeTargets: [] } });
});

test('a directory group the policy names is kept by its id, which GET /groups names', async () => {
  cli(server.db, 'group', 'add', 'Help desk', '--member', 'ada@contoso.com');
  const groups = await call('GET', '/groups?$select=id,displayName');
  assert.equal(groups.status, 200);
  const desk = groups.body.value.find((g) => g.displayName === 'Help desk');
  assert.match(desk.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(desk).sort(), ['displayName', 'id']);
  // Named by its name, the policy keeps its id, as Graph's targets do.
  assert.equal((await call('PATCH', POLICY, { body: { excludeTargets: [{ targetType: 'group', id: 'help desk' }] } })).status, 204);
  assert.deepEqual((await call('GET', POLICY)).body.excludeTargets, [{ targetType: 'group', id: desk.id }]);
  assert.match(cli(server.db, 'policy', 'show'), new RegExp(`group:Help desk \\(${desk.id}\\)`));
  graphError(await call('POST', PASSES, { body: {} }), 403, 'accessDenied');
  graphError(await call('GET', '/groups?$select=members'), 400, 'badRequest');
  await call('PATCH', POLICY, { body: { excludeTargets: [] } });
  cli(server.db, 'group', 'remove', 'Help desk');
});

test('the passkey profiles are read and patched as Graph shapes them, by a policy administrator only', async () => {
  const before = await call('GET', FIDO2);
  assert.equal(before.status, 200);
  assert.equal(before.body['@odata.type'], '#microsoft.graph.fido2AuthenticationMethodConfiguration');
  assert.equal(before.body.defaultPasskeyProfile, DEFAULT_PROFILE);
  assert.deepEqual(before.body.passkeyProfiles.map((p) => [p.id, p.passkeyTypes, p.attestationEnforcement]),
    [[DEFAULT_PROFILE, 'deviceBound,synced', 'disabled']]);
  cli(server.db, 'group', 'add', 'Admins', '--member', 'pat@contoso.com');
  const admins = (await call('GET', '/groups?$select=id,displayName')).body.value.find((g) => g.displayName === 'Admins');
  const ADMINS = '7f1f0a52-3f0e-4a1b-9d2c-1a2b3c4d5e6f';
  const GPM = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
  const none = { isEnforced: false, enforcementType: 'allow', aaGuids: [] };
  const profiles = [
    { id: ADMINS, name: 'Administrators', passkeyTypes: 'deviceBound', attestationEnforcement: 'registrationOnly', keyRestrictions: none },
    { id: DEFAULT_PROFILE, name: 'Default passkey profile', passkeyTypes: 'deviceBound,synced', attestationEnforcement: 'disabled', keyRestrictions: none },
  ];
  const targets = [
    { targetType: 'group', id: 'all_users', isRegistrationRequired: false, allowedPasskeyProfiles: [DEFAULT_PROFILE] },
    { targetType: 'group', id: 'Admins', isRegistrationRequired: false, allowedPasskeyProfiles: [ADMINS] },
  ];
  // The legacy tenant-wide knobs are the default profile's.
  const legacy = { isAttestationEnforced: false, keyRestrictions: { isEnforced: true, enforcementType: 'block', aaGuids: [GPM] } };
  const patch = { ...legacy, includeTargets: targets, passkeyProfiles: profiles };

  // Only an authentication policy administrator, and not with a read-only token.
  cli(server.db, 'user', 'add', 'desk@contoso.com', '--name', 'Desk', '--role', 'admin', '--admin-role', 'authentication-administrator');
  const desk = token('--as', 'desk@contoso.com', '--name', 'desk');
  graphError(await call('PATCH', FIDO2, { as: desk, body: patch }), 403, 'accessDenied');
  graphError(await call('PATCH', FIDO2, { as: readOnly, body: patch }), 403, 'accessDenied');
  // What tapin cannot mean is refused whole.
  const wrong = [
    { ...patch, keyRestrictions: { isEnforced: true, enforcementType: 'maybe', aaGuids: [] } },
    { ...patch, passkeyProfiles: [{ ...profiles[0], passkeyTypes: 'paper' }, profiles[1]] },
    { ...patch, passkeyProfiles: [{ ...profiles[0], passkeyTypes: 'deviceBound', keyRestrictions: { isEnforced: true, enforcementType: 'allow', aaGuids: [] } }, profiles[1]] },
    { ...patch, excludeTargets: [{ targetType: 'group', id: admins.id }] },
    { ...patch, includeTargets: [{ ...targets[1], allowedPasskeyProfiles: ['11111111-2222-3333-4444-555555555555'] }] },
    { ...patch, keyRestrictions: { isEnforced: true, enforcementType: 'block', aaGuids: ['not-a-guid'] } },
    { ...patch, state: 'disabled' },
  ];
  for (const body of wrong) graphError(await call('PATCH', FIDO2, { body }), 400, 'badRequest');
  assert.deepEqual((await call('GET', FIDO2)).body, before.body, 'nothing half written');

  assert.equal((await call('PATCH', FIDO2, { body: patch })).status, 204);
  const after = (await call('GET', FIDO2)).body;
  assert.deepEqual(after.passkeyProfiles.map((p) => [p.name, p.passkeyTypes, p.attestationEnforcement]),
    [['Administrators', 'deviceBound', 'registrationOnly'], ['Default passkey profile', 'deviceBound,synced', 'disabled']]);
  // The group named by its name is kept by its id.
  assert.deepEqual(after.includeTargets.find((t) => t.id !== 'all_users'),
    { targetType: 'group', id: admins.id, isRegistrationRequired: false, allowedPasskeyProfiles: [ADMINS] });
  assert.deepEqual(after.keyRestrictions, { isEnforced: true, enforcementType: 'block', aaGuids: [GPM] });
  assert.equal(after.passkeyProfiles[1].keyRestrictions.aaGuids[0], GPM);
  // The command line reads the same rules.
  const listed = cli(server.db, 'passkey-profile', 'list');
  assert.match(listed, /Administrators\n\s+for:\s+group:Admins/);
  assert.match(listed, /device-bound only, any model/);
  assert.match(listed, /all but 1 blocked models/);

  const unrestricted = { isEnforced: false, enforcementType: 'block', aaGuids: [] };
  assert.equal((await call('PATCH', FIDO2, {
    body: {
      keyRestrictions: unrestricted,
      includeTargets: [targets[0]],
      passkeyProfiles: [{ ...profiles[1], keyRestrictions: unrestricted }],
    },
  })).status, 204);
  assert.deepEqual((await call('GET', FIDO2)).body, before.body);
  cli(server.db, 'group', 'remove', 'Admins');
  cli(server.db, 'user', 'remove', 'desk@contoso.com');
});

test('users are found by the start of their account name, with $top', async () => {
  const res = await call('GET', `/users?$filter=${encodeURIComponent("startswith(userPrincipalName,'ad')")}&$top=5`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.value.map((u) => u.userPrincipalName), ['ada@contoso.com']);
  const all = await call('GET', '/users?$top=1');
  assert.equal(all.body.value.length, 1);
  graphError(await call('GET', '/users?$top=0'), 400, 'badRequest');
  graphError(await call('GET', `/users?$filter=${encodeURIComponent("endswith(mail,'x')")}`), 400, 'badRequest');
});

const refusals = () => cli(server.db, 'audit', '--kind', 'help_desk_refused', '--json')
  .trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

test('errors: lifetime out of policy, unknown user, read-only writing, revoked token, issuing for yourself', async () => {
  const refusedBefore = new Set(refusals().map((e) => JSON.stringify(e)));
  const outOfPolicy = await call('POST', PASSES, { body: { lifetimeInMinutes: 5 } });
  graphError(outOfPolicy, 400, 'badRequest');
  assert.match(outOfPolicy.body.error.message, /between 60 and 480/);

  graphError(await call('POST', '/users/nobody@contoso.com/authentication/temporaryAccessPassMethods', { body: {} }), 404, 'Request_ResourceNotFound');
  graphError(await call('GET', '/users/424242'), 404, 'Request_ResourceNotFound');
  graphError(await call('GET', '/users/00000000-0000-4000-8000-000000000000'), 404, 'Request_ResourceNotFound');

  graphError(await call('POST', PASSES, { as: readOnly, body: {} }), 403, 'accessDenied');
  graphError(await call('PATCH', POLICY, { as: readOnly, body: { defaultLifetimeInMinutes: 120 } }), 403, 'accessDenied');
  assert.equal((await call('GET', PASSES, { as: readOnly })).status, 200, 'a read-only token reads');

  const gone = await call('GET', PASSES, { as: revoked });
  graphError(gone, 401, 'InvalidAuthenticationToken');
  assert.match(gone.headers.get('www-authenticate'), /^Bearer/);
  graphError(await call('GET', PASSES, { as: { token: 'tapin_0000' } }), 401, 'InvalidAuthenticationToken');
  const none = await fetch(`${graph}/users`);
  assert.equal(none.status, 401);

  graphError(await call('POST', '/users/pat@contoso.com/authentication/temporaryAccessPassMethods', { body: {} }), 403, 'accessDenied');
  graphError(await call('POST', PASSES, { body: { lifetimeInMinutes: 'long' } }), 400, 'badRequest');
  graphError(await call('GET', '/nothing/here'), 404, 'Request_ResourceNotFound');

  // The three refusals by role (two read-only writes, issuing for
  // yourself) are in the audit trail, written by this test, with the acting
  // administrator and what was refused; no token is in it.
  const refused = refusals().filter((e) => !refusedBefore.has(JSON.stringify(e)));
  assert.equal(refused.length, 3, JSON.stringify(refused));
  assert.ok(refused.every((e) => e.actor === 'pat@contoso.com'), JSON.stringify(refused));
  assert.equal(refused.filter((e) => /own pass/.test(e.detail)).length, 1, JSON.stringify(refused));
  const audit = cli(server.db, 'audit', '--json');
  assert.doesNotMatch(audit, new RegExp(full.token));
});

test('a lost method is listed with its Graph type and deleted through its typed collection only', async () => {
  const pass = (await call('POST', PASSES, { body: {} })).body.temporaryAccessPass;
  const signIn = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass }),
  });
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const asAda = (path, body) => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json());
  const started = await asAda('/api/v1/methods/authenticator/start');
  await asAda('/api/v1/methods/authenticator/finish', { id: started.id, name: 'Old phone', code: totp(started.secret) });

  const methods = (await call('GET', '/users/ada@contoso.com/authentication/methods')).body.value;
  const oath = methods.find((m) => m['@odata.type'] === '#microsoft.graph.softwareOathAuthenticationMethod');
  assert.equal(oath.displayName, 'Old phone');
  graphError(await call('DELETE', `/users/ada@contoso.com/authentication/fido2Methods/${oath.id}`), 404, 'Request_ResourceNotFound');
  assert.equal((await call('DELETE', `/users/ada@contoso.com/authentication/softwareOathMethods/${oath.id}`, { as: readOnly })).status, 403);
  assert.equal((await call('DELETE', `/users/ada@contoso.com/authentication/softwareOathMethods/${oath.id}`)).status, 204);
  const after = (await call('GET', '/users/ada@contoso.com/authentication/methods')).body.value;
  assert.ok(!after.some((m) => m.id === oath.id));
  await call('DELETE', `${PASSES}/${(await call('GET', PASSES)).body.value[0].id}`);
});

test('a body naming another resource in @odata.type is refused, and nothing is written', async () => {
  const before = (await call('GET', PASSES)).body.value.length;
  const wrong = await call('POST', PASSES, { sdk: false, body: { '@odata.type': '#microsoft.graph.user', lifetimeInMinutes: 60 } });
  graphError(wrong, 400, 'badRequest');
  assert.match(wrong.body.error.message, /@odata\.type/);
  assert.equal((await call('GET', PASSES)).body.value.length, before);
  graphError(await call('PATCH', POLICY, { sdk: false, body: { '@odata.type': '#microsoft.graph.fido2AuthenticationMethodConfiguration', defaultLength: 9 } }), 400, 'badRequest');
  assert.equal((await call('GET', POLICY)).body.defaultLength, 8);
  // Without one, as a plain script sends it, a body is as good.
  assert.equal((await call('POST', PASSES, { sdk: false, body: {} })).status, 201);
  await call('DELETE', `${PASSES}/${(await call('GET', PASSES)).body.value[0].id}`);
});

test('users carry Graph\'s properties only, a stable GUID id, $select and $count', async () => {
  const ada = (await call('GET', '/users/ada@contoso.com')).body;
  assert.deepEqual(Object.keys(ada).sort(), ['accountEnabled', 'displayName', 'id', 'userPrincipalName']);
  assert.match(ada.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(ada.accountEnabled, true);
  assert.deepEqual((await call('GET', `/users/${ada.id}?$select=displayName,ID`)).body, { displayName: 'Ada Lovelace', id: ada.id });
  graphError(await call('GET', '/users/ada@contoso.com?$select=role'), 400, 'badRequest');
  const listed = await call('GET', '/users?$select=userPrincipalName&$top=1');
  assert.deepEqual(listed.body.value, [{ userPrincipalName: 'ada@contoso.com' }]);

  graphError(await call('GET', '/users?$count=true'), 400, 'badRequest');
  const counted = await fetch(`${graph}/users?$count=true&$top=1`, { headers: { authorization: `Bearer ${full.token}`, consistencylevel: 'eventual' } });
  const body = await counted.json();
  assert.equal(counted.status, 200);
  assert.equal(body['@odata.count'], 2, 'every user, beyond $top');
  assert.equal(body.value.length, 1);
});

test('a leaver disabled through Graph is signed out at once and cannot sign in; enabled, they can', async () => {
  const pass = (await call('POST', PASSES, { body: { lifetimeInMinutes: 60 } })).body.temporaryAccessPass;
  const signIn = (code) => fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'ada@contoso.com', pass: code }),
  });
  const first = await signIn(pass);
  assert.equal(first.status, 200);
  const cookie = first.headers.get('set-cookie').split(';')[0];
  const session = () => fetch(`${server.url}/api/v1/session`, { headers: { cookie } }).then((r) => r.status);
  assert.equal(await session(), 200);

  assert.equal((await call('PATCH', '/users/ada@contoso.com', { as: readOnly, body: { accountEnabled: false } })).status, 403);
  graphError(await call('PATCH', '/users/pat@contoso.com', { body: { accountEnabled: false } }), 403, 'accessDenied');
  graphError(await call('PATCH', '/users/ada@contoso.com', { body: { accountEnabled: false, role: 'admin' } }), 400, 'badRequest');
  assert.equal(await session(), 200, 'a refused change changes nothing');

  assert.equal((await call('PATCH', '/users/ada@contoso.com', { body: { accountEnabled: false } })).status, 204);
  assert.equal(await session(), 401, 'the open session ends');
  const again = await signIn(pass);
  const unknown = await fetch(`${server.url}/api/v1/signin/pass`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ upn: 'nobody@contoso.com', pass }),
  });
  assert.equal(again.status, unknown.status, 'refused as an unknown account is');
  assert.deepEqual((await again.json()).code, (await unknown.json()).code);
  assert.equal((await call('GET', '/users/ada@contoso.com')).body.accountEnabled, false);
  assert.deepEqual((await call('GET', PASSES)).body.value, [], 'the pass is gone');
  assert.match(cli(server.db, 'user', 'list'), /ada@contoso\.com.*\tdisabled/);

  assert.equal((await call('PATCH', '/users/ada@contoso.com', { body: { accountEnabled: true } })).status, 204);
  const fresh = (await call('POST', PASSES, { body: { lifetimeInMinutes: 60 } })).body.temporaryAccessPass;
  assert.equal((await signIn(fresh)).status, 200, 'enabled again, a new pass signs in');
  await call('DELETE', `${PASSES}/${(await call('GET', PASSES)).body.value[0].id}`);
});

test('the API is described in the OpenAPI document, with bearer authentication', async () => {
  const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
  assert.ok(doc.paths['/graph/v1.0/users/{id}/authentication/temporaryAccessPassMethods'].post);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
});
