-- 001: the index of a discovery provider on PostgreSQL (DESIGN.md §6.1, §10): the tables of
-- schema/migrations/ (SQLite) in PostgreSQL's types. Keys are COLLATE "C": byte order, as in
-- SQLite, and comparisons without the locale's cost.

-- Key/value facts about this index: 'issuer' (this DP's domain), 'secret:<name>' (hex).
CREATE TABLE meta (
  key   text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);

-- Write serials: every transaction that writes mappings takes the next value for all its rows.
CREATE SEQUENCE revisions;

-- One identifier reachable at one provider under one user URI; one B-tree on the key.
CREATE TABLE mappings (
  identifier text COLLATE "C" NOT NULL,  -- canonical form: tel:+..., mailto:..., acct:...
  provider   text COLLATE "C" NOT NULL,  -- MSP domain (A-label)
  "user"     text COLLATE "C" NOT NULL,  -- user URI at the provider
  tags       text NOT NULL DEFAULT '[]', -- JSON array of strings
  keys       text NOT NULL DEFAULT '[]', -- JSON array of {kind,id,key}
  updated_at bigint NOT NULL,            -- unix seconds
  expires_at bigint,                     -- unix seconds; NULL never expires
  revision   bigint NOT NULL,            -- write serial; part of the assertion cache key
  PRIMARY KEY (identifier, provider, "user")
);

-- People who asked not to be discoverable.
CREATE TABLE optouts (
  identifier text COLLATE "C" PRIMARY KEY,
  created_at bigint NOT NULL
);

-- Peer discovery providers this one federates with (DESIGN.md §5).
CREATE TABLE peers (
  domain     text COLLATE "C" PRIMARY KEY,
  url        text NOT NULL,
  public_key text NOT NULL,              -- pinned Ed25519 key, base64url of the raw 32 bytes
  token      text NOT NULL DEFAULT '',   -- bearer token presented to the peer ('' for none)
  enabled    boolean NOT NULL DEFAULT true,
  created_at bigint NOT NULL
);

-- API tokens, stored as the SHA-256 of the secret (DESIGN.md §8).
CREATE TABLE tokens (
  id          text COLLATE "C" PRIMARY KEY,
  name        text NOT NULL DEFAULT '',
  role        text NOT NULL CHECK (role IN ('client', 'peer', 'admin')),
  secret_hash bytea NOT NULL UNIQUE,
  created_at  bigint NOT NULL,
  revoked_at  bigint
);

-- This DP's Ed25519 signing keys; exactly one is active once the index is initialised.
CREATE TABLE signing_keys (
  added       bigserial,                 -- the order keys were added (ties of created_at)
  kid         text COLLATE "C" PRIMARY KEY,
  private_key bytea NOT NULL,            -- raw 32-byte seed
  public_key  bytea NOT NULL,            -- raw 32 bytes
  created_at  bigint NOT NULL,
  active      boolean NOT NULL DEFAULT false
);
