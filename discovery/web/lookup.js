// The lookup page (DESIGN.md §13): asks this server's public API as an anonymous caller and shows
// the answer as cards; each mapping's assertion is verified here with WebCrypto Ed25519 against
// the keys of its iss (§12): this server's JWKS for its own, the key it pinned for a peer for a
// federated one. Where the browser cannot verify, the page says so and never "not verified".
'use strict';

const form = document.getElementById('lookup-form');
const idField = document.getElementById('identifier');
const regionField = document.getElementById('region');
const button = document.getElementById('lookup-button');
const message = document.getElementById('message');
const results = document.getElementById('results');
const note = document.getElementById('verify-note');

// RFC 8032 test 1's public key: importing it tells whether this browser has WebCrypto Ed25519.
const PROBE_KEY = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
let metadataPromise = null;
let ed25519Promise = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function say(text, kind) {
  message.className = kind;
  message.textContent = text;
}

function b64urlBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function b64urlJson(text) {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64urlBytes(text)));
}

function canVerify() {
  if (!ed25519Promise) {
    ed25519Promise = (async () => {
      if (!window.isSecureContext || !window.crypto || !crypto.subtle) return false;
      try {
        await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: PROBE_KEY },
          { name: 'Ed25519' }, false, ['verify']);
        return true;
      } catch (e) {
        return false;
      }
    })();
  }
  return ed25519Promise;
}

// This server's metadata: its issuer, its JWKS and the keys it pinned for its peers.
function metadata() {
  if (!metadataPromise) {
    metadataPromise = fetch('/.well-known/mimi-discovery', { credentials: 'omit' }).then((r) => {
      if (!r.ok) throw new Error(`the server's metadata answered HTTP ${r.status}`);
      return r.json();
    });
    metadataPromise.catch(() => { metadataPromise = null; });
  }
  return metadataPromise;
}

// The keys that may have signed an assertion of `issuer`: {keys: [{kid, x}], anyKid, origin}.
function keysOf(meta, issuer) {
  const jwks = (j) => (j && Array.isArray(j.keys) ? j.keys : []).filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519');
  if (issuer === meta.issuer) return { keys: jwks(meta.jwks), anyKid: false, origin: `${issuer}'s published keys` };
  const peer = (meta.peers || []).find((p) => p.domain === issuer);
  if (peer) return { keys: jwks(peer.jwks), anyKid: true, origin: `the key ${meta.issuer} pinned for ${issuer}` };
  return null;
}

