// The WebFinger surface (DESIGN.md §11, RFC 7033) against a real discoveryd: the real
// webfinger.js client for a hit and a miss, plain fetch for what it cannot express (tel: and
// mailto: resources, rel filtering and order, the 400s, CORS).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startDiscoveryd } from './discoveryd.mjs';

const MAPPING_REL = 'https://mimi-discovery.example/rel/mapping';
const PROP = 'https://mimi-discovery.example/prop/';
const ACTOR = 'https://social.example/users/dana';

let WebFinger;
let server;

before(async () => {
  try {
    ({ default: WebFinger } = await import('webfinger.js'));
  } catch (e) {
    throw new Error(`webfinger.js is not installed; run "npm ci" in tests/interop (scripts/setup.sh does): ${e.message}`);
  }
  server = await startDiscoveryd({
    // Every test here asks from 127.0.0.1: room for all of them (the limit has C++ tests).
    config: { rate_limits: { anonymous: { rate: 1000, burst: 1000 } } },
    records: [
      { identifier: '@dana@social.example', provider: 'chat.example', user: 'mimi://chat.example/u/dana' },
      { identifier: '@dana@social.example', provider: 'social.example', user: ACTOR, tags: ['fediverse'] },
    ],
  });
});

after(async () => {
  if (server) await server.stop();
});

const wf = (query) => `${server.baseUrl}/.well-known/webfinger${query}`;

