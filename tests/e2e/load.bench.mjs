// The first step on a slow phone, measured in Chromium: the served app page
// against a static page with the same form from the same server, in turns,
// on a mobile profile (4x CPU slowdown, 150 ms round trip, 1.6 Mbps down).
// Prints the median time to a usable account step of each and their ratio;
// then the second step: open, type the account name, press Enter, until the
// pass field takes typing, against a static two-page form (an account page
// posting to a pass page) from the same server.
// Run by `cargo xtask bench load`, which starts the server.
import { browser } from './helpers.mjs';

const [url, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 7);
const profile = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1000 * 1000) / 8,
  uploadThroughput: (750 * 1000) / 8,
};

/** Milliseconds from navigation start until the account field is painted. */
async function usableAfter(chrome, page) {
  const context = await chrome.newContext();
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', profile);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await tab.goto(`${url}${page}`, { waitUntil: 'commit' });
  // The account field and its label are the page's first content: the
  // first contentful paint is when someone can start typing.
  const ms = await tab.evaluate(() => new Promise((done) => {
    const seen = () => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const field = document.getElementById('upn');
      if (fcp && field && field.getBoundingClientRect().width > 0) done(fcp.startTime);
      else requestAnimationFrame(seen);
    };
    seen();
  }));
  await context.close();
  return ms;
}

const UPN = 'ada@contoso.com';

/** Milliseconds from opening `page` until, after the account name and
 * Enter, a pass field is shown and enabled (the page's own, not a stand-in). */
async function passFieldAfter(chrome, page) {
  const context = await chrome.newContext();
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', profile);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const opened = Date.now();
  await tab.goto(`${url}${page}`, { waitUntil: 'commit' });
  const account = tab.locator('#upn');
  await account.waitFor({ state: 'visible' });
  await account.fill(UPN);
  await account.press('Enter');
  await tab.waitForFunction(() => {
    const field = document.getElementById('pass');
    return field && !field.disabled && field.getBoundingClientRect().width > 0;
  }, null, { polling: 'raf', timeout: 60_000 });
  const ms = Date.now() - opened;
  await context.close();
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const chrome = await browser();
const app = [];
const baseline = [];
for (let i = 0; i < runs; i++) {
  app.push(await usableAfter(chrome, '/'));
  baseline.push(await usableAfter(chrome, '/baseline.html'));
}
const second = [];
const twoPages = [];
for (let i = 0; i < runs; i++) {
  second.push(await passFieldAfter(chrome, '/'));
  twoPages.push(await passFieldAfter(chrome, '/baseline.html'));
}
await chrome.close();
const a = median(app);
const b = median(baseline);
const s = median(second);
const t = median(twoPages);
console.log(JSON.stringify({
  runs, app_ms: a, baseline_ms: b, ratio: a / b, app_all: app, baseline_all: baseline,
  second_ms: s, two_pages_ms: t, second_ratio: s / t, second_all: second, two_pages_all: twoPages,
}));
