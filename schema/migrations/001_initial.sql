-- 001: the index of a discovery provider (DESIGN.md §6.1). Plain STRICT tables, no custom
-- collations or functions, so the stock sqlite3 shell can open and check it.

-- Key/value facts about this index: 'issuer' (this DP's domain), 'revision' (last write serial).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One identifier reachable at one provider under one user URI.
CREATE TABLE mappings (
  id         INTEGER PRIMARY KEY,
  identifier TEXT NOT NULL,              -- canonical form: tel:+..., mailto:..., acct:...
  provider   TEXT NOT NULL,              -- MSP domain (A-label)
  user       TEXT NOT NULL,              -- user URI at the provider
  tags       TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
  keys       TEXT NOT NULL DEFAULT '[]', -- JSON array of {kind,id,key}
  updated_at INTEGER NOT NULL,           -- unix seconds
  expires_at INTEGER,                    -- unix seconds; NULL never expires
  revision   INTEGER NOT NULL            -- write serial; part of the assertion cache key
) STRICT;
CREATE UNIQUE INDEX mappings_by_identifier ON mappings (identifier, provider, user);

-- People who asked not to be discoverable.
CREATE TABLE optouts (
  identifier TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Peer discovery providers this one federates with (DESIGN.md §5).
CREATE TABLE peers (
  domain     TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  public_key TEXT NOT NULL,              -- pinned Ed25519 key, base64url of the raw 32 bytes
  token      TEXT NOT NULL DEFAULT '',   -- bearer token presented to the peer ('' for none)
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- API tokens, stored as the SHA-256 of the secret (DESIGN.md §8).
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL DEFAULT '',
  role        TEXT NOT NULL CHECK (role IN ('client', 'peer', 'admin')),
  secret_hash BLOB NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
) STRICT, WITHOUT ROWID;

-- This DP's Ed25519 signing keys; exactly one is active once the index is initialised.
CREATE TABLE signing_keys (
  kid         TEXT PRIMARY KEY,
  private_key BLOB NOT NULL,             -- raw 32-byte seed
  public_key  BLOB NOT NULL,             -- raw 32 bytes
  created_at  INTEGER NOT NULL,
  active      INTEGER NOT NULL DEFAULT 0
) STRICT;