// GET of a WebFinger URL: the status, the headers and the parsed body.
async function get(query, init = {}) {
  const r = await fetch(wf(query), init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

// The /v1 answer the JRD must agree with.
async function v1(id) {
  const r = await fetch(`${server.baseUrl}/v1/lookup?id=${encodeURIComponent(id)}&federate=false`);
  assert.equal(r.status, 200);
  return r.json();
}

// Runs `fn` with fetch sending every request for https://DOMAIN/ to the test server instead,
// as DNS would for a real deployment; returns fn's result and the URLs webfinger.js asked for.
async function withDomainOnLoopback(domains, fn) {
  const realFetch = globalThis.fetch;
  const asked = [];
  globalThis.fetch = (url, init) => {
    const u = new URL(url);
    asked.push({ url: u.href, accept: new Headers(init?.headers).get('accept') });
    if (domains.includes(u.hostname)) {
      return realFetch(`${server.baseUrl}${u.pathname}${u.search}`, init);
    }
    return realFetch(url, init);
  };
  try {
    return { result: await fn(), asked };
  } finally {
    globalThis.fetch = realFetch;
  }
}

function checkJrdAgrees(jrd, answer) {
  assert.equal(jrd.subject, answer.identifier);
  assert.equal(jrd.aliases, undefined);
  const links = jrd.links.filter((l) => l.rel === MAPPING_REL);
  assert.equal(links.length, answer.mappings.length);
  answer.mappings.forEach((m, i) => {
    const l = links[i];
    assert.equal(l.href, m.user);
    assert.deepEqual(l.titles, { und: m.provider });
    assert.equal(l.properties[`${PROP}provider`], m.provider);
    assert.deepEqual(JSON.parse(l.properties[`${PROP}tags`]), m.tags);
    assert.deepEqual(JSON.parse(l.properties[`${PROP}keys`]), m.keys);
    assert.equal(l.properties[`${PROP}expires_at`], m.expires_at);
    assert.match(l.properties[`${PROP}assertion`], /^[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const v of Object.values(l.properties)) assert.ok(v === null || typeof v === 'string');
  });
}

describe('webfinger.js 3.0', () => {
  test('looks up a handle: the JRD holds the mappings of /v1/lookup', async () => {
    const wfjs = new WebFinger({ allow_private_addresses: true, request_timeout: 5000 });
    const { result, asked } = await withDomainOnLoopback(['chat.example'], () => wfjs.lookup('alice@chat.example'));
    assert.equal(asked.length, 1);
    const sent = new URL(asked[0].url);
    assert.equal(sent.pathname, '/.well-known/webfinger');
    assert.equal(sent.searchParams.get('resource'), 'acct:alice@chat.example');
    assert.match(asked[0].accept, /application\/jrd\+json/);
    checkJrdAgrees(result.object, await v1('acct:alice@chat.example'));
    assert.equal(result.object.links[0].href, 'mimi://chat.example/u/8c1f3a');
  });

  test('an ActivityPub actor comes first as a self link', async () => {
    const wfjs = new WebFinger({ allow_private_addresses: true, request_timeout: 5000 });
    // webfinger.js prefixes "acct:" to any address without "://", so it takes the bare address
    // ("acct:dana@social.example" would be sent as resource=acct:acct:dana@social.example).
    const { result } = await withDomainOnLoopback(['social.example'], () => wfjs.lookup('dana@social.example'));
    const [self, ...rest] = result.object.links;
    assert.deepEqual(self, { rel: 'self', type: 'application/activity+json', href: ACTOR });
    checkJrdAgrees({ ...result.object, links: rest }, await v1('acct:dana@social.example'));
  });

  test('a resource that is not indexed is a 404 WebFingerError', async () => {
    const wfjs = new WebFinger({ allow_private_addresses: true, request_timeout: 5000 });
    const { result: err } = await withDomainOnLoopback(['chat.example'],
      () => wfjs.lookup('nobody@chat.example').then(() => null, (e) => e));
    assert.ok(err, 'the lookup of an unknown handle must fail');
    assert.equal(err.status, 404);
    assert.equal(err.message, 'resource not found');
  });

  test('loopback with tls_only: false and allow_private_addresses: true reaches the server', async () => {
    // The resource names the loopback host, which no index entry can hold: a 404 from the server,
    // after webfinger.js fell back from https to http.
    const wfjs = new WebFinger({ tls_only: false, allow_private_addresses: true, request_timeout: 5000 });
    const err = await wfjs.lookup(`alice@127.0.0.1:${server.port}`).then(() => null, (e) => e);
    assert.ok(err);
    assert.equal(err.status, 404);
    // Without allow_private_addresses the client refuses before sending anything.
    const strict = new WebFinger({ tls_only: false });
    const refused = await strict.lookup(`alice@127.0.0.1:${server.port}`).then(() => null, (e) => e);
    assert.match(refused.message, /private or internal/);
  });
});

describe('plain fetch', () => {
  test('tel: with a literal + and percent-encoded agree with /v1', async () => {
    const plain = await get('?resource=tel:+14155552671');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/jrd+json');
    assert.equal(plain.headers.get('access-control-allow-origin'), '*');
    checkJrdAgrees(plain.body, await v1('tel:+14155552671'));
    assert.equal(plain.body.links.length, 2);
    const encoded = await get(`?resource=${encodeURIComponent('tel:+14155552671')}`);
    assert.deepEqual(encoded.body, plain.body);
    const visual = await get('?resource=tel:+1-415-555-2671');
    assert.equal(visual.body.subject, 'tel:+14155552671');
  });

  test('mailto: is canonicalised', async () => {
    const r = await get(`?resource=${encodeURIComponent('mailto:Bob@Example.ORG')}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.subject, 'mailto:bob@example.org');
    checkJrdAgrees(r.body, await v1('mailto:bob@example.org'));
  });

  test('rel filters by exact match and the order of rel parameters never matters', async () => {
    const base = '?resource=acct:dana@social.example';
    const all = (await get(base)).body;
    assert.deepEqual(all.links.map((l) => l.rel), ['self', MAPPING_REL, MAPPING_REL]);
    const mapped = (await get(`${base}&rel=${encodeURIComponent(MAPPING_REL)}`)).body;
    assert.deepEqual(mapped.links, all.links.slice(1));
    const self = (await get(`${base}&rel=self`)).body;
    assert.deepEqual(self.links, all.links.slice(0, 1));
    const unknown = await get(`${base}&rel=http://webfinger.net/rel/avatar`);
    assert.equal(unknown.status, 200);
    assert.deepEqual(unknown.body, { subject: 'acct:dana@social.example', links: [] });
    const ab = (await get(`${base}&rel=self&rel=${MAPPING_REL}`)).body;
    const ba = (await get(`${base}&rel=${MAPPING_REL}&rel=self`)).body;
    assert.deepEqual(ab, ba);
    assert.deepEqual(ab, all);
  });

  test('bad requests are 400 in the JSON error shape, with CORS', async () => {
    for (const query of ['', '?resource=', '?resource=alice@chat.example', '?resource=%3Dacct:alice@chat.example',
      '?resource=acct:alice@chat.example&resource=acct:bob@chat.example', '?resource=acct:alice@chat.example&foo=1']) {
      const r = await get(query);
      assert.equal(r.status, 400, query);
      assert.equal(r.headers.get('access-control-allow-origin'), '*', query);
      assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8', query);
      assert.equal(r.body.error.code, 'invalid_request', query);
      assert.ok(r.body.error.message.endsWith('.'), query);
    }
  });

  test('misses are 404 with CORS: other schemes, opted out, expired, not canonicalisable', async () => {
    for (const resource of ['https://chat.example/u/8c1f3a', 'tel:+14155550100', 'tel:+33142685300',
      'tel:4155552671', 'acct:nobody@chat.example']) {
      const r = await get(`?resource=${encodeURIComponent(resource)}`);
      assert.equal(r.status, 404, resource);
      assert.equal(r.headers.get('access-control-allow-origin'), '*', resource);
      assert.equal(r.body.error.code, 'not_found', resource);
    }
  });

  test('CORS: 405, and the OPTIONS preflight', async () => {
    const post = await fetch(wf('?resource=acct:alice@chat.example'), { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('access-control-allow-origin'), '*');
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
    const pre = await fetch(wf('?resource=acct:alice@chat.example'), {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods'), /\bGET\b/);
    const ok = await fetch(wf('?resource=acct:alice@chat.example'), { headers: { Origin: 'https://app.example' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    assert.match(ok.headers.get('access-control-expose-headers'), /RateLimit-Remaining/);
  });
});
