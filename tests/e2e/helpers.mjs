// Starts a real tapin server on a fresh SQLite file per test, drives the
// real CLI against it, and launches Debian's Chromium through Playwright.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
const TAPIN = join(ROOT, 'target/debug/tapin');

export async function startServer(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'tapin-e2e-'));
  const db = join(dir, 'tapin.db');
  const proc = spawn(TAPIN, ['serve', '--addr', '127.0.0.1:0', '--db', db, '--dist', join(ROOT, 'dist'), ...extraArgs], {
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
