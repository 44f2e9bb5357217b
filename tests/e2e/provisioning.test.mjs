// Keys enrolled for a person by someone else: the help desk's enrolment
// page with Chromium's virtual authenticator, and Graph's provisioning
// calls from a script whose own software authenticator makes the key. Each
// key then signs in on the sign-in page, in the person's own browser,
// without a pass. The passkey profiles page: a policy administrator keeps a
// group to keys bound to one device, and a synced passkey is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cli, browser, helpDesk, passkeySession, signIn, issue, ADA, MEL, GIL } from './helpers.mjs';

let chrome;
before(async () => { chrome = await browser(); });
after(() => chrome.close());

const b64url = (b) => Buffer.from(b).toString('base64url');

/** The smallest CBOR encoder a software authenticator needs. */
function cbor(v) {
  const head = (major, n) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b;
  };
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') { const s = Buffer.from(v, 'utf8'); return Buffer.concat([head(3, s.length), s]); }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (v instanceof Map) {
    return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  }
  throw new Error(`cannot encode ${v}`);
}

/** A P-256 key made here, answering creation options with `none` attestation. */
function softwareKey(options, origin) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(32);
  const cose = cbor(new Map([[1, 2], [3, -7], [-1, 1],
    [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
  const clientData = Buffer.from(JSON.stringify({
    type: 'webauthn.create', challenge: options.publicKey.challenge, origin, crossOrigin: false,
  }));
  const idLength = Buffer.alloc(2); idLength.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    createHash('sha256').update('localhost').digest(),
    Buffer.from([0x45]), Buffer.alloc(4), Buffer.alloc(16), idLength, credentialId, cose,
  ]);
  const attestation = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
  return {
    answer: {
      id: b64url(credentialId),
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestation) },
      clientExtensionResults: {},
    },
    // The same key, as Chromium's virtual authenticator holds one.
    credential: {
      credentialId: credentialId.toString('base64'),
      isResidentCredential: true,
      rpId: 'localhost',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
      userHandle: Buffer.from(options.publicKey.user.id, 'base64url').toString('base64'),
      signCount: 0,
    },
  };
}

/** The person's own browser with the key plugged in: a passkey sign-in, no pass. */
async function signInWithKey(server, credential) {
  const context = await chrome.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  return { context, page };
}

test('a script enrols a key made by its own authenticator through Graph, and the person signs in with it', async (t) => {
  const { server } = await helpDesk(t);
  const token = (...args) => JSON.parse(cli(server.db, 'token', 'create', '--json', ...args));
  const full = token('--as', 'pat@contoso.com', '--name', 'enrolment');
  const readOnly = token('--as', 'pat@contoso.com', '--name', 'reports', '--read-only');
  const graph = `${server.url}/graph/v1.0/users/${ADA}/authentication/fido2Methods`;
  const call = async (method, url, as, body) => {
    const headers = { authorization: `Bearer ${as.token}` };
    if (body) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json().catch(() => null) };
  };

  assert.equal((await call('GET', `${graph}/creationOptions`, readOnly)).status, 403);
  assert.equal((await call('GET', `${graph}/creationOptions(challengeTimeoutInMinutes=4)`, full)).status, 400);
  const options = await call('GET', `${graph}/creationOptions(challengeTimeoutInMinutes=10)`, full);
  assert.equal(options.status, 200, JSON.stringify(options.body));
  assert.equal(options.body['@odata.type'], '#microsoft.graph.webauthnCredentialCreationOptions');
  const minutes = (Date.parse(options.body.challengeTimeoutDateTime) - Date.now()) / 60000;
  assert.ok(minutes > 9 && minutes <= 10, `${minutes} minutes`);
  assert.equal(options.body.publicKey.user.name, ADA);
  assert.equal(options.body.publicKey.authenticatorSelection.residentKey, 'required');

  const key = softwareKey(options.body, server.url);
  const body = { '@odata.type': '#microsoft.graph.fido2AuthenticationMethod', displayName: 'Script key', publicKeyCredential: key.answer };
  assert.equal((await call('POST', graph, readOnly, body)).status, 403);
  const made = await call('POST', graph, full, body);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body['@odata.type'], '#microsoft.graph.fido2AuthenticationMethod');
  assert.equal(made.body.displayName, 'Script key');
  assert.equal(made.body.passkeyType, 'deviceBound');
  assert.equal(made.body.attestationLevel, 'notAttested');
  // Once: the same answer again is refused, in Graph's shape.
  const again = await call('POST', graph, full, body);
  assert.equal(again.status, 400);
  assert.equal(again.body.error.code, 'badRequest');
  const listed = await call('GET', `${graph}/${made.body.id}`, full);
  assert.equal(listed.body.id, made.body.id);
  assert.match(cli(server.db, 'audit', '--kind', 'passkey_provisioned'), /pat@contoso\.com/);

  const { context, page } = await signInWithKey(server, key.credential);
  t.after(() => context.close());
  await page.locator('dl.facts').getByText(ADA).waitFor();
  await page.getByText('Script key').waitFor();
});

