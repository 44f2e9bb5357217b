// Debian's Apache with mod_auth_openidc protecting a page, as an
// organisation would put an old application behind tapin. Everything lives
// in a temporary directory and runs as an unprivileged user (nobody).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const MODULES = '/usr/lib/apache2/modules';

/** Starts Apache on `port`, protecting /protected/ with tapin at `issuer`. */
export async function startApache({ issuer, client, port, refresh = false }) {
  const dir = mkdtempSync(join(tmpdir(), 'tapin-apache-'));
  const www = join(dir, 'www');
  mkdirSync(join(www, 'protected'), { recursive: true });
  const base = `http://localhost:${port}`;
  const bye = `${base}/bye.html`;
  // The claims, as mod_auth_openidc hands them to the page (SSI).
  const claim = (name) => `<span id="${name}"><!--#echo var="OIDC_CLAIM_${name}" --></span>`;
  writeFileSync(join(www, 'protected', 'index.shtml'), `<!doctype html><html lang="en"><head><title>Intranet</title></head><body>
<h1>Intranet</h1><p>Hello, ${claim('name')}</p>
<dl><dt>sub</dt><dd>${claim('sub')}</dd><dt>preferred_username</dt><dd>${claim('preferred_username')}</dd>
<dt>amr</dt><dd>${claim('amr')}</dd><dt>acr</dt><dd>${claim('acr')}</dd></dl>
<a href="/protected/redirect_uri?logout=${encodeURIComponent(bye)}">Log out</a></body></html>
`);
  writeFileSync(join(www, 'bye.html'), '<!doctype html><html lang="en"><head><title>Intranet</title></head><body><h1>Signed out of the intranet</h1></body></html>\n');
  writeFileSync(join(dir, 'httpd.conf'), `
ServerRoot ${dir}
ServerName localhost
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
ErrorLog ${dir}/error.log
LogLevel warn auth_openidc:debug
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule authz_user_module ${MODULES}/mod_authz_user.so
LoadModule include_module ${MODULES}/mod_include.so
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so
DocumentRoot ${www}
<Directory ${www}>
  Options +Includes
  Require all granted
</Directory>
OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration
OIDCClientID ${client.client_id}
OIDCClientSecret ${client.client_secret}
OIDCRedirectURI ${base}/protected/redirect_uri
OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}
OIDCScope "openid profile email"
OIDCPKCEMethod S256
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCPassClaimsAs environment
OIDCSSLValidateServer Off
${refresh ? '# Refresh at every request after a second (access tokens live 10 minutes); a refused refresh ends the session.\nOIDCRefreshAccessTokenBeforeExpiry 599 logout_on_error' : ''}
<Location /protected>
  AuthType openid-connect
  Require valid-user
  ForceType text/html
  SetOutputFilter INCLUDES
</Location>
`);
  chmodSync(dir, 0o777);
  for (const d of [www, join(www, 'protected')]) chmodSync(d, 0o755);
  const proc = spawn('/usr/sbin/apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], {
    uid: 65534, gid: 65534, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const log = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '') + stderr;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/bye.html`)).ok) break; } catch { /* not yet */ }
    if (i > 200 || proc.exitCode !== null) throw new Error(`Apache did not start: ${log()}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return { url: base, bye, log, close: () => proc.kill('SIGTERM') };
}
