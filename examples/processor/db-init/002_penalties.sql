-- Penalties the evaluators computed, with the formula used, before the
-- business plane takes them over.
CREATE TABLE IF NOT EXISTS processor_penalties (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id uuid NOT NULL,
  rule_key text NOT NULL,
  seconds integer NOT NULL CHECK (seconds >= 0),
  explanation text NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS processor_penalties_entry ON processor_penalties (entry_id);
