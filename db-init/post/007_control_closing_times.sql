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
--    before granting its list, is replaced with 004's list plus SELECT on
--    control_closing_times. Same signature and body otherwise.
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

-- 004's function, with SELECT on control_closing_times added to the
-- processor's reads.
CREATE OR REPLACE FUNCTION trm_processor_role_sync(login text, password text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  r pg_roles;
  other text;
  result text;
BEGIN
  IF login IS NULL OR login = '' THEN
    RETURN 'not configured';
  END IF;
  IF login !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'the processor''s role name % is not a lower-case identifier (letters, digits, _)', quote_literal(login)
      USING ERRCODE = 'invalid_name';
  END IF;
  IF login IN (current_user, session_user) OR login LIKE 'pg\_%' THEN
    RAISE EXCEPTION 'the processor''s role cannot be %: that role is Directus''s database user or a built-in role', login
      USING ERRCODE = 'insufficient_privilege', HINT = 'set TRM_PROCESSOR_DB_USER to a role of its own, e.g. trm_processor';
  END IF;
  -- Concurrent syncs (replicas booting at once) take turns.
  PERFORM pg_advisory_xact_lock(hashtext('trm_processor_role_sync'));
  SELECT * INTO r FROM pg_roles WHERE rolname = login;
  IF FOUND THEN
    IF r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls THEN
      RAISE EXCEPTION 'role % has powers the processor must not have (superuser, createrole, createdb, replication or bypassrls)', login
        USING ERRCODE = 'insufficient_privilege', HINT = 'use a role of its own for the processor, or ALTER ROLE it NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS';
    END IF;
    SELECT string_agg(g.rolname, ', ') INTO other
      FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid;
    IF other IS NOT NULL THEN
      RAISE EXCEPTION 'role % is a member of %, whose privileges it would have', login, other
        USING ERRCODE = 'insufficient_privilege', HINT = 'REVOKE those roles FROM it, or use a role of its own for the processor';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class WHERE relowner = r.oid) OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspowner = r.oid) THEN
      RAISE EXCEPTION 'role % owns tables or schemas in this database: an owner has every right on what it owns', login
        USING ERRCODE = 'insufficient_privilege', HINT = 'use a role of its own for the processor';
    END IF;
    EXECUTE format('ALTER ROLE %I WITH LOGIN NOINHERIT', login);
    IF coalesce(password, '') <> '' THEN
      EXECUTE format('ALTER ROLE %I WITH PASSWORD %L', login, password);
    END IF;
    result := 'updated';
  ELSE
    IF coalesce(password, '') = '' THEN
      RAISE EXCEPTION 'role % does not exist and no password was given to create it', login
        USING ERRCODE = 'undefined_object', HINT = 'set TRM_PROCESSOR_DB_PASSWORD (or TRM_PROCESSOR_DB_PASSWORD_FILE), or create the role beforehand';
    END IF;
    EXECUTE format('CREATE ROLE %I WITH LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
                   login, password);
    result := 'created';
  END IF;

  -- Exactly these privileges: everything else of the schema is revoked
  -- first, so that a grant made by hand does not survive a boot.
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', login);
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', login);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', login);
  EXECUTE format('GRANT SELECT ON events, classes, entries, entry_devices, devices, stages, segments, geofences, waypoints,
                  speed_limit_zones, penalty_formulas, entry_segment_starts, control_closing_times, positions TO %I', login);
  EXECUTE format('GRANT SELECT, INSERT, DELETE ON entry_crossings TO %I', login);
  EXECUTE format('GRANT SELECT, DELETE ON entry_penalties TO %I', login);
  EXECUTE format('GRANT INSERT (id, entry_id, segment_id, type, qualifier, offence_key, occurred_at, formula_id, repeat_formula_id,
                  formula_snapshot, inputs, seconds, outcome, explanation, status) ON entry_penalties TO %I', login);
  EXECUTE format('GRANT SELECT, DELETE ON stage_results TO %I', login);
  EXECUTE format('GRANT INSERT (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds, position_overall,
                  position_class, status) ON stage_results TO %I', login);
  EXECUTE format('GRANT UPDATE (elapsed_seconds, penalty_seconds, total_seconds, position_overall, position_class)
                  ON stage_results TO %I', login);
  RETURN result;
END
$$;

COMMENT ON FUNCTION trm_processor_role_sync(text, text) IS
  'Creates or updates the processor''s login role (name, password or its SCRAM verifier) with exactly its privileges (db-init/post/004, reads of control closing times added by db-init/post/007); the entrypoint calls it on every full boot with TRM_PROCESSOR_DB_USER and TRM_PROCESSOR_DB_PASSWORD.';

REVOKE ALL ON FUNCTION trm_processor_role_sync(text, text) FROM PUBLIC;

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
  IF has_function_privilege('public', 'trm_processor_role_sync(text, text)', 'EXECUTE') THEN
    RAISE EXCEPTION '007_control_closing_times: everyone may execute trm_processor_role_sync';
  END IF;
  SELECT count(*) INTO broken FROM control_closing_times c
   WHERE NOT EXISTS (SELECT 1 FROM waypoints w JOIN segments s ON s.id = w.segment_id
                      WHERE w.id = c.waypoint_id AND s.stage_id = c.stage_id AND w.type IN ('TC', 'CP'));
  IF broken > 0 THEN
    RAISE WARNING '007_control_closing_times: % closing times are for a waypoint that is not a TC or CP of their stage (written before this file); the next recompute of their stage removes them', broken;
  END IF;
END
$$;
