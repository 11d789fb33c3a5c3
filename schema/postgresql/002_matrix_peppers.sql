-- 002: lookup peppers of the Matrix identity surface and the hashes of every phone and email
-- under each pepper whose hashes are kept (DESIGN.md §11), as schema/migrations/003 on SQLite.
-- Mapping writes read matrix_peppers FOR SHARE and a rotation locks it EXCLUSIVE, so a write
-- and a rotation never miss each other's rows; lookups take neither lock.
CREATE TABLE matrix_peppers (
  id         bigserial PRIMARY KEY,
  pepper     text COLLATE "C" NOT NULL UNIQUE,  -- 32 random bytes, base64url (43 characters)
  created_at bigint NOT NULL,                   -- unix seconds
  retired_at bigint,                            -- unix seconds a newer pepper replaced it
  hashed     boolean NOT NULL DEFAULT true      -- true while matrix_hashes holds its hashes
);

-- hash = base64url(SHA-256("<address> <medium> <pepper>")) of one address of `identifier`.
CREATE TABLE matrix_hashes (
  pepper_id  bigint NOT NULL,
  hash       text COLLATE "C" NOT NULL,
  identifier text COLLATE "C" NOT NULL,
  PRIMARY KEY (pepper_id, hash)
);