test('the help desk enrols a key plugged into its own computer, and the person signs in with it', async (t) => {
  const { server } = await helpDesk(t);
  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();
  const keys = await passkeySession(desk, page, server, 'pat@contoso.com', { usbResident: true });
  await page.getByRole('link', { name: 'Help desk' }).click();
  await page.getByRole('heading', { name: 'Find a user', level: 1 }).waitFor();
  await page.locator('#find').fill('mel');
  await page.locator('.found a', { hasText: 'Mel Member' }).click();
  await page.getByRole('heading', { name: 'Mel Member', level: 1 }).waitFor();

  // A name first; then the key in the administrator's computer answers.
  await page.getByRole('button', { name: 'Enrol the key' }).click();
  await page.locator('#enrol-missing').getByText('Give the key a name the person will recognise').waitFor();
  await keys.useSecurityKey();
  await page.getByLabel('Name of the key').fill('Blue key');
  await page.getByRole('button', { name: 'Enrol the key' }).click();
  await page.locator('.success').getByText('Blue key was enrolled for Mel Member. Hand them the key.').waitFor();
  await page.locator('.methods').getByText('Blue key').waitFor();
  await page.locator('.methods').getByText('this device only').waitFor();
  assert.match(cli(server.db, 'audit', '--kind', 'passkey_provisioned', '--user', MEL), /pat@contoso\.com/);

  // The key leaves the administrator's computer for Mel's.
  const [credential] = (await keys.usb()).filter((c) => c.isResidentCredential);
  assert.ok(credential, 'the key holds the passkey');
  const mel = await signInWithKey(server, credential);
  t.after(() => mel.context.close());
  await mel.page.locator('dl.facts').getByText(MEL).waitFor();
  await mel.page.getByText('Blue key').waitFor();
});

test('a policy administrator keeps staff to keys bound to one device in the help desk; a synced passkey is then refused, and a reader only reads', async (t) => {
  const { server } = await helpDesk(t);
  const desk = await chrome.newContext();
  t.after(() => desk.close());
  const page = await desk.newPage();
  await passkeySession(desk, page, server, 'pat@contoso.com');
  await page.getByRole('link', { name: 'Help desk' }).click();
  await page.getByRole('link', { name: 'Passkeys' }).click();
  await page.getByRole('heading', { name: 'Passkey profiles', level: 1 }).waitFor();

  // A new profile with no group is refused, and the server says why.
  await page.getByRole('button', { name: 'Add a profile' }).click();
  const profile = page.getByRole('group', { name: 'New passkey profile' });
  await profile.getByLabel('Profile name').fill('Staff on device-bound keys');
  await page.getByRole('button', { name: 'Save the passkey profiles' }).click();
  await page.getByRole('alert').getByText("profile 'Staff on device-bound keys' names no group").waitFor();
  const staff = page.getByRole('group', { name: 'Staff on device-bound keys' });
  await staff.getByLabel('For the groups').fill('staff');
  await staff.getByLabel('Only keys bound to one device, such as security keys').check();
  await page.getByRole('button', { name: 'Save the passkey profiles' }).click();
  await page.locator('.success').getByText('The passkey profiles were saved.').waitFor();
  assert.match(cli(server.db, 'audit', '--kind', 'passkey_profiles_changed'), /pat@contoso\.com/);
  const listed = cli(server.db, 'passkey-profile', 'list');
  assert.match(listed, /Staff on device-bound keys/);
  await page.reload();
  await page.getByRole('group', { name: 'Staff on device-bound keys' }).getByLabel('For the groups').waitFor();
  assert.equal(await page.getByRole('group', { name: 'Staff on device-bound keys' }).getByLabel('For the groups').inputValue(), 'staff');

  // Ada is staff; her phone's passkey syncs, so it is refused and she is told why.
  const ada = await chrome.newContext();
  t.after(() => ada.close());
  const adaPage = await ada.newPage();
  const cdp = await ada.newCDPSession(adaPage);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, defaultBackupEligibility: true, defaultBackupState: true },
  });
  await signIn(adaPage, server.url, ADA, issue(server.db, ADA).temporaryAccessPass);
  await adaPage.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  await adaPage.getByRole('button', { name: 'Add a passkey' }).click();
  await adaPage.getByLabel('Name', { exact: true }).fill('Phone');
  await adaPage.getByRole('button', { name: 'Continue' }).click();
  await adaPage.getByRole('alert').getByText('only keys that stay on one device are allowed, not synced passkeys.').waitFor();
  assert.match(cli(server.db, 'audit', '--kind', 'passkey_refused_by_profile', '--user', ADA), /synced/i);

  // A global reader sees the profiles and cannot change them.
  const reader = await chrome.newContext();
  t.after(() => reader.close());
  const readerPage = await reader.newPage();
  await passkeySession(reader, readerPage, server, GIL);
  await readerPage.goto(`${server.url}/admin/passkeys`);
  await readerPage.getByText('Only an authentication policy administrator can change the passkey profiles.').waitFor();
  await readerPage.getByRole('row', { name: /Staff on device-bound keys/ }).getByText('staff', { exact: true }).waitFor();
  assert.equal(await readerPage.getByRole('button', { name: 'Save the passkey profiles' }).count(), 0);
});
