// Starts a real tapin server on a fresh SQLite file per test, drives the
// real CLI against it, and launches Debian's Chromium through Playwright.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';

const ROOT = resolve(import.meta.dirname, '../..');
const TAPIN = join(ROOT, 'target/debug/tapin');
/** The app as the test command packed it (compressed once), or the built
 * `dist/` (compressed at every server start: about 20 s in a debug build). */
export const DIST = process.env.TAPIN_E2E_DIST || join(ROOT, 'dist');

/** A port nothing listens on right now, for a server that must know its
 * own address before it starts. Chosen below the kernel's ephemeral range
 * (32768 and up), so no outgoing connection or `listen(0)` elsewhere can
 * take it between this probe and the server's bind; a clash with another
 * fixed port is retried by `startServerOn`. */
export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const probe = createServer();
    const free = await new Promise((ok) => {
      probe.once('error', () => ok(false));
      probe.listen(port, '127.0.0.1', () => ok(true));
    });
    if (free) {
      await new Promise((ok) => probe.close(ok));
      return port;
    }
  }
}

/** `startServer` on a port of its own that it must know in advance:
 * `args(port)` gives the arguments; tried again on another port when that
 * one was taken meanwhile. Resolves with the server and its port. */
export async function startServerOn(args, options = {}) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { server: await startServer(args(port), { ...options, addr: true }), port };
    } catch (e) {
      if (attempt >= 5 || !/in use/i.test(e.message)) throw e;
    }
  }
}

/** `{ addr: true }` when `extraArgs` gives the address itself. */
export async function startServer(extraArgs = [], { addr = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tapin-e2e-'));
  const db = join(dir, 'tapin.db');
  const listen = addr ? [] : ['--addr', '127.0.0.1:0'];
  const proc = spawn(TAPIN, ['serve', ...listen, '--db', db, '--dist', DIST, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPIN_LOG: 'warn' },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`tapin did not start: ${stderr}`)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => fail(new Error(`tapin exited with ${code}: ${stderr}`)));
  });
  return { url, db, stop: () => proc.kill('SIGTERM') };
}

export function cli(db, ...args) {
  return execFileSync(TAPIN, ['--db', db, ...args], { encoding: 'utf8' });
}

/** A demo-like deployment: policy enabled and one member, Ada. */
export function seed(db, upn = 'ada@contoso.com', groups = ['staff']) {
  cli(db, 'policy', 'set', '--enabled', 'true', '--max-lifetime', '43200');
  cli(db, 'user', 'add', upn, '--name', 'Ada Lovelace', ...groups.flatMap((g) => ['--group', g]));
}

export function issue(db, upn, ...args) {
  return JSON.parse(cli(db, 'tap', 'issue', upn, '--json', ...args));
}

export async function browser(extraArgs = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic', ...extraArgs],
  });
}

/** Goes through the account and pass steps the way a person would. */
export async function signIn(page, url, upn, pass) {
  await page.goto(url);
  await page.getByLabel('Account name').fill(upn);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Temporary Access Pass').fill(pass);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A new server (seeded with Ada) and a new browser context for one test. */
export async function freshFor(chrome, t, serverArgs = []) {
  const server = await startServer(serverArgs);
  const context = await chrome.newContext();
  const page = await context.newPage();
  t.after(async () => { await context.close(); server.stop(); });
  seed(server.db);
  return { server, page, context };
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, as an authenticator app computes it. */
export function totp(secretBase32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * A real SMTP listener on loopback (enough of RFC 5321 for a client to
 * deliver): every message received lands in `messages`. `stalled` makes it
 * a dead server that accepts connections and never answers, until `recover()`.
 */
export async function smtpListener({ stalled = false } = {}) {
  const messages = [];
  const waiting = [];
  const held = [];
  let dead = stalled;
  const server = createServer((socket) => {
    if (dead) { held.push(socket); socket.on('error', () => {}); return; }
    socket.setEncoding('utf8');
    let buffer = '';
    let data = null;
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 localhost ESMTP test listener');
    socket.on('data', (chunk) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (data !== null) {
          if (line === '.') {
            messages.push(data.join('\n'));
            data = null;
            reply('250 2.0.0 queued');
            waiting.splice(0).forEach((w) => w());
          } else {
            data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 localhost');
        else if (verb === 'DATA') { data = []; reply('354 end with <CRLF>.<CRLF>'); }
        else if (verb === 'QUIT') { reply('221 bye'); socket.end(); }
        else reply('250 OK');
      }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `smtp://127.0.0.1:${server.address().port}`,
    messages,
    /** Resolves with the next message that arrives (or one already there, if `count` were received). */
    async next(count, ms = 20000) {
      const deadline = Date.now() + ms;
      while (messages.length < count) {
        if (Date.now() > deadline) assert.fail(`waited ${ms} ms for SMTP message ${count}; ${messages.length} arrived`);
        await new Promise((ok) => { waiting.push(ok); setTimeout(ok, 100); });
      }
      return messages[count - 1];
    },
    /** Resolves with the first message matching `pattern`, waiting for it if need be. */
    async waitFor(pattern, ms = 30000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find((m) => pattern.test(m));
        if (found) return found;
        if (Date.now() > deadline) assert.fail(`waited ${ms} ms for an SMTP message matching ${pattern}; ${messages.length} arrived`);
        await new Promise((ok) => { waiting.push(ok); setTimeout(ok, 100); });
      }
    },
    /** The dead server comes back: it answers new connections from now on. */
    recover() { dead = false; held.splice(0).forEach((s) => s.destroy()); },
    close: () => { held.splice(0).forEach((s) => s.destroy()); server.close(); },
  };
}

/** Chromium's virtual authenticators: a platform passkey store and a USB
 * security key (which holds passkeys too with `usbResident`). */
export async function authenticators(context, page, { usbResident = false } = {}) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const platform = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const usb = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: usbResident, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const credentials = async (a) => (await cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId })).credentials;
  // A person touches one authenticator: the other stays silent.
  const touch = async (chosen) => {
    for (const a of [platform, usb]) {
      await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: a.authenticatorId, enabled: a === chosen });
    }
  };
  await touch(platform);
  return {
    platform: () => credentials(platform),
    usb: () => credentials(usb),
    usePlatform: () => touch(platform),
    useSecurityKey: () => touch(usb),
    // Nobody touches either: a page's passkey autofill request waits, as it
    // does for a person who types their account name instead.
    quiet: () => touch(null),
  };
}

