// A relying party as an organisation would write one with `openid-client`:
// /login starts the code flow (PKCE, state, nonce), /cb finishes it, / shows
// the claims, /logout signs out here and at tapin, /bye says so.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';

export async function startRelyingParty({ issuer, client, port, alg = 'ES256', host = 'localhost' }) {
  const base = `http://${host}:${port}`;
  const metadata = { id_token_signed_response_alg: alg, client_secret: client.client_secret };
  const config = await oidc.discovery(new URL(issuer), client.client_id, metadata, undefined, { execute: [oidc.allowInsecureRequests] });
  const sessions = new Map(); // rp cookie -> { pending, claims, idToken, userinfo }
  const html = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><title>Wiki</title></head><body>${body}</body></html>`);
  };
  const redirect = (res, to, cookie) => {
    const headers = { location: to };
    if (cookie !== undefined) headers['set-cookie'] = `rp=${cookie}; Path=/; HttpOnly; SameSite=Lax${cookie ? '' : '; Max-Age=0'}`;
    res.writeHead(303, headers);
    res.end();
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const id = /(?:^|; )rp=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = id ? sessions.get(id) : undefined;
    try {
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), started: Date.now() };
        const sid = randomBytes(16).toString('hex');
        sessions.set(sid, { pending });
        const to = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${base}/cb`, scope: 'openid profile email', state: pending.state, nonce: pending.nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
          ...Object.fromEntries(url.searchParams),
        });
        return redirect(res, to.href, sid);
      }
      if (url.pathname === '/cb') {
        if (!session?.pending) return html(res, 400, '<h1>No sign-in in progress</h1>');
        if (url.searchParams.get('error')) return html(res, 400, `<h1>Sign-in refused</h1><p id="error">${url.searchParams.get('error')}</p>`);
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: session.pending.verifier, expectedState: session.pending.state, expectedNonce: session.pending.nonce,
        });
        const claims = tokens.claims();
        session.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        session.claims = claims;
        session.idToken = tokens.id_token;
        session.took = Date.now() - session.pending.started;
        delete session.pending;
        return redirect(res, '/');
      }
      if (url.pathname === '/logout' && session?.idToken) {
        sessions.delete(id);
        const to = oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/bye`, state: 'bye' });
        return redirect(res, to.href, '');
      }
      if (url.pathname === '/bye') return html(res, 200, `<h1>Signed out of the wiki</h1><p id="state">${url.searchParams.get('state')}</p>`);
      if (url.pathname === '/' && session?.claims) {
        return html(res, 200, `<h1>Wiki</h1><p>Hello, <span id="name">${session.claims.name}</span></p>`
          + `<pre id="claims">${JSON.stringify(session.claims)}</pre><pre id="userinfo">${JSON.stringify(session.userinfo)}</pre>`
          + `<p id="took">${session.took}</p><a href="/logout">Log out</a>`);
      }
      return html(res, 200, '<h1>Wiki</h1><a href="/login">Sign in</a> <a href="/login?prompt=none">Sign in without a page</a>');
    } catch (e) {
      return html(res, 500, `<h1>Relying party error</h1><pre id="error">${String(e?.message ?? e)}</pre>`);
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: base, close: () => server.close() };
}
