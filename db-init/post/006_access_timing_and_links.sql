-- Phase 4 (docs/access-model.md): what the database enforces of the
-- access model.
--
-- 1. Who may reopen official results: trm_may_reopen_stage_results,
--    the hook 003_phase3_timing.sql left (any user), now agrees with
--    access/: an administrator (a Directus policy with admin_access,
--    through the user's role, its parents or the user directly) or an
--    org-admin or race-director of the organisation of the stage's event.
--    Directus's permissions refuse everyone else first; this is the same
--    rule where Directus's permissions do not reach (SQL as Directus's
--    database user, a hook, a flow).
--
-- 2. Every link between two items an organisation owns stays inside one
--    organisation. Directus's permissions check the item a person edits,
--    not the item a link points at: a race director of A could set an
--    entry's vehicle to B's vehicle (measured: tests/access). The links:
--    an entry's vehicle (registered with the event's organisation,
--    organization_vehicles), an entry's trackers (organization_devices),
--    its crew and the person a tracker is assigned to (members of the
--    organisation, organization_users). Checked from both ends: writing
--    the link, and removing or moving the registration or membership, or
--    the event, that the link relies on. The links inside an event (class,
--    course, timing) are 001–003's.
--
-- Runs after Directus applied snapshots/schema.yaml. Constraint triggers
-- only (invisible to Directus's snapshot), DEFERRABLE INITIALLY DEFERRED
-- so that one transaction may register a vehicle and enter it, or change
-- an entry's vehicle and drop the old registration, in any order. Each
-- raises check_violation naming itself, its table and the column at
-- fault; its comment is the sentence users read
-- (extensions/trm-constraint-errors). Rows written before this file are
-- not checked until they are written again (boot never refuses data it
-- did not make): the assertion block warns with their number.

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['organizations', 'organization_users', 'organization_vehicles', 'organization_devices', 'events',
                      'entries', 'entry_crew', 'entry_devices', 'stages', 'stage_results',
                      'directus_users', 'directus_roles', 'directus_access', 'directus_policies']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '006_access_timing_and_links: the tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus bootstrapped and applied snapshots/schema.yaml';
  END IF;
  IF to_regprocedure('trm_may_reopen_stage_results(uuid, uuid)') IS NULL THEN
    RAISE EXCEPTION '006_access_timing_and_links: trm_may_reopen_stage_results(uuid, uuid) is missing (003_phase3_timing.sql makes it)';
  END IF;
END
$$;

-- Same signature and parameter names as 003's (CREATE OR REPLACE cannot
-- rename them); the body uses $1 and $2, since the names are also columns.
CREATE OR REPLACE FUNCTION trm_may_reopen_stage_results(user_id uuid, stage_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE roles AS (
    SELECT u.role AS id FROM directus_users u WHERE u.id = $1 AND u.role IS NOT NULL
    UNION
    SELECT r.parent FROM directus_roles r JOIN roles ON roles.id = r.id WHERE r.parent IS NOT NULL
  )
  SELECT $1 IS NOT NULL AND (
    EXISTS (SELECT 1 FROM directus_access a JOIN directus_policies p ON p.id = a.policy
             WHERE p.admin_access AND (a."user" = $1 OR a.role IN (SELECT id FROM roles)))
    OR EXISTS (SELECT 1 FROM stages s JOIN events ev ON ev.id = s.event_id
                 JOIN organization_users ou ON ou.organization_id = ev.organization_id
                WHERE s.id = $2 AND ou.user_id = $1 AND ou.role IN ('org-admin', 'race-director')))
$$;

COMMENT ON FUNCTION trm_may_reopen_stage_results(uuid, uuid) IS
  'Whether this Directus user may reopen the official results of this stage: an administrator, or an org-admin or race-director of the organisation of the stage''s event (docs/access-model.md; db-init/post/006).';

-- The first link of an entry that leaves its event's organisation: the
-- entry's column at fault (vehicle_id; event_id for its crew and
-- trackers), or NULL.
CREATE OR REPLACE FUNCTION trm_entry_link_outside_organization(entry uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT 'vehicle_id' FROM entries e JOIN events ev ON ev.id = e.event_id
   WHERE e.id = $1 AND e.vehicle_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM organization_vehicles ov
                      WHERE ov.organization_id = ev.organization_id AND ov.vehicle_id = e.vehicle_id)
  UNION ALL
  SELECT 'event_id' FROM entry_crew c JOIN entries e ON e.id = c.entry_id JOIN events ev ON ev.id = e.event_id
   WHERE c.entry_id = $1
     AND NOT EXISTS (SELECT 1 FROM organization_users ou WHERE ou.organization_id = ev.organization_id AND ou.user_id = c.user_id)
  UNION ALL
  SELECT 'event_id' FROM entry_devices d JOIN entries e ON e.id = d.entry_id JOIN events ev ON ev.id = e.event_id
   WHERE d.entry_id = $1
     AND (NOT EXISTS (SELECT 1 FROM organization_devices od WHERE od.organization_id = ev.organization_id AND od.device_id = d.device_id)
          OR (d.assigned_user_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM organization_users ou
                               WHERE ou.organization_id = ev.organization_id AND ou.user_id = d.assigned_user_id)))
  LIMIT 1