/** Calls the API from inside the page, with its cookie and Origin, as the app would. */
export async function api(page, method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }, [method, path, body]);
}

export const ADA = 'ada@contoso.com';
export const MEL = 'mel@contoso.com';
export const PAT = 'pat@contoso.com';
export const GIL = 'gil@contoso.com';

/** A server whose clock the test moves, with members and administrators of each kind. */
export async function helpDesk(t) {
  const clock = join(mkdtempSync(join(tmpdir(), 'tapin-clock-')), 'ahead');
  writeFileSync(clock, '0');
  const server = await startServer(['--test-clock-file', clock]);
  t.after(() => server.stop());
  const db = server.db;
  cli(db, 'policy', 'set', '--enabled', 'true', '--max-lifetime', '43200');
  cli(db, 'user', 'add', ADA, '--name', 'Ada Lovelace', '--group', 'staff', '--time-zone', 'Europe/Berlin');
  cli(db, 'user', 'add', MEL, '--name', 'Mel Member', '--group', 'staff');
  cli(db, 'user', 'add', PAT, '--name', 'Pat Privileged', '--role', 'admin',
    '--admin-role', 'privileged-authentication-administrator', '--admin-role', 'authentication-policy-administrator');
  cli(db, 'user', 'add', GIL, '--name', 'Gil Reader', '--role', 'admin', '--admin-role', 'global-reader');
  return { server, moveClock: (seconds) => writeFileSync(clock, String(Math.round(seconds))) };
}

/** Pass sign-in, a passkey added, signed out, then signed in with the passkey alone. */
export async function passkeySession(context, page, server, upn, options = {}) {
  const keys = await authenticators(context, page, options);
  await signIn(page, server.url, upn, issue(server.db, upn).temporaryAccessPass);
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Desk laptop');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.success').getByText('was added').waitFor();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await page.getByRole('heading', { name: 'Security info', level: 1 }).waitFor();
  return keys;
}


/** Every cookie the browser holds for `url`, as a Cookie header: to replay
 * it from outside the browser after the server told the browser to drop it. */
export async function cookieHeader(context, url) {
  const cookies = await context.cookies(url);
  assert.ok(cookies.length > 0, `the browser holds no cookie for ${url}`);
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/** What the server answers a replayed Cookie header: a read of the session
 * and a change (starting an authenticator app), as an attacker holding a
 * copied cookie would try them. */
export async function replay(url, cookie) {
  const headers = { cookie, origin: url };
  const read = await fetch(`${url}/api/v1/session`, { headers });
  const change = await fetch(`${url}/api/v1/methods/authenticator/start`, { method: 'POST', headers });
  return [read.status, change.status];
}

/** Waits until `ready()` (sync or async) is truthy, checking every 50 ms;
 * fails after `ms` naming what it waited for and the last value seen.
 * Returns that value. */
export async function waitUntil(what, ready, ms = 20000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await ready(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}
