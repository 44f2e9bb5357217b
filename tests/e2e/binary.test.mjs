// The release binary, copied alone into an empty directory, serves the app
// (first load and the security-info bundle, brotli and gzip) and the API:
// nothing beside it, no dist/ and no checkout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BINARY = process.env.TAPIN_RELEASE_BINARY;
let dir;
let proc;
let url;
let demoPass;

before(async () => {
  assert.ok(BINARY, 'TAPIN_RELEASE_BINARY names the release build (cargo xtask test sets it)');
  dir = mkdtempSync(join(tmpdir(), 'tapin-alone-'));
  copyFileSync(BINARY, join(dir, 'tapin'));
  execFileSync('chmod', ['+x', join(dir, 'tapin')]);
  assert.deepEqual(readdirSync(dir), ['tapin']);
  proc = spawn(join(dir, 'tapin'), ['serve', '--demo', '--addr', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`did not start: ${out}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      const pass = out.match(/Temporary Access Pass: (\S+)/);
      if (m && pass) { clearTimeout(timer); demoPass = pass[1]; ok(m[1]); }
    });
    proc.on('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
  });
});
after(() => proc?.kill('SIGTERM'));

const built = (path) => readFileSync(join(ROOT, 'dist', path));

async function fetchAs(path, encoding) {
  const res = await fetch(`${url}${path}`, { headers: { 'accept-encoding': encoding } });
  assert.equal(res.status, 200, path);
  // fetch decodes what it is sent; compare the bytes and the announced encoding.
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

for (const [page, route] of [['index.html', '/'], ['methods.html', '/security-info']]) {
  test(`${route} and every file its page loads come embedded, brotli and gzip`, async () => {
    const html = built(page).toString();
    const files = [...html.matchAll(/(?:href|src)="\/([^"]+\.(?:wasm|js|css))"/g)].map((m) => m[1]);
    assert.ok(files.some((f) => f.endsWith('.wasm')), `${page} loads a wasm bundle`);
    for (const encoding of ['br', 'gzip']) {
      const { res, body } = await fetchAs(route, encoding);
      assert.equal(res.headers.get('content-encoding'), encoding);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(body.toString(), html);
      for (const file of files) {
        const got = await fetchAs(`/${file}`, encoding);
        assert.equal(got.res.headers.get('content-encoding'), encoding, file);
        assert.match(got.res.headers.get('cache-control'), /immutable/, file);
        assert.ok(got.body.equals(built(file)), `${file} is the built one`);
      }
    }
  });
}

test('the language catalogs are revalidated, not cached for a year', async () => {
  const res = await fetch(`${url}/locales/de.json`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const etag = res.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{24}"$/);
  assert.deepEqual(JSON.parse(await res.text()), JSON.parse(built('locales/de.json').toString()));
  const again = await fetch(`${url}/locales/de.json`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});

test('the API answers: the printed demo pass signs in', async () => {
  assert.equal((await fetch(`${url}/api/v1/session`)).status, 401);
  const res = await fetch(`${url}/api/v1/signin/pass`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ upn: 'demo@tapin.example', pass: demoPass }),
  });
  assert.equal(res.status, 200);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  // The container's health check.
  assert.match(execFileSync(join(dir, 'tapin'), ['probe', `${url}/readyz`], { encoding: 'utf8' }), /200/);
});
