-- 002: mappings stored in the order of their key (identifier, provider, user), WITHOUT ROWID
-- (issue 9). 001 kept each row in a rowid table and its key in a separate index, so a lookup
-- searched two B-trees and touched two leaf pages per identifier; now it searches one, and the
-- file has no second copy of the key. The rows are copied in key order; on a large index this
-- runs once, when a newer binary first opens it, and leaves the old pages free inside the file
-- (docs/OPERATIONS.md "SQLite tuning": VACUUM returns them to the disk).
CREATE TABLE mappings_by_key (  -- 001's columns (their meaning is there), without id
  identifier TEXT NOT NULL, provider TEXT NOT NULL, user TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]', keys TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL, expires_at INTEGER, revision INTEGER NOT NULL,
  PRIMARY KEY (identifier, provider, user)
) STRICT, WITHOUT ROWID;
INSERT INTO mappings_by_key (identifier, provider, user, tags, keys, updated_at, expires_at, revision)
  SELECT identifier, provider, user, tags, keys, updated_at, expires_at, revision FROM mappings
  ORDER BY identifier, provider, user;
DROP TABLE mappings;
ALTER TABLE mappings_by_key RENAME TO mappings;
