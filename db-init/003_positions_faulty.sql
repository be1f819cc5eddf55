-- faulty: operators flag a bad GPS fix through Directus; every evaluator
-- reads WHERE faulty = false, which the partial index serves.
ALTER TABLE positions ADD COLUMN IF NOT EXISTS faulty boolean NOT NULL DEFAULT false;

CREATE INDEX IF NOT EXISTS positions_faulty_idx ON positions (device_id, ts DESC) WHERE faulty = false;

-- Assert the result, loudly.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'positions' AND column_name = 'faulty'
                    AND data_type = 'boolean' AND is_nullable = 'NO' AND column_default = 'false') THEN
    RAISE EXCEPTION '003_positions_faulty: positions.faulty is missing or not boolean NOT NULL DEFAULT false';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'positions'
                  AND indexname = 'positions_faulty_idx'
                  AND indexdef LIKE '% USING btree (device_id, ts DESC) WHERE (faulty = false)') THEN
    RAISE EXCEPTION '003_positions_faulty: partial index positions_faulty_idx is missing or different';
  END IF;
END
$$;
