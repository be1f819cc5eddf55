-- Phase 5: control closing times (docs/control-closing-times.md). The
-- table control_closing_times is Directus's (tools/phase5schema, in
-- snapshots/schema.yaml, with the uniqueness of waypoint_id and its
-- foreign keys); its rows are computed by extensions/trm (closing-times)
-- and nobody writes them through the API (access/). What Directus cannot
-- express is here:
--
-- 1. CHECKs: the allowed lateness is not negative, and a closing time is
--    its due time plus that lateness (the formula, held by the row).
-- 2. A constraint trigger: the control is a TC or CP of a segment of the
--    row's stage (deferred, like the other cross-row rules).
-- 3. The processor reads the closing times (a late arrival at a control
--    after it closed is out of time): trm_processor_role_sync, which the
--    entrypoint calls on every full boot and which revokes everything
--    before granting its list, now calls 004's function and adds SELECT
--    on control_closing_times. Same signature.
--
-- Each constraint's comment is the sentence users read
-- (the constraint-errors hook of extensions/trm).

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['stages', 'segments', 'waypoints', 'entries', 'entry_segment_starts', 'control_closing_times']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '007_control_closing_times: the tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus applied snapshots/schema.yaml; is the committed snapshot the Phase 5 one (tools/phase5schema)?';
  END IF;
  IF to_regprocedure('trm_processor_role_sync(text, text)') IS NULL THEN
    RAISE EXCEPTION '007_control_closing_times: trm_processor_role_sync(text, text) is missing (004_processor_role.sql makes it)';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION trm_control_closing_times_control_of_stage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM control_closing_times c
              WHERE c.id = NEW.id
                AND NOT EXISTS (SELECT 1 FROM waypoints w JOIN segments s ON s.id = w.segment_id
                                 WHERE w.id = c.waypoint_id AND s.stage_id = c.stage_id AND w.type IN ('TC', 'CP'))) THEN
    RAISE EXCEPTION 'closing time % is for waypoint %, which is not a TC or CP of stage %', NEW.id, NEW.waypoint_id, NEW.stage_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'control_closing_times_control_of_stage',
            TABLE = 'control_closing_times', COLUMN = 'waypoint_id';
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
      (1, 'control_closing_times_lateness_not_negative', 'CHECK (allowed_lateness_seconds >= 0)',
       'The allowed lateness of a closing time cannot be negative.'),
      (2, 'control_closing_times_closes_after_lateness', 'CHECK (extract(epoch FROM closes_at - due_at) = allowed_lateness_seconds)',
       'A control closes at the last starter''s due time plus the allowed lateness (closes_at = due_at + allowed_lateness_seconds).')
    ) AS t(ord, name, def, message) ORDER BY ord
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.name AND conrelid = 'control_closing_times'::regclass) THEN
      EXECUTE format('ALTER TABLE control_closing_times ADD CONSTRAINT %I %s', c.name, c.def);
    END IF;
    EXECUTE format('COMMENT ON CONSTRAINT %I ON control_closing_times IS %L', c.name, c.message);
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'control_closing_times_control_of_stage'
                    AND conrelid = 'control_closing_times'::regclass) THEN
    CREATE CONSTRAINT TRIGGER control_closing_times_control_of_stage
      AFTER INSERT OR UPDATE OF stage_id, waypoint_id ON control_closing_times
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_control_closing_times_control_of_stage();
  END IF;
  COMMENT ON CONSTRAINT control_closing_times_control_of_stage ON control_closing_times IS
    'A closing time is for a time control (TC) or checkpoint (CP) of a segment of its stage.';
END
$$;

