// The Matrix identity service surface (DESIGN.md §11) against a real discoveryd with the real
// matrix-js-sdk: getIdentityHashDetails, identityHashedLookup (an email hit, a phone hit, a miss),
// lookupThreePid, a pepper rotated by discoveryctl (accepted during the grace period, refused
// after) and M_UNAUTHORIZED without a token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startDiscoveryd } from './discoveryd.mjs';

const GRACE_S = 2;

let sdk;
let server;
let token;

before(async () => {
  try {
    sdk = await import('matrix-js-sdk');
  } catch (e) {
    throw new Error(`matrix-js-sdk is not installed; run "npm ci" in tests/interop (scripts/setup.sh does): ${e.message}`);
  }
  server = await startDiscoveryd({
    config: {
      rate_limits: { client: { rate: 1000, burst: 1000 } },
      matrix: { pepper_rotation_s: 0, pepper_grace_s: GRACE_S },
    },
    records: [
      { identifier: 'alice@example.com', provider: 'matrix.example', user: 'matrix:u/alice:matrix.example' },
      { identifier: '+4930901820', provider: 'matrix.example', user: 'matrix:u/dieter:matrix.example' },
    ],
  });
  token = server.ctl(['token', 'create', '--role', 'client']).trim().split('\n').pop();
});

after(async () => {
  if (server) await server.stop();
});

// The library logs every request at debug level; the tests keep its warnings and errors only.
const quiet = {
  trace() {}, debug() {}, info() {}, log() {},
  warn: (...a) => console.warn(...a),
  error: (...a) => console.error(...a),
  getChild() { return quiet; },
};

// A client of the homeserver-less kind an identity lookup needs: only idBaseUrl is used.
function client(opts = {}) {
  return sdk.createClient({ baseUrl: 'http://127.0.0.1:9', idBaseUrl: server.baseUrl, logger: quiet, ...opts });
}

describe('matrix-js-sdk against discoveryd', () => {
  test('getIdentityHashDetails answers a 43-character pepper and both algorithms', async () => {
    const details = await client().getIdentityHashDetails(token);
    assert.equal(details.lookup_pepper.length, 43);
    assert.deepEqual([...details.algorithms].sort(), ['none', 'sha256']);
  });

  test('identityHashedLookup finds an email and a phone and leaves a miss out', async () => {
    const found = await client().identityHashedLookup(
      [['alice@example.com', 'email'], ['4930901820', 'msisdn'], ['nobody@example.com', 'email']],
      token,
    );
    const byAddress = Object.fromEntries(found.map((f) => [f.address, f.mxid]));
    assert.deepEqual(byAddress, {
      'alice@example.com': '@alice:matrix.example',
      '4930901820': '@dieter:matrix.example',
    });
  });

  test('identityHashedLookup sends what the user typed, lower-cased by the library', async () => {
    const found = await client().identityHashedLookup([['Alice@Example.COM', 'email']], token);
    assert.deepEqual(found, [{ address: 'Alice@Example.COM', mxid: '@alice:matrix.example' }]);
  });

  test('lookupThreePid answers the v1 shape for a hit and {} for a miss', async () => {
    const hit = await client().lookupThreePid('email', 'alice@example.com', token);
    assert.deepEqual(hit, { address: 'alice@example.com', medium: 'email', mxid: '@alice:matrix.example' });
    assert.deepEqual(await client().lookupThreePid('msisdn', '14155550199', token), {});
  });

  test('no token is M_UNAUTHORIZED', async () => {
    await assert.rejects(client().getIdentityHashDetails(undefined), (e) => {
      assert.equal(e.httpStatus, 401);
      assert.equal(e.errcode, 'M_UNAUTHORIZED');
      return true;
    });
    await assert.rejects(client().identityHashedLookup([['alice@example.com', 'email']], 'mimi_wrong'), (e) => {
      assert.equal(e.errcode, 'M_UNAUTHORIZED');
      return true;
    });
  });

  test('a rotated pepper is accepted during the grace period and refused after it', async () => {
    // matrix-js-sdk fetches hash_details before every lookup; a client that cached it (as
    // homeservers do) keeps the old pepper. This fetch serves the cached answer.
    const cached = await client().getIdentityHashDetails(token);
    const stale = client({
      fetchFn: (url, init) =>
        String(url).endsWith('/_matrix/identity/v2/hash_details')
          ? Promise.resolve(new Response(JSON.stringify(cached), { headers: { 'Content-Type': 'application/json' } }))
          : fetch(url, init),
    });
    server.ctl(['matrix', 'rotate-pepper']);
    const current = await client().getIdentityHashDetails(token);
    assert.notEqual(current.lookup_pepper, cached.lookup_pepper);

    const during = await stale.identityHashedLookup([['alice@example.com', 'email']], token);
    assert.deepEqual(during, [{ address: 'alice@example.com', mxid: '@alice:matrix.example' }]);

    await sleep((GRACE_S + 1.2) * 1000);
    await assert.rejects(stale.identityHashedLookup([['alice@example.com', 'email']], token), (e) => {
      assert.equal(e.httpStatus, 400);
      assert.equal(e.errcode, 'M_INVALID_PEPPER');
      assert.equal(e.data.lookup_pepper, current.lookup_pepper);
      return true;
    });
    // A fresh client fetches the new pepper and finds the address again.
    const fresh = await client().identityHashedLookup([['alice@example.com', 'email']], token);
    assert.equal(fresh.length, 1);
  });
});

describe('the Matrix surface with plain fetch', () => {
  test('CORS on an error and a preflight', async () => {
    const r = await fetch(`${server.baseUrl}/_matrix/identity/v2/hash_details`, { headers: { Origin: 'https://app.example' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal((await r.json()).errcode, 'M_UNAUTHORIZED');
    const p = await fetch(`${server.baseUrl}/_matrix/identity/v2/lookup`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(p.status, 204);
    assert.match(p.headers.get('access-control-allow-headers'), /Authorization/);
  });
});