// JSON text with object members sorted, so that member order does not matter; absent is [].
function canonical(value) {
  if (value === undefined || value === null) return '[]';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameJson(a, b) {
  return canonical(a) === canonical(b);
}

// {state: 'verified'|'failed'|'unavailable', text}: the verdict on one mapping's assertion.
async function verifyMapping(mapping, answer, meta) {
  if (!(await canVerify())) {
    return { state: 'unavailable', text: 'Cannot verify here: this browser has no WebCrypto Ed25519 (it needs https or localhost and a recent browser).' };
  }
  const fail = (why) => ({ state: 'failed', text: `Not verified: ${why}` });
  const parts = typeof mapping.assertion === 'string' ? mapping.assertion.split('.') : [];
  if (parts.length !== 3) return fail('the assertion is not a JWS of three parts.');
  let header, claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch (e) {
    return fail('the assertion is not base64url JSON.');
  }
  if (header.alg !== 'EdDSA' || header.typ !== 'mimi-mapping+jwt') return fail('the assertion is not an EdDSA mapping assertion.');
  const expected = !mapping.source || mapping.source === 'local' ? meta.issuer : mapping.source;
  if (claims.iss !== expected) return fail(`it is signed in the name of ${claims.iss}, but the mapping comes from ${expected}.`);
  const trusted = keysOf(meta, claims.iss);
  if (!trusted) return fail(`this server publishes no key for ${claims.iss}.`);
  const jwk = trusted.anyKid ? trusted.keys[0] : trusted.keys.find((k) => k.kid === header.kid);
  if (!jwk) return fail(`the key ${header.kid} is not among ${trusted.origin}.`);
  let good = false;
  try {
    const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    good = await crypto.subtle.verify({ name: 'Ed25519' }, key, b64urlBytes(parts[2]),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  } catch (e) {
    return fail('the signature cannot be checked with the published key.');
  }
  if (!good) return fail(`the signature does not match ${trusted.origin}.`);
  if (claims.sub !== answer.identifier) return fail('the assertion is about another identifier.');
  if (!(claims.exp * 1000 > Date.now())) return fail('the assertion has expired.');
  if (claims.provider !== mapping.provider || claims.user !== mapping.user) return fail('the provider or user shown differs from what is signed.');
  if (!sameJson(claims.tags, mapping.tags) || !sameJson(claims.keys, mapping.keys)) return fail('the tags or keys shown differ from what is signed.');
  const until = new Date(claims.exp * 1000).toISOString().replace('.000Z', 'Z');
  return { state: 'verified', text: `Verified: signed by ${claims.iss} (key ${header.kid}, ${trusted.origin}), valid until ${until}.` };
}

function row(dl, term, ...value) {
  dl.append(el('dt', {}, term), el('dd', {}, ...value));
}

function card(mapping, index) {
  const dl = el('dl');
  row(dl, 'User', el('code', {}, mapping.user));
  const tags = Array.isArray(mapping.tags) && mapping.tags.length ? mapping.tags.map((t) => el('span', { class: 'tag' }, t)) : ['none'];
  row(dl, 'Tags', ...tags);
  const keys = Array.isArray(mapping.keys) && mapping.keys.length
    ? mapping.keys.map((k) => el('div', {}, `${k.kind} ${k.id} `, el('code', {}, k.key)))
    : ['none'];
  row(dl, 'Keys', ...keys);
  row(dl, 'Expires', mapping.expires_at || 'no expiry');
  row(dl, 'Source', !mapping.source || mapping.source === 'local' ? 'this server' : `${mapping.source} (federated)`);
  const verdict = el('p', { class: 'verdict pending' }, 'Checking the signature…');
  const node = el('article', { class: 'card', 'data-verification': 'pending', 'aria-labelledby': `mapping-${index}` },
    el('h2', { id: `mapping-${index}` }, mapping.provider), dl, verdict);
  return { node, verdict };
}

function summary(answer) {
  const n = answer.mappings.length;
  if (answer.status === 'found') return `${answer.identifier} can be reached at ${n} ${n === 1 ? 'place' : 'places'}.`;
  if (answer.status === 'opted_out') return `${answer.identifier} asked not to be discoverable (opted out).`;
  return `${answer.identifier} was not found here.`;
}

async function show(answer) {
  const meta = await metadata();
  results.append(el('p', { class: 'summary', 'data-status': answer.status }, summary(answer)));
  const checks = answer.mappings.map(async (mapping, i) => {
    const { node, verdict } = card(mapping, i);
    results.append(node);
    const v = await verifyMapping(mapping, answer, meta);
    node.dataset.verification = v.state;
    verdict.className = `verdict ${v.state}`;
    verdict.textContent = v.text;
  });
  const peers = Array.isArray(answer.peers) ? answer.peers : [];
  if (peers.length) {
    const list = el('ul', { class: 'peers' });
    for (const p of peers) list.append(el('li', {}, `${p.domain}: ${p.status}${p.detail ? ` (${p.detail})` : ''}`));
    results.append(el('p', {}, 'Other discovery providers asked:'), list);
  }
  await Promise.all(checks);
}

// `text` as a sentence: a capital first and a full stop last.
function sentence(text) {
  if (!text) return '';
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

// An error answer of the API as one sentence.
async function errorSentence(response) {
  let text = '';
  try {
    const body = await response.json();
    text = sentence(body && body.error && body.error.message ? body.error.message : '');
  } catch (e) { /* not JSON: the status alone */ }
  if (response.status === 429) {
    const wait = response.headers.get('Retry-After');
    return `This server limits how many lookups one address may make. ${text}${wait ? ` Try again in ${wait} seconds.` : ''}`;
  }
  if (response.status === 400) return `That is not something this server can look up. ${text}`;
  if (response.status >= 500) return `The server could not answer right now (HTTP ${response.status}). ${text}`;
  return `The server refused the lookup (HTTP ${response.status}). ${text}`;
}

async function lookUp(event) {
  event.preventDefault();
  const id = idField.value.trim();
  const region = regionField.value.trim().toUpperCase();
  results.replaceChildren();
  if (!id) {
    say('Enter a phone number, an email address or a handle to look up.', 'error');
    idField.focus();
    return;
  }
  button.disabled = true;
  results.dataset.state = 'busy';
  say('Looking up…', 'info');
  try {
    const query = new URLSearchParams({ id });
    if (region) query.set('region', region);
    const response = await fetch(`/v1/lookup?${query}`, { credentials: 'omit', headers: { Accept: 'application/json' } });
    if (!response.ok) {
      say(await errorSentence(response), 'error');
    } else {
      say('', '');
      await show(await response.json());
    }
  } catch (e) {
    say(`The server cannot be reached: ${e.message}. Check your connection and try again.`, 'error');
  } finally {
    button.disabled = false;
    results.dataset.state = 'done';
  }
}

form.addEventListener('submit', lookUp);
canVerify().then((ok) => {
  if (!ok) note.textContent = 'This browser cannot verify signatures here (WebCrypto Ed25519 needs https or localhost and a recent browser); answers are shown unverified.';
});