-- The processor's reads grow by control_closing_times. 004's function
-- stays whole under the name trm_processor_role_sync_004 (its checks, the
-- role, the revocation and its grants); trm_processor_role_sync calls it
-- and grants this file's one privilege after it, so the entrypoint's
-- call on every full boot ends with exactly the processor's privileges.
-- A later file that extends them wraps this function the same way.
DO $$
BEGIN
  IF to_regprocedure('trm_processor_role_sync_004(text, text)') IS NULL THEN
    ALTER FUNCTION trm_processor_role_sync(text, text) RENAME TO trm_processor_role_sync_004;
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION trm_processor_role_sync(login text, password text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  result := trm_processor_role_sync_004(login, password);
  IF result <> 'not configured' THEN
    EXECUTE format('GRANT SELECT ON control_closing_times TO %I', login);
  END IF;
  RETURN result;
END
$$;

COMMENT ON FUNCTION trm_processor_role_sync(text, text) IS
  'Creates or updates the processor''s login role (name, password or its SCRAM verifier) with exactly its privileges: db-init/post/004''s (trm_processor_role_sync_004), and the reads of control closing times added by db-init/post/007; the entrypoint calls it on every full boot with TRM_PROCESSOR_DB_USER and TRM_PROCESSOR_DB_PASSWORD.';

REVOKE ALL ON FUNCTION trm_processor_role_sync(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION trm_processor_role_sync_004(text, text) FROM PUBLIC;

-- Assert the result, loudly.
DO $$
DECLARE
  want record;
  got record;
  broken bigint;
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('control_closing_times_lateness_not_negative', 'c', false),
      ('control_closing_times_closes_after_lateness', 'c', false),
      ('control_closing_times_control_of_stage', 't', true)
    ) AS t(name, kind, deferred)
  LOOP
    SELECT con.contype::text AS kind, con.condeferred, obj_description(con.oid, 'pg_constraint') AS message INTO got
      FROM pg_constraint con WHERE con.conname = want.name AND con.conrelid = 'control_closing_times'::regclass;
    IF NOT FOUND THEN
      RAISE EXCEPTION '007_control_closing_times: constraint % on control_closing_times is missing', want.name;
    END IF;
    IF got.kind <> want.kind OR got.condeferred <> want.deferred THEN
      RAISE EXCEPTION '007_control_closing_times: constraint % is of kind %, deferred %; expected kind %, deferred %',
        want.name, got.kind, got.condeferred, want.kind, want.deferred
        USING HINT = 'a constraint of that name was made by hand: drop it and rerun the file by hand, or reconcile';
    END IF;
    IF got.message IS NULL THEN
      RAISE EXCEPTION '007_control_closing_times: constraint % has no comment (the message users read)', want.name;
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = 'control_closing_times'::regclass AND i.indisunique AND i.indnatts = 1 AND a.attname = 'waypoint_id') THEN
    RAISE EXCEPTION '007_control_closing_times: control_closing_times.waypoint_id is not unique; snapshots/schema.yaml makes it so (one closing time per control)';
  END IF;
  IF obj_description(to_regprocedure('trm_processor_role_sync(text, text)'), 'pg_proc') NOT LIKE '%db-init/post/007%' THEN
    RAISE EXCEPTION '007_control_closing_times: trm_processor_role_sync is not this file''s';
  END IF;
  IF has_function_privilege('public', 'trm_processor_role_sync(text, text)', 'EXECUTE')
     OR has_function_privilege('public', 'trm_processor_role_sync_004(text, text)', 'EXECUTE') THEN
    RAISE EXCEPTION '007_control_closing_times: everyone may execute trm_processor_role_sync or trm_processor_role_sync_004';
  END IF;
  SELECT count(*) INTO broken FROM control_closing_times c
   WHERE NOT EXISTS (SELECT 1 FROM waypoints w JOIN segments s ON s.id = w.segment_id
                      WHERE w.id = c.waypoint_id AND s.stage_id = c.stage_id AND w.type IN ('TC', 'CP'));
  IF broken > 0 THEN
    RAISE WARNING '007_control_closing_times: % closing times are for a waypoint that is not a TC or CP of their stage (written before this file); the next recompute of their stage removes them', broken;
  END IF;
END
$$;
