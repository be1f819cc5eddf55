-- The processor's database role (docs/data-model-phase3.md, "The
-- processor's role"): a login role with exactly what the processor needs,
-- nothing else. It reads the course, the entries with their devices, the
-- classes (a rule may belong to a class or category), the start lists, the
-- formulas and the positions; it writes crossings, computed penalties and
-- provisional results. It reaches no Directus system table, cannot flag a
-- position faulty, and cannot touch a decided penalty or an official
-- result (row-level security, 003_phase3_timing.sql).
--
-- Its name and password are settings (TRM_PROCESSOR_DB_USER,
-- TRM_PROCESSOR_DB_PASSWORD, each also as *_FILE), not file content: this
-- file defines trm_processor_role_sync, and the entrypoint calls it after
-- the post-schema db-init of every full boot, so that a role configured
-- later, a new password or a table granted by a later file take effect.
-- The entrypoint passes the password as a SCRAM-SHA-256 verifier, never
-- in clear text.

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
                  speed_limit_zones, penalty_formulas, entry_segment_starts, positions TO %I', login);
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
  'Creates or updates the processor''s login role (name, password or its SCRAM verifier) with exactly its privileges; the entrypoint calls it on every full boot with TRM_PROCESSOR_DB_USER and TRM_PROCESSOR_DB_PASSWORD.';

-- Only the database's owner side calls it.
REVOKE ALL ON FUNCTION trm_processor_role_sync(text, text) FROM PUBLIC;

DO $$
BEGIN
  IF to_regprocedure('trm_processor_role_sync(text, text)') IS NULL THEN
    RAISE EXCEPTION '004_processor_role: trm_processor_role_sync(text, text) is missing';
  END IF;
  IF has_function_privilege('public', 'trm_processor_role_sync(text, text)', 'EXECUTE') THEN
    RAISE EXCEPTION '004_processor_role: everyone may execute trm_processor_role_sync';
  END IF;
  IF trm_processor_role_sync(NULL, NULL) <> 'not configured' THEN
    RAISE EXCEPTION '004_processor_role: trm_processor_role_sync without a name must change nothing';
  END IF;
END
$$;
