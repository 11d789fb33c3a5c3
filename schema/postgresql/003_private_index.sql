-- 003: the private index of DESIGN.md §12 (the tables of SQLite's 004, in PostgreSQL's types).

CREATE TABLE private_epochs (
  key_id       text COLLATE "C" PRIMARY KEY,
  secret       bytea NOT NULL,
  public_key   bytea NOT NULL,
  bucket_bits  integer NOT NULL,
  created_at   bigint NOT NULL,
  activated_at bigint,
  retired_at   bigint
);

CREATE TABLE private_entries (
  key_id     text COLLATE "C" NOT NULL,
  tag        bytea NOT NULL,
  bucket     bigint NOT NULL,
  record     bytea NOT NULL,
  expires_at bigint NOT NULL,
  built_at   bigint NOT NULL,
  -- A bucket is read by this key; a build writes in bucket order.
  PRIMARY KEY (key_id, bucket, tag)
);
CREATE UNIQUE INDEX private_entries_by_tag ON private_entries (key_id, tag);

CREATE TABLE private_changes (
  identifier text COLLATE "C" PRIMARY KEY,
  serial     bigint NOT NULL
);

CREATE TABLE private_lease (
  name       text COLLATE "C" PRIMARY KEY,
  holder     text NOT NULL,
  expires_at bigint NOT NULL
);

-- Records the written identifier while an epoch exists (every write path, COPY included).
CREATE FUNCTION private_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  written text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM private_epochs) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    written := OLD.identifier;
  ELSE
    written := NEW.identifier;
  END IF;
  INSERT INTO private_changes (identifier, serial) VALUES (written, 1)
    ON CONFLICT (identifier) DO UPDATE SET serial = private_changes.serial + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER private_mapping_changed AFTER INSERT OR UPDATE OR DELETE ON mappings
  FOR EACH ROW EXECUTE FUNCTION private_note_change();
CREATE TRIGGER private_optout_changed AFTER INSERT OR UPDATE OR DELETE ON optouts
  FOR EACH ROW EXECUTE FUNCTION private_note_change();
