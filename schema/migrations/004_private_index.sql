-- 004: the private index of DESIGN.md §12. Epochs (an OPRF key pair each), sealed entries by
-- bucket, the identifiers written since the index last followed them, and the refresher's lease.

CREATE TABLE private_epochs (
  key_id       TEXT PRIMARY KEY,          -- base64url of SHA-256(pkS)[0..8)
  secret       BLOB NOT NULL,             -- skS, 32 raw bytes
  public_key   BLOB NOT NULL,             -- pkS, 32 raw bytes
  bucket_bits  INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  activated_at INTEGER,                   -- NULL while it is being built
  retired_at   INTEGER                    -- set when a newer epoch became current
) STRICT, WITHOUT ROWID;

-- One sealed record per identifier with mappings or an opt-out, found by its OPRF tag.
CREATE TABLE private_entries (
  key_id     TEXT NOT NULL,
  tag        BLOB NOT NULL,               -- 16 bytes of HKDF(OPRF output)
  bucket     INTEGER NOT NULL,            -- first B bits of a hash of the identifier
  record     BLOB NOT NULL,               -- nonce || ChaCha20-Poly1305 ciphertext || tag
  expires_at INTEGER NOT NULL,            -- earliest assertion exp in the record; 0 none
  built_at   INTEGER NOT NULL,
  -- Clustered by bucket: a bucket is one range of neighbouring pages, and a build that seals in
  -- bucket order appends instead of writing all over the table.
  PRIMARY KEY (key_id, bucket, tag)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX private_entries_by_tag ON private_entries (key_id, tag);

-- Identifiers written since the private index last followed them (kept only while an epoch
-- exists); serial counts the writes, so a refresh clears only what it has seen.
CREATE TABLE private_changes (
  identifier TEXT PRIMARY KEY,
  serial     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The refresher's lease: one node at a time follows writes (DESIGN.md §12).
CREATE TABLE private_lease (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER private_mapping_inserted AFTER INSERT ON mappings
  WHEN EXISTS (SELECT 1 FROM private_epochs)
BEGIN
  INSERT INTO private_changes (identifier, serial) VALUES (NEW.identifier, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = serial + 1;
END;
CREATE TRIGGER private_mapping_updated AFTER UPDATE ON mappings
  WHEN EXISTS (SELECT 1 FROM private_epochs)
BEGIN
  INSERT INTO private_changes (identifier, serial) VALUES (NEW.identifier, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = serial + 1;
END;
CREATE TRIGGER private_mapping_deleted AFTER DELETE ON mappings
  WHEN EXISTS (SELECT 1 FROM private_epochs)
BEGIN
  INSERT INTO private_changes (identifier, serial) VALUES (OLD.identifier, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = serial + 1;
END;
CREATE TRIGGER private_optout_inserted AFTER INSERT ON optouts
  WHEN EXISTS (SELECT 1 FROM private_epochs)
BEGIN
  INSERT INTO private_changes (identifier, serial) VALUES (NEW.identifier, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = serial + 1;
END;
CREATE TRIGGER private_optout_deleted AFTER DELETE ON optouts
  WHEN EXISTS (SELECT 1 FROM private_epochs)
BEGIN
  INSERT INTO private_changes (identifier, serial) VALUES (OLD.identifier, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = serial + 1;
END;
