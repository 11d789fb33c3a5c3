// Private lookups (DESIGN.md §12) against a real discoveryd with an independent client: Cloudflare's
// @cloudflare/voprf-ts (ristretto255-SHA512 in VOPRF mode, on @noble/curves) blinds, verifies the
// DLEQ proof and finalizes; node:crypto derives tag and key (HKDF-SHA256), decrypts the record
// (ChaCha20-Poly1305) and verifies the assertions (Ed25519); the answer is the one
// /v1/lookup?federate=false gives. key_id and the bucket are recomputed here from the RFC text.
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, createPublicKey, hkdfSync, verify } from 'node:crypto';
import { after, before, test } from 'node:test';

import { startDiscoveryd } from './discoveryd.mjs';

let voprf;
let server;
let metadata;

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const unb64u = (text) => new Uint8Array(Buffer.from(text, 'base64url'));

before(async () => {
  try {
    voprf = await import('@cloudflare/voprf-ts');
    const { CryptoNoble } = await import('@cloudflare/voprf-ts/crypto-noble');
    voprf.Oprf.Crypto = CryptoNoble;
  } catch (e) {
    throw new Error(`@cloudflare/voprf-ts is not installed; run "npm ci" in tests/interop (scripts/setup.sh does): ${e.message}`);
  }
  server = await startDiscoveryd({
    config: { rate_limits: { anonymous: { rate: 1000, burst: 1000 } }, private: { refresh_s: 1 } },
  });
  server.ctl(['private', 'rotate']);
  // A node re-reads the epochs at most once a second.
  for (let i = 0; i < 50; i += 1) {
    metadata = await (await fetch(`${server.baseUrl}/.well-known/mimi-discovery`)).json();
    if (metadata.private) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
});

after(async () => {
  if (server) await server.stop();
});

// The first `bits` bits of SHA-256("mimi-discovery private v1 bucket" || input), big-endian.
function bucketOf(input, bits) {
  const digest = createHash('sha256').update('mimi-discovery private v1 bucket').update(input).digest();
  const first = digest.readBigUInt64BE(0);
  return bits === 0 ? 0n : first >> BigInt(64 - bits);
}

// Checks every assertion of an answer under the DP's JWKS, then drops them (each signing differs).
function verified(answer) {
  const copy = structuredClone(answer);
  for (const m of copy.mappings) {
    const [header, payload, signature] = m.assertion.split('.');
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url'));
    assert.equal(alg, 'EdDSA');
    const jwk = metadata.jwks.keys.find((k) => k.kid === kid);
    assert.ok(jwk, `kid ${kid} is published`);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')));
    const claims = JSON.parse(Buffer.from(payload, 'base64url'));
    assert.equal(claims.sub, answer.identifier);
    assert.equal(claims.iss, metadata.issuer);
    assert.ok(claims.exp > Date.now() / 1000);
    delete m.assertion;
  }
  return copy;
}

// The whole client protocol for canonical identifiers; one answer (or null) per identifier.
async function privateLookup(identifiers) {
  const p = metadata.private;
  const publicKey = unb64u(p.public_key);
  const client = new voprf.VOPRFClient(voprf.Oprf.Suite.RISTRETTO255_SHA512, publicKey);
  const inputs = identifiers.map((id) => new TextEncoder().encode(id));
  const [finData, evalReq] = await client.blind(inputs);
  const blinded = evalReq.blinded.map((e) => b64u(e.serialize()));
  const r = await fetch(`${server.baseUrl}/v1/private/evaluate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key_id: p.key_id, blinded }),
  });
  assert.equal(r.status, 200);
  const answer = await r.json();
  assert.equal(answer.key_id, p.key_id);
  assert.equal(answer.evaluated.length, identifiers.length);
  // Evaluation's wire form in voprf-ts: count, elements, mode, proof (c || s).
  const count = Buffer.from([identifiers.length >> 8, identifiers.length & 255]);
  const bytes = Buffer.concat([count, ...answer.evaluated.map(unb64u), Buffer.from([voprf.Oprf.Mode.VOPRF]),
    unb64u(answer.proof)]);
  const evaluation = voprf.Evaluation.deserialize(voprf.Oprf.Suite.RISTRETTO255_SHA512, new Uint8Array(bytes));
  const outputs = await client.finalize(finData, evaluation);  // verifies the proof, or throws
  const results = [];
  for (let i = 0; i < identifiers.length; i += 1) {
    const y = outputs[i];
    const tag = Buffer.from(hkdfSync('sha256', y, new Uint8Array(), 'mimi-discovery private v1 tag', 16));
    const key = Buffer.from(hkdfSync('sha256', y, new Uint8Array(), 'mimi-discovery private v1 key', 32));
    const bucket = bucketOf(identifiers[i], p.bucket_bits);
    const b = await fetch(`${server.baseUrl}/v1/private/buckets/${p.key_id}/${bucket}`);
    assert.equal(b.status, 200);
    const body = await b.json();
    assert.equal(BigInt(body.bucket), bucket);
    const entry = body.entries.find((e) => Buffer.from(e.tag, 'base64url').equals(tag));
    if (!entry) {
      results.push(null);
      continue;
    }
    const record = Buffer.from(entry.record, 'base64url');
    const decipher = createDecipheriv('chacha20-poly1305', key, record.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(tag, { plaintextLength: record.length - 28 });
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(12, record.length - 16)), decipher.final()]);
    results.push(JSON.parse(plain.toString('utf8')));
  }
  return results;
}

async function plainLookup(id) {
  const r = await fetch(`${server.baseUrl}/v1/lookup?federate=false&id=${encodeURIComponent(id)}`);
  return r.json();
}

test('the metadata advertises the epoch, and key_id is recomputed from public_key', () => {
  const p = metadata.private;
  assert.ok(p, 'discoveryd advertises private lookups after discoveryctl private rotate');
  assert.equal(p.suite, 'ristretto255-SHA512');
  assert.equal(p.mode, 1);
  assert.equal(p.max_elements, 256);
  const digest = createHash('sha256').update(unb64u(p.public_key)).digest();
  assert.equal(p.key_id, b64u(digest.subarray(0, 8)));
});

test('voprf-ts finds, misses and sees opt-outs, with the answers of /v1/lookup?federate=false', async () => {
  const ids = ['tel:+14155552671', 'mailto:alice@example.com', 'acct:alice@chat.example', 'tel:+14155550100',
    'tel:+14155550199'];
  const got = await privateLookup(ids);
  for (let i = 0; i < 4; i += 1) {
    assert.ok(got[i], `${ids[i]} has an entry`);
    assert.equal(got[i].status, i < 3 ? 'found' : 'opted_out');
    assert.deepEqual(verified(got[i]), verified(await plainLookup(ids[i])));
  }
  assert.equal(got[4], null);
  assert.equal((await plainLookup(ids[4])).status, 'not_found');
});

test('a proof under another key does not verify in voprf-ts', async () => {
  const saved = metadata.private;
  // The generator's encoding: a valid element, but not the DP's public key.
  metadata.private = { ...saved, public_key: '4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY' };
  try {
    await assert.rejects(privateLookup(['tel:+14155552671']));
  } finally {
    metadata.private = saved;
  }
});
