-- positions: every GPS fix, written by the processor (which owns its
-- content); created here because the database is provisioned here.
-- No primary key: (device_id, ts) is unique, and a hypertable's unique
-- indexes must include its time column. 1-day chunks when TimescaleDB is
-- installed; otherwise (trm.timescaledb=optional) a plain table with the
-- same columns and indexes.
CREATE TABLE IF NOT EXISTS positions (
  device_id   text             NOT NULL,
  ts          timestamptz      NOT NULL,
  latitude    double precision NOT NULL,
  longitude   double precision NOT NULL,
  altitude    real             NOT NULL,
  angle       real             NOT NULL,
  speed       real             NOT NULL,
  satellites  smallint         NOT NULL,
  priority    smallint         NOT NULL,
  codec       text             NOT NULL,
  attributes  jsonb            NOT NULL,
  ingested_at timestamptz      NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS positions_device_ts ON positions (device_id, ts);
CREATE INDEX IF NOT EXISTS positions_ts ON positions (ts DESC);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    -- The pre-2.13 signature, still accepted by every 2.x release.
    PERFORM create_hypertable('positions', 'ts',
                              chunk_time_interval    => INTERVAL '1 day',
                              create_default_indexes => false,
                              if_not_exists          => true);
  END IF;
END
$$;

-- Assert the shape the processor writes, loudly.
DO $$
DECLARE
  want text := 'altitude real NO -|angle real NO -|attributes jsonb NO -|codec text NO -|device_id text NO -|'
            || 'ingested_at timestamp with time zone NO now()|latitude double precision NO -|'
            || 'longitude double precision NO -|priority smallint NO -|satellites smallint NO -|'
            || 'speed real NO -|ts timestamp with time zone NO -';
  got text;
BEGIN
  SELECT string_agg(format('%s %s %s %s', column_name, data_type, is_nullable, coalesce(column_default, '-')), '|' ORDER BY column_name)
    INTO got
    FROM information_schema.columns
   WHERE table_schema = current_schema() AND table_name = 'positions' AND column_name <> 'faulty';
  IF got IS DISTINCT FROM want THEN
    RAISE EXCEPTION '002_positions: positions has columns [%], expected [%]', got, want
      USING HINT = 'an earlier, different positions table exists: reconcile it by hand with the processor''s owners';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'positions'
                  AND indexname = 'positions_device_ts' AND indexdef LIKE 'CREATE UNIQUE INDEX % USING btree (device_id, ts)') THEN
    RAISE EXCEPTION '002_positions: unique index positions_device_ts (device_id, ts) is missing or different';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'positions'
                  AND indexname = 'positions_ts' AND indexdef LIKE '% USING btree (ts DESC)') THEN
    RAISE EXCEPTION '002_positions: index positions_ts (ts DESC) is missing or different';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.dimensions
                    WHERE hypertable_name = 'positions' AND column_name = 'ts' AND time_interval = INTERVAL '1 day') THEN
      RAISE EXCEPTION '002_positions: positions is not a hypertable on ts with 1-day chunks';
    END IF;
  END IF;
END
$$;
