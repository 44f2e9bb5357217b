// The help desk's screens under axe-core (WCAG 2.0/2.1/2.2 A and AA), in
// English and Arabic, light and dark, at desktop and 360 px phone widths,
// with a screenshot of each in target/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { check, locale, variants } from './axe.mjs';
import { browser, issue, helpDesk, passkeySession, ADA, MEL, PAT } from './helpers.mjs';

let chrome;
before(async () => { chrome = await browser(); });
after(async () => { await chrome.close(); });

// Arabic covers right to left; German adds nothing the help desk lays out differently.
const desk = variants.filter((v) => v.lang !== 'de');

for (const variant of desk) {
  test(`every help-desk screen passes axe (${variant.name})`, async (t) => {
    const { server } = await helpDesk(t);
    const context = await chrome.newContext(variant.options);
    t.after(() => context.close());
    const page = await context.newPage();
    const L = locale(variant.lang, true);
    const v = variant.name;
    const h1 = (name) => page.getByRole('heading', { name, level: 1 }).waitFor();

    await page.goto(`${server.url}/admin?lng=${variant.lang}`);
    await h1(L.ADM_CLOSED_HEADING);
    assert.equal(await page.locator('html').getAttribute('dir'), variant.lang === 'ar' ? 'rtl' : 'ltr');
    await check(page, `admin-${v}`, 'closed');

    issue(server.db, ADA, '--lifetime', '120');
    issue(server.db, MEL);
    for (let i = 0; i < 10; i++) {
      await fetch(`${server.url}/api/v1/signin/pass`, {
        method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ upn: MEL, pass: 'ZZZZZZZZ' }),
      });
    }
    await page.goto(`${server.url}/?lng=en`);
    await passkeySession(context, page, server, PAT);

    await page.goto(`${server.url}/admin?lng=${variant.lang}`);
    await h1(L.ADM_USERS_HEADING);
    await page.locator('#find').fill('a');
    await page.locator('.found a').first().waitFor();
    await check(page, `admin-${v}`, 'users');

    await page.locator('#find').fill('mel');
    await page.locator('.found a', { hasText: 'Mel Member' }).click();
    await h1('Mel Member');
    await page.locator('.state').first().waitFor();
    await check(page, `admin-${v}`, 'user-locked');
    // Enrolling a key for Mel, asked without a name for it.
    await page.locator('#enrol-name').waitFor();
    await page.locator('section[aria-labelledby=enrol-heading] button[type=submit]').click();
    await page.locator('#enrol-missing').waitFor();
    await check(page, `admin-${v}`, 'enrol-missing');

    await page.goto(`${server.url}/admin?lng=${variant.lang}`);
    await page.locator('#find').fill('ada');
    await page.locator('.found a', { hasText: 'Ada Lovelace' }).click();
    await h1('Ada Lovelace');
    await page.locator('section[aria-labelledby=pass-heading] button.primary').click();
    await page.locator('form.issue').waitFor();
    await page.locator('input[name=start]').nth(1).check();
    await page.locator('.preview').filter({ hasText: /\S/ }).waitFor();
    await check(page, `admin-${v}`, 'issue-form');
    await page.locator('form.issue button[type=submit]').click();
    await page.locator('.pass-code').waitFor();
    await check(page, `admin-${v}`, 'issued');

    await page.goto(`${server.url}/admin/policy?lng=${variant.lang}`);
    await h1(L.ADM_POLICY_HEADING);
    await page.locator('form.policy').waitFor();
    await page.locator('#max').fill('30');
    await page.locator('#max-error').waitFor();
    await check(page, `admin-${v}`, 'policy-invalid');

    await page.goto(`${server.url}/admin/passkeys?lng=${variant.lang}`);
    await h1(L.ADM_PK_HEADING);
    await page.locator('form.profiles').waitFor();
    await page.locator('form.profiles > button[type=button]').click();
    await page.locator('fieldset.profile').nth(1).waitFor();
    await page.locator('form.profiles button[type=submit]').click();
    await page.locator('form.profiles .error').waitFor({ state: 'visible' });
    await check(page, `admin-${v}`, 'passkey-profiles-refused');

    await page.goto(`${server.url}/admin/audit?lng=${variant.lang}`);
    await h1(L.ADM_AUDIT_HEADING);
    await page.locator('table.audit tbody tr').first().waitFor();
    await check(page, `admin-${v}`, 'audit');

    await page.goto(`${server.url}/admin/clients?lng=${variant.lang}`);
    await h1(L.ADM_CLIENTS_HEADING);
    await page.locator('#client-name').fill('Wiki');
    await page.locator('#client-redirects').fill('http://wiki.contoso.com/cb');
    await page.locator('#client-redirects-error').waitFor();
    await check(page, `admin-${v}`, 'clients-invalid');
    await page.locator('#client-redirects').fill('https://wiki.contoso.com/cb');
    await page.locator('form button[type=submit]').click();
    await page.locator('#new-client-secret').waitFor();
    await check(page, `admin-${v}`, 'client-added');
  });
}
