-- Extensions of the business plane database.
--
-- timescaledb is required unless the runner passes trm.timescaledb=optional
-- (development and CI machines, where it cannot be installed): then this
-- file continues with a NOTICE and 002 makes positions a plain table.
-- postgis holds course geometry (phase 2); btree_gist backs the exclusion
-- constraint on tracker assignments (phase 1 post-schema).
DO $$
DECLARE
  mode text := coalesce(nullif(current_setting('trm.timescaledb', true), ''), 'required');
BEGIN
  IF mode NOT IN ('required', 'optional') THEN
    RAISE EXCEPTION 'trm.timescaledb is %, expected required or optional', quote_literal(mode)
      USING HINT = 'set TRM_TIMESCALEDB (or --timescaledb) to required or optional';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
  ELSIF mode = 'optional' THEN
    RAISE NOTICE 'timescaledb is not available on this server; continuing without it because trm.timescaledb=optional: positions will be a plain table (same columns and indexes)';
  ELSE
    RAISE EXCEPTION 'the timescaledb extension is not available on this server, and trm.timescaledb=required'
      USING HINT = 'run a TimescaleDB server (e.g. timescale/timescaledb-ha), or for development and CI set TRM_TIMESCALEDB=optional';
  END IF;
END
$$;

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Assert the result, loudly.
DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(e, ', ') INTO missing
    FROM unnest(ARRAY['postgis', 'btree_gist']) AS e
   WHERE NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = e);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '001_extensions: extensions not installed: %', missing;
  END IF;
  IF coalesce(nullif(current_setting('trm.timescaledb', true), ''), 'required') = 'required'
     AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RAISE EXCEPTION '001_extensions: timescaledb is required but not installed';
  END IF;
END
$$;
