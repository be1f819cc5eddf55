-- recompute_outbox: the transactional outbox of recompute requests.
--
-- The extension bundle's positions endpoint (extensions/trm,
-- POST /trm/positions/flag) inserts one row in the same transaction that
-- flags or unflags positions, so a request exists exactly when its flags
-- landed. The relay in every Directus process claims unsent rows
-- (FOR UPDATE SKIP LOCKED: one relay per row), adds each to the Redis
-- stream recompute:requests with id as its request_id, and marks it sent
-- in the same transaction; a relay that dies before marking leaves the row
-- to be sent again with the same request_id (docs/recompute-requests.md).
--
-- Owned by db-init, not a Directus collection: boot's OwnedTables keep it
-- out of snapshots and schema applies.
CREATE TABLE IF NOT EXISTS recompute_outbox (
  id         uuid        NOT NULL DEFAULT gen_random_uuid(),
  seq        bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  fields     jsonb       NOT NULL,
  sent_at    timestamptz,
  stream_id  text,
  CONSTRAINT recompute_outbox_pkey PRIMARY KEY (id),
  CONSTRAINT recompute_outbox_fields_object CHECK (jsonb_typeof(fields) = 'object'),
  CONSTRAINT recompute_outbox_sent_with_stream_id CHECK ((sent_at IS NULL) = (stream_id IS NULL))
);

CREATE UNIQUE INDEX IF NOT EXISTS recompute_outbox_seq ON recompute_outbox (seq);
-- What the relays scan: the unsent rows, oldest first.
CREATE INDEX IF NOT EXISTS recompute_outbox_unsent ON recompute_outbox (seq) WHERE sent_at IS NULL;

COMMENT ON TABLE recompute_outbox IS
  'Recompute requests waiting for (sent_at NULL) or relayed to (stream_id) the Redis stream recompute:requests; written by the extension bundle, see docs/recompute-requests.md.';

-- Assert the result, loudly.
DO $$
DECLARE
  want text := 'created_at timestamp with time zone NO clock_timestamp()|fields jsonb NO -|'
            || 'id uuid NO gen_random_uuid()|sent_at timestamp with time zone YES -|seq bigint NO -|stream_id text YES -';
  got text;
BEGIN
  SELECT string_agg(format('%s %s %s %s', column_name, data_type, is_nullable, coalesce(column_default, '-')), '|' ORDER BY column_name COLLATE "C")
    INTO got
    FROM information_schema.columns
   WHERE table_schema = current_schema() AND table_name = 'recompute_outbox';
  IF got IS DISTINCT FROM want THEN
    RAISE EXCEPTION '004_recompute_outbox: recompute_outbox has columns [%], expected [%]', got, want
      USING HINT = 'an earlier, different recompute_outbox table exists: reconcile it by hand (it holds requests not yet relayed where sent_at is null)';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'recompute_outbox'
                    AND column_name = 'seq' AND is_identity = 'YES' AND identity_generation = 'ALWAYS') THEN
    RAISE EXCEPTION '004_recompute_outbox: recompute_outbox.seq is not GENERATED ALWAYS AS IDENTITY';
  END IF;
  IF (SELECT count(*) FROM pg_constraint
       WHERE conrelid = 'recompute_outbox'::regclass
         AND conname IN ('recompute_outbox_pkey', 'recompute_outbox_fields_object', 'recompute_outbox_sent_with_stream_id')) <> 3 THEN
    RAISE EXCEPTION '004_recompute_outbox: recompute_outbox lacks its primary key or one of its CHECKs';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'recompute_outbox'
                  AND indexname = 'recompute_outbox_seq' AND indexdef LIKE 'CREATE UNIQUE INDEX % USING btree (seq)') THEN
    RAISE EXCEPTION '004_recompute_outbox: unique index recompute_outbox_seq (seq) is missing or different';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'recompute_outbox'
                  AND indexname = 'recompute_outbox_unsent' AND indexdef LIKE '% USING btree (seq) WHERE (sent_at IS NULL)') THEN
    RAISE EXCEPTION '004_recompute_outbox: partial index recompute_outbox_unsent is missing or different';
  END IF;
END
$$;