$$;

CREATE OR REPLACE FUNCTION trm_entries_links_within_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  col text;
BEGIN
  -- A new entry's crew and trackers are checked by their own rules (one
  -- request may create them with it); a move to another event checks them
  -- all.
  IF TG_OP = 'UPDATE' AND OLD.event_id IS DISTINCT FROM NEW.event_id THEN
    col := trm_entry_link_outside_organization(NEW.id);
  ELSIF EXISTS (SELECT 1 FROM entries e JOIN events ev ON ev.id = e.event_id
                 WHERE e.id = NEW.id AND e.vehicle_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM organization_vehicles ov
                                    WHERE ov.organization_id = ev.organization_id AND ov.vehicle_id = e.vehicle_id)) THEN
    col := 'vehicle_id';
  END IF;
  IF col IS NOT NULL THEN
    RAISE EXCEPTION 'entry % uses a vehicle, tracker or person outside its event''s organisation', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_links_within_organization',
            TABLE = 'entries', COLUMN = col;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entry_crew_member_of_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entry_crew c JOIN entries e ON e.id = c.entry_id JOIN events ev ON ev.id = e.event_id
              WHERE c.id = NEW.id
                AND NOT EXISTS (SELECT 1 FROM organization_users ou
                                 WHERE ou.organization_id = ev.organization_id AND ou.user_id = c.user_id)) THEN
    RAISE EXCEPTION 'crew member % of entry % is not a member of the entry''s organisation', NEW.user_id, NEW.entry_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_crew_member_of_organization',
            TABLE = 'entry_crew', COLUMN = 'user_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entry_devices_of_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  col text;
BEGIN
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM organization_devices od
                                WHERE od.organization_id = ev.organization_id AND od.device_id = d.device_id)
              THEN 'device_id' ELSE 'assigned_user_id' END
    INTO col
    FROM entry_devices d JOIN entries e ON e.id = d.entry_id JOIN events ev ON ev.id = e.event_id
   WHERE d.id = NEW.id
     AND (NOT EXISTS (SELECT 1 FROM organization_devices od WHERE od.organization_id = ev.organization_id AND od.device_id = d.device_id)
          OR (d.assigned_user_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM organization_users ou
                               WHERE ou.organization_id = ev.organization_id AND ou.user_id = d.assigned_user_id)));
  IF col IS NOT NULL THEN
    RAISE EXCEPTION 'tracker assignment % of entry % is outside the entry''s organisation (%)', NEW.id, NEW.entry_id, col
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_devices_of_organization',
            TABLE = 'entry_devices', COLUMN = col;
  END IF;
  RETURN NULL;
