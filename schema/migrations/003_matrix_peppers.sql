-- 003: lookup peppers of the Matrix identity surface and the hashes of every phone and email
-- under each pepper whose hashes are kept (DESIGN.md §11). The hashes are written by the store in
-- the transaction of every mapping write; a rotation fills a new pepper's hashes in one
-- transaction. An index upgraded from 002 has no pepper: the first one is made (with its hashes)
-- by discoveryd's pepper timer or `discoveryctl matrix rotate-pepper`.
CREATE TABLE matrix_peppers (
  id         INTEGER PRIMARY KEY,        -- the order peppers were made
  pepper     TEXT NOT NULL UNIQUE,       -- 32 random bytes, base64url (43 characters)
  created_at INTEGER NOT NULL,           -- unix seconds
  retired_at INTEGER,                    -- unix seconds a newer pepper replaced it; NULL: current
  hashed     INTEGER NOT NULL DEFAULT 1  -- 1 while matrix_hashes holds its hashes
) STRICT;

-- hash = base64url(SHA-256("<address> <medium> <pepper>")) of one address of `identifier`
-- (resolver/pepper.hpp). Deleted by (pepper_id, hash), which the store recomputes.
CREATE TABLE matrix_hashes (
  pepper_id  INTEGER NOT NULL,
  hash       TEXT NOT NULL,
  identifier TEXT NOT NULL,              -- canonical tel: or mailto: identifier
  PRIMARY KEY (pepper_id, hash)
) STRICT, WITHOUT ROWID;
