-- Where the processor stopped reading each device's positions, so that a
-- restart resumes there.
CREATE TABLE IF NOT EXISTS processor_checkpoints (
  device_id uuid PRIMARY KEY,
  last_ts timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