END
$$;

-- The other end: a registration, a membership or an event whose removal
-- or move would leave an entry's link outside its organisation. Each reads
-- the state at commit: a registration removed and made again passes. The
-- one link not held from this end is the person carrying a tracker
-- (entry_devices.assigned_user_id): checked when it is written, but
-- removing that person's membership is allowed, so that deleting the
-- person (membership first: organization_users restricts it) still
-- leaves the panic button unassigned (ON DELETE SET NULL, Phase 1).
CREATE OR REPLACE FUNCTION trm_organization_vehicles_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organization_vehicles ov WHERE ov.organization_id = OLD.organization_id AND ov.vehicle_id = OLD.vehicle_id)
     AND EXISTS (SELECT 1 FROM entries e JOIN events ev ON ev.id = e.event_id
                  WHERE ev.organization_id = OLD.organization_id AND e.vehicle_id = OLD.vehicle_id) THEN
    RAISE EXCEPTION 'vehicle % is used by entries of organisation %: it stays registered', OLD.vehicle_id, OLD.organization_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'organization_vehicles_in_use',
            TABLE = 'organization_vehicles', COLUMN = 'vehicle_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_organization_devices_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organization_devices od WHERE od.organization_id = OLD.organization_id AND od.device_id = OLD.device_id)
     AND EXISTS (SELECT 1 FROM entry_devices d JOIN entries e ON e.id = d.entry_id JOIN events ev ON ev.id = e.event_id
                  WHERE ev.organization_id = OLD.organization_id AND d.device_id = OLD.device_id) THEN
    RAISE EXCEPTION 'tracker % is assigned to entries of organisation %: it stays registered', OLD.device_id, OLD.organization_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'organization_devices_in_use',
            TABLE = 'organization_devices', COLUMN = 'device_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_organization_users_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organization_users ou WHERE ou.organization_id = OLD.organization_id AND ou.user_id = OLD.user_id)
     AND EXISTS (SELECT 1 FROM entries e JOIN events ev ON ev.id = e.event_id
                  WHERE ev.organization_id = OLD.organization_id
                    AND EXISTS (SELECT 1 FROM entry_crew c WHERE c.entry_id = e.id AND c.user_id = OLD.user_id)) THEN
    RAISE EXCEPTION 'person % is on crews of entries of organisation %: they stay a member', OLD.user_id, OLD.organization_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'organization_users_in_use',
            TABLE = 'organization_users', COLUMN = 'user_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_events_links_within_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entries e WHERE e.event_id = NEW.id AND trm_entry_link_outside_organization(e.id) IS NOT NULL) THEN
    RAISE EXCEPTION 'event % has entries whose vehicles, trackers or people are not of its organisation', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'events_links_within_organization',
            TABLE = 'events', COLUMN = 'organization_id';
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
      (1, 'entries_links_within_organization', 'entries',
          'AFTER INSERT OR UPDATE OF vehicle_id, event_id ON entries',
          'An entry''s vehicle must be registered with the organisation of its event, and its crew and trackers must be that organisation''s members and trackers: register the vehicle with the organisation first (organization_vehicles).'),
      (2, 'entry_crew_member_of_organization', 'entry_crew',
          'AFTER INSERT OR UPDATE OF entry_id, user_id ON entry_crew',
          'A crew member must be a member of the organisation of the entry''s event: add the person to the organisation first (organization_users).'),
      (3, 'entry_devices_of_organization', 'entry_devices',
          'AFTER INSERT OR UPDATE OF entry_id, device_id, assigned_user_id ON entry_devices',
          'A tracker assigned to an entry must be registered with the organisation of the entry''s event (organization_devices), and the person carrying it must be a member of that organisation: register them first.'),
      (4, 'organization_vehicles_in_use', 'organization_vehicles',
          'AFTER UPDATE OF organization_id, vehicle_id OR DELETE ON organization_vehicles',
          'Entries of this organisation''s events use this vehicle: it stays registered with the organisation while they do (change those entries'' vehicle first).'),
      (5, 'organization_devices_in_use', 'organization_devices',
          'AFTER UPDATE OF organization_id, device_id OR DELETE ON organization_devices',
          'This tracker is assigned to entries of this organisation''s events: it stays registered with the organisation while it is (remove those assignments first).'),
      (6, 'organization_users_in_use', 'organization_users',
          'AFTER UPDATE OF organization_id, user_id OR DELETE ON organization_users',
          'This person is on the crew of entries of this organisation''s events: they stay a member while they are (change their role instead, e.g. to viewer, or take them off those crews first).'),
      (7, 'events_links_within_organization', 'events',
          'AFTER UPDATE OF organization_id ON events',
          'This event''s entries use vehicles, trackers or people of its organisation: it cannot move to another organisation unless they are registered there too.')
    ) AS t(ord, name, tbl, timing, message) ORDER BY ord
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.name AND conrelid = to_regclass(c.tbl)) THEN
      EXECUTE format('CREATE CONSTRAINT TRIGGER %I %s DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %I()',
                     c.name, c.timing, 'trm_' || c.name);
    END IF;
    EXECUTE format('COMMENT ON CONSTRAINT %I ON %I IS %L', c.name, c.tbl, c.message);
  END LOOP;
