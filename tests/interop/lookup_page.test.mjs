// The lookup page (DESIGN.md §13) in a real Chromium: Debian's chromium (scripts/setup.sh installs
// it) driven by playwright-core, which downloads no browser. Each case types into the page as a
// person would and reads the cards; a tampered assertion must show as not verified. Screenshots go
// to <build dir>/test-output/lookup-page/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { sourceDir, startDiscoveryd } from './discoveryd.mjs';

const CHROMIUM = '/usr/bin/chromium';
const shots = join(process.env.MIMI_BUILD_DIR || join(sourceDir, 'build'), 'test-output', 'lookup-page');

let browser;
let server;
let limited;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing; run scripts/setup.sh, which installs Debian's chromium.`);
  mkdirSync(shots, { recursive: true });
  // Chromium's sandbox cannot start as root (our CI and set-up run as root), hence --no-sandbox;
  // the page under test is our own, served on loopback.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  server = await startDiscoveryd();
  // One anonymous lookup per 100 s: the second is answered 429.
  limited = await startDiscoveryd({ config: { rate_limits: { anonymous: { rate: 0.01, burst: 1 } } } });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await limited?.stop();
});

// A phone-sized page at `baseUrl` with the lookup of `id` (and `region`) done by pressing Enter.
async function lookUp(baseUrl, id, { region = '', setup } = {}) {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  if (setup) await setup(page);
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Phone number, email address or handle').fill(id);
  if (region) await page.getByLabel('Region').fill(region);
  await page.getByLabel('Phone number, email address or handle').press('Enter');
  await page.waitForSelector('#results[data-state="done"]', { state: 'attached' });
  await page.waitForFunction(() => !document.querySelector('[data-verification="pending"]'));
  return { page, errors };
}

async function shoot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('the page is served with its script and style sheet, and a strict CSP', async () => {
  const r = await fetch(`${server.baseUrl}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const js = await fetch(`${server.baseUrl}/web/lookup.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
});

test('found: one card per mapping, each verified with WebCrypto Ed25519', async () => {
  const { page, errors } = await lookUp(server.baseUrl, '+1 415 555 2671');
  await shoot(page, 'found');
  assert.equal(await page.textContent('.summary'), 'tel:+14155552671 can be reached at 2 places.');
  const cards = page.locator('.card');
  assert.equal(await cards.count(), 2);
  assert.equal(await cards.nth(0).locator('h2').textContent(), 'chat.example');
  const first = await cards.nth(0).textContent();
  assert.match(first, /mimi:\/\/chat\.example\/u\/8c1f3a/);
  assert.match(first, /personal/);
  assert.match(first, /ed25519 k1 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo/);
  assert.match(first, /2030-01-01T00:00:00Z/);
  assert.match(first, /this server/);
  for (let i = 0; i < 2; i++) {
    assert.equal(await cards.nth(i).getAttribute('data-verification'), 'verified');
    assert.match(await cards.nth(i).locator('.verdict').textContent(), /^Verified: signed by dp\.example/);
  }
  // Nothing wider than a phone's screen: long keys and user URIs wrap.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a national number with its region', async () => {
  const { page } = await lookUp(server.baseUrl, '030 901820', { region: 'de' });
  assert.equal(await page.textContent('.summary'), 'tel:+4930901820 can be reached at 2 places.');
  await page.close();
});

test('not found and opted out are said in words, with no cards', async () => {
  let { page } = await lookUp(server.baseUrl, '+14155550199');
  await shoot(page, 'not-found');
  assert.equal(await page.textContent('.summary'), 'tel:+14155550199 was not found here.');
  assert.equal(await page.locator('.card').count(), 0);
  await page.close();
  ({ page } = await lookUp(server.baseUrl, '+14155550100'));
  await shoot(page, 'opted-out');
  assert.equal(await page.textContent('.summary'), 'tel:+14155550100 asked not to be discoverable (opted out).');
  assert.equal(await page.locator('.card').count(), 0);
  await page.close();
});

test('an invalid identifier is a sentence', async () => {
  const { page } = await lookUp(server.baseUrl, '12');
  await shoot(page, 'invalid');
  const text = await page.textContent('#message');
  assert.match(text, /^That is not something this server can look up\. [A-Z].*region.*\.$/);
  assert.equal(await page.getAttribute('#message', 'class'), 'error');
  await page.close();
});

test('a 429 says when to try again', async () => {
  let { page } = await lookUp(limited.baseUrl, 'alice@example.com');
  assert.equal(await page.locator('.card').count(), 1);
  await page.close();
  ({ page } = await lookUp(limited.baseUrl, 'alice@example.com'));
  await shoot(page, 'rate-limited');
  assert.match(await page.textContent('#message'), /^This server limits how many lookups one address may make\. .* Try again in \d+ seconds\.$/);
  await page.close();
});

test('a tampered assertion is shown as not verified', async () => {
  const setup = (page) => page.route('**/v1/lookup?*', async (route) => {
    const response = await route.fetch();
    const answer = await response.json();
    // A forged user in the mapping and in its assertion's payload; the signature is kept.
    const m = answer.mappings[0];
    const [header, payload, signature] = m.assertion.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    claims.user = m.user = 'mimi://evil.example/u/mallory';
    m.assertion = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    await route.fulfill({ response, json: answer });
  });
  const { page } = await lookUp(server.baseUrl, '+14155552671', { setup });
  await shoot(page, 'tampered');
  const cards = page.locator('.card');
  assert.equal(await cards.nth(0).getAttribute('data-verification'), 'failed');
  assert.match(await cards.nth(0).locator('.verdict').textContent(), /^Not verified: the signature does not match/);
  assert.equal(await cards.nth(1).getAttribute('data-verification'), 'verified');
  await page.close();
});

test('a browser without WebCrypto Ed25519 says "cannot verify here", never "not verified"', async () => {
  const setup = (page) => page.addInitScript(() => {
    const real = crypto.subtle.importKey.bind(crypto.subtle);
    crypto.subtle.importKey = (format, key, algorithm, ...rest) => (algorithm && algorithm.name === 'Ed25519'
      ? Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'))
      : real(format, key, algorithm, ...rest));
  });
  const { page } = await lookUp(server.baseUrl, 'alice@example.com', { setup });
  const card = page.locator('.card').nth(0);
  assert.equal(await card.getAttribute('data-verification'), 'unavailable');
  assert.match(await card.locator('.verdict').textContent(), /^Cannot verify here/);
  await page.close();
});

test('"web": {"enabled": false} turns the page off', async () => {
  const off = await startDiscoveryd({ config: { web: { enabled: false } } });
  try {
    assert.equal((await fetch(`${off.baseUrl}/`)).status, 404);
    assert.equal((await fetch(`${off.baseUrl}/web/lookup.js`)).status, 404);
  } finally {
    await off.stop();
  }
});