END
$$;

-- Assert the result, loudly: each constraint trigger on its table, on its
-- function, deferred, with its message; the reopen hook is this file's.
-- Rows that break a rule and were written before it: a warning, with how
-- many.
DO $$
DECLARE
  want record;
  got record;
  broken bigint;
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('entries_links_within_organization', 'entries'),
      ('entry_crew_member_of_organization', 'entry_crew'),
      ('entry_devices_of_organization', 'entry_devices'),
      ('organization_vehicles_in_use', 'organization_vehicles'),
      ('organization_devices_in_use', 'organization_devices'),
      ('organization_users_in_use', 'organization_users'),
      ('events_links_within_organization', 'events')
    ) AS t(name, tbl)
  LOOP
    SELECT con.contype::text AS kind, con.condeferred, obj_description(con.oid, 'pg_constraint') AS message,
           (SELECT p.proname::text FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid WHERE tg.tgconstraint = con.oid) AS func
      INTO got
      FROM pg_constraint con
     WHERE con.conname = want.name AND con.conrelid = to_regclass(want.tbl);
    IF NOT FOUND THEN
      RAISE EXCEPTION '006_access_timing_and_links: constraint % on % is missing', want.name, want.tbl;
    END IF;
    IF got.kind <> 't' OR NOT got.condeferred OR got.func IS DISTINCT FROM 'trm_' || want.name THEN
      RAISE EXCEPTION '006_access_timing_and_links: constraint % on % is of kind %, deferred %, runs %; expected a deferred constraint trigger running trm_%',
        want.name, want.tbl, got.kind, got.condeferred, got.func, want.name
        USING HINT = 'a constraint of that name was made by hand: drop it and rerun the file by hand, or reconcile';
    END IF;
    IF got.message IS NULL THEN
      RAISE EXCEPTION '006_access_timing_and_links: constraint % has no comment (the message users read)', want.name;
    END IF;
  END LOOP;

  IF obj_description(to_regprocedure('trm_may_reopen_stage_results(uuid, uuid)'), 'pg_proc') NOT LIKE '%db-init/post/006%' THEN
    RAISE EXCEPTION '006_access_timing_and_links: trm_may_reopen_stage_results is not this file''s';
  END IF;

  SELECT count(*) INTO broken FROM entries e WHERE trm_entry_link_outside_organization(e.id) IS NOT NULL;
  IF broken > 0 THEN
    RAISE WARNING '006_access_timing_and_links: % entries use a vehicle, tracker or person outside their event''s organisation (written before this file); each is refused at its next write until fixed', broken;
  END IF;
END
$$;
