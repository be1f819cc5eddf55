-- Issue 13 (access speed, docs/access-model.md "Access keys"): the
-- denormalised keys the access files read, kept by the database.
--
-- Reading through organization_users (event_id.organization_id.members
-- with role and user_id = $CURRENT_USER) makes every permission filter of
-- a member a join per row; the measured way to reach ≤ 2× an
-- administrator's read is to let the filters compare the person with a
-- list held by the row's organisation or entry (m2o only). Those lists
-- are only safe to read if they are never wrong, so the database keeps
-- them, in the same transaction as every write they depend on:
--
-- 1. organizations.access_staff (marshal, org-admin, race-director,
--    timekeeper), access_viewers, access_org_admins, access_race_directors,
--    access_participants: the user ids holding those roles in the
--    organisation (organization_users), sorted, distinct, comma-separated,
--    NULL when nobody.
-- 2. entries.access_crew: the entry's crew (entry_crew) who hold the role
--    participant in the organisation of the entry's event.
-- 3. The role triple member / non-participant / staff (directus_roles by
--    name): a person of any of the three has member when they are a
--    participant in some organisation; else non-participant when they are
--    a viewer in some organisation, whose policies leave out
--    participant's (the costliest rules); else staff (no organisation
--    at all, too), whose policies leave out viewer's as well. Other roles
--    and people without a role are never touched; while any of the three
--    is missing nothing changes.
--
-- The columns are Directus's (tools/accesskeys, in snapshots/schema.yaml:
-- hidden, read-only in the admin UI); the upkeep is here:
-- - statement-level AFTER triggers with transition tables on
--   organization_users, entry_crew and events, so that one bulk statement
--   (20,000 memberships or crew seats in an INSERT … SELECT) recomputes
--   each affected organisation, entry and person once, set-based, and
--   writes only the rows whose value changes (IS DISTINCT FROM);
-- - BEFORE row triggers on organizations, entries and directus_users that
--   overwrite a direct write of a key or of a role of the triple (SQL,
--   Directus's admin UI) with the right value, and give an entry moved to
--   another event its new crew list. The upkeep's own writes set the
--   transaction-local setting trm.access_keys_writing so that these
--   triggers do not recompute, row by row, what was just computed set by
--   set (only SQL can set it: Directus's users cannot).
-- - Concurrent transactions: each recomputation first locks the rows the
--   key depends on (see trm_access_refresh_organizations), so that none
--   writes a value without another's committed change.
--
-- Other triggers these writes could fire (db-init/post/001–007): on
-- entries, entries_links_within_organization (AFTER INSERT OR UPDATE OF
-- vehicle_id, event_id) and entries_event_of_its_timing (AFTER UPDATE OF
-- event_id), both deferred constraint triggers with column lists that a
-- write of access_crew does not name; on organizations none; on
-- directus_users none (Directus has none either). The foreign keys'
-- triggers skip rows whose keys do not change; a person's new role is
-- checked against directus_roles (one index lookup). So the upkeep's
-- UPDATEs of access_* and of directus_users.role fire nothing costly or
-- with side effects. The one index added, entry_crew (user_id, entry_id), finds the
-- crew seats of the people whose membership changed (multi-column: a
-- single-column index would show in Directus's snapshot).
--
-- Every foreign key involved is immediate (Directus makes them so), so a
-- new organisation has no members and a new entry no crew: their keys
-- start NULL, and the BEFORE INSERT triggers only correct a value given.
--
-- A person's new role reaches Directus at their next access token
-- (Directus reads the role from the JWT; static tokens read it each
-- request).

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['organizations', 'organization_users', 'events', 'entries', 'entry_crew',
                      'directus_users', 'directus_roles']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '008_access_keys: the tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus bootstrapped and applied snapshots/schema.yaml';
  END IF;
  SELECT string_agg(c, ', ') INTO missing
    FROM unnest(ARRAY['organizations.access_staff', 'organizations.access_viewers', 'organizations.access_org_admins',
                      'organizations.access_race_directors', 'organizations.access_participants',
                      'entries.access_crew']) AS c
   WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns ic
                      WHERE ic.table_schema = current_schema() AND ic.table_name = split_part(c, '.', 1)
                        AND ic.column_name = split_part(c, '.', 2) AND ic.data_type = 'text' AND ic.is_nullable = 'YES');
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '008_access_keys: the columns % are missing or not nullable text', missing
      USING HINT = 'tools/accesskeys adds them through Directus''s API; is the committed snapshots/schema.yaml the one with the access keys?';
  END IF;
END
$$;

-- The crew seats of a person whose membership changes: the index finds
-- them without reading entry_crew whole.
CREATE INDEX IF NOT EXISTS entry_crew_user_entry ON entry_crew (user_id, entry_id);

-- The lists of organisations, one row per id given that exists: the one
-- definition of the organisations' keys, used row by row and set by set.
CREATE OR REPLACE FUNCTION trm_access_organization_lists(ids uuid[])
RETURNS TABLE (id uuid, staff text, viewers text, org_admins text, race_directors text, participants text)
LANGUAGE sql STABLE AS $$
  SELECT o.id,
         string_agg(DISTINCT ou.user_id::text COLLATE "C", ',' ORDER BY ou.user_id::text COLLATE "C")
           FILTER (WHERE ou.role IN ('marshal', 'org-admin', 'race-director', 'timekeeper')),
         string_agg(DISTINCT ou.user_id::text COLLATE "C", ',' ORDER BY ou.user_id::text COLLATE "C") FILTER (WHERE ou.role = 'viewer'),
         string_agg(DISTINCT ou.user_id::text COLLATE "C", ',' ORDER BY ou.user_id::text COLLATE "C") FILTER (WHERE ou.role = 'org-admin'),
         string_agg(DISTINCT ou.user_id::text COLLATE "C", ',' ORDER BY ou.user_id::text COLLATE "C") FILTER (WHERE ou.role = 'race-director'),
         string_agg(DISTINCT ou.user_id::text COLLATE "C", ',' ORDER BY ou.user_id::text COLLATE "C") FILTER (WHERE ou.role = 'participant')
    FROM organizations o LEFT JOIN organization_users ou ON ou.organization_id = o.id
   WHERE o.id = ANY (ids)
   GROUP BY o.id
$$;

COMMENT ON FUNCTION trm_access_organization_lists(uuid[]) IS
  'The access keys of these organisations as they must be (db-init/post/008): who is staff (marshal, org-admin, race-director, timekeeper), viewer, org-admin, race-director, participant.';

-- The crew list of entries given with the event each is (or will be) in:
-- a BEFORE trigger knows the new event before the row holds it. The one
-- definition of access_crew.
CREATE OR REPLACE FUNCTION trm_access_crews(entry_ids uuid[], event_ids uuid[])
RETURNS TABLE (entry_id uuid, crew text)
LANGUAGE sql STABLE AS $$
  -- Each crew seat asks for its one membership (the unique index of
  -- organisation and person) in a subquery the planner cannot turn into
  -- a join: right after a bulk insert the statistics still describe
  -- small tables, and a join planned on them reads the organisation's
  -- members once per seat.
  SELECT p.entry_id,
         string_agg(DISTINCT c.user_id::text COLLATE "C", ',' ORDER BY c.user_id::text COLLATE "C")
           FILTER (WHERE EXISTS (SELECT 1 FROM organization_users ou
                                  WHERE ou.organization_id = ev.organization_id AND ou.user_id = c.user_id
                                    AND ou.role = 'participant'))
    FROM unnest(entry_ids, event_ids) AS p(entry_id, event_id)
    LEFT JOIN events ev ON ev.id = p.event_id
    LEFT JOIN entry_crew c ON c.entry_id = p.entry_id
   GROUP BY p.entry_id
$$;

COMMENT ON FUNCTION trm_access_crews(uuid[], uuid[]) IS
  'The access_crew of these entries in these events as it must be (db-init/post/008): their crew who are participants of the event''s organisation.';

-- The upkeep's writes, set by set; each marks itself so that the BEFORE
-- triggers trust it, and restores the mark it found.
--
-- Concurrent writers: each computes from what it sees, so two
-- transactions that change one organisation's memberships (or one a
-- membership, the other a crew seat of that organisation's entry, or two
-- memberships of one person) would each write a value without the
-- other's change, the last one winning. Each recomputation therefore
-- first locks the rows it depends on (FOR NO KEY UPDATE, as the UPDATE
-- would: foreign key checks are not blocked) in one order: the
-- organisations, then the entries; the people for their role. The
-- computation, the next statement, sees every transaction that held a
-- lock committed (READ COMMITTED takes a snapshot per statement; under
-- REPEATABLE READ the lock fails with a serialization error instead,
-- and the transaction is retried). Without JIT: the
-- planner prices the per-seat subquery high and would compile the plan,
-- which costs more than running it (measured: 0.4 s of a 20,000-seat
-- statement).
CREATE OR REPLACE FUNCTION trm_access_refresh_organizations(ids uuid[]) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  mark text := coalesce(current_setting('trm.access_keys_writing', true), '');
BEGIN
  IF coalesce(cardinality(ids), 0) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM organizations o WHERE o.id = ANY (ids) ORDER BY o.id FOR NO KEY UPDATE;
  PERFORM set_config('trm.access_keys_writing', 'on', true);
  UPDATE organizations o
     SET access_staff = l.staff, access_viewers = l.viewers, access_org_admins = l.org_admins,
         access_race_directors = l.race_directors, access_participants = l.participants
    FROM trm_access_organization_lists(ids) l
   WHERE o.id = l.id
     AND (o.access_staff, o.access_viewers, o.access_org_admins, o.access_race_directors, o.access_participants)
         IS DISTINCT FROM (l.staff, l.viewers, l.org_admins, l.race_directors, l.participants);
  PERFORM set_config('trm.access_keys_writing', mark, true);
END
$$;

COMMENT ON FUNCTION trm_access_refresh_organizations(uuid[]) IS
  'Rewrites the access keys of these organisations where they differ from trm_access_organization_lists (db-init/post/008).';

CREATE OR REPLACE FUNCTION trm_access_refresh_entries(ids uuid[]) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  mark text := coalesce(current_setting('trm.access_keys_writing', true), '');
  entry_ids uuid[];
  event_ids uuid[];
BEGIN
  IF coalesce(cardinality(ids), 0) = 0 THEN
    RETURN;
  END IF;
  -- The organisations, the entries, then the organisations again: an
  -- entry or event that another transaction moved while this one waited
  -- has a new organisation (the only lock taken out of order).
  PERFORM 1 FROM organizations o
   WHERE o.id IN (SELECT ev.organization_id FROM entries e JOIN events ev ON ev.id = e.event_id WHERE e.id = ANY (ids))
   ORDER BY o.id FOR NO KEY UPDATE;
  PERFORM 1 FROM entries e WHERE e.id = ANY (ids) ORDER BY e.id FOR NO KEY UPDATE;
  PERFORM 1 FROM organizations o
   WHERE o.id IN (SELECT ev.organization_id FROM entries e JOIN events ev ON ev.id = e.event_id WHERE e.id = ANY (ids))
   ORDER BY o.id FOR NO KEY UPDATE;
  SELECT array_agg(e.id), array_agg(e.event_id) INTO entry_ids, event_ids
    FROM entries e WHERE e.id IN (SELECT DISTINCT x FROM unnest(ids) AS x);
  IF entry_ids IS NULL THEN
    RETURN;
  END IF;
  PERFORM set_config('trm.access_keys_writing', 'on', true);
  UPDATE entries e SET access_crew = k.crew
    FROM trm_access_crews(entry_ids, event_ids) k
   WHERE e.id = k.entry_id AND e.access_crew IS DISTINCT FROM k.crew;
  PERFORM set_config('trm.access_keys_writing', mark, true);
END
$$;

COMMENT ON FUNCTION trm_access_refresh_entries(uuid[]) IS
  'Rewrites access_crew of these entries where it differs from trm_access_crews (db-init/post/008).';

-- The role triple: the ids of the roles named member, non-participant
-- and staff, all three or none (a name held by two roles is ambiguous:
-- none).
CREATE OR REPLACE FUNCTION trm_access_role_triple(OUT member uuid, OUT non_participant uuid, OUT staff uuid)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN m.n = 1 AND n.n = 1 AND s.n = 1 THEN m.id END,
         CASE WHEN m.n = 1 AND n.n = 1 AND s.n = 1 THEN n.id END,
         CASE WHEN m.n = 1 AND n.n = 1 AND s.n = 1 THEN s.id END
    FROM (SELECT min(r.id::text)::uuid AS id, count(*) AS n FROM directus_roles r WHERE r.name = 'member') m,
         (SELECT min(r.id::text)::uuid AS id, count(*) AS n FROM directus_roles r WHERE r.name = 'non-participant') n,
         (SELECT min(r.id::text)::uuid AS id, count(*) AS n FROM directus_roles r WHERE r.name = 'staff') s
$$;

COMMENT ON FUNCTION trm_access_role_triple() IS
  'The ids of the Directus roles named member, non-participant and staff, or NULLs unless each name is held by exactly one role (db-init/post/008).';

-- Gives the people of the triple (users NULL: every person of the
-- triple) member, non-participant or staff by their memberships; a no-op
-- while the triple is incomplete.
CREATE OR REPLACE FUNCTION trm_access_sync_roles(users uuid[]) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  mark text := coalesce(current_setting('trm.access_keys_writing', true), '');
  triple record;
BEGIN
  IF users IS NOT NULL AND cardinality(users) = 0 THEN
    RETURN;
  END IF;
  triple := trm_access_role_triple();
  IF triple.member IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM directus_users u
   WHERE u.role IN (triple.member, triple.non_participant, triple.staff) AND (users IS NULL OR u.id = ANY (users))
   ORDER BY u.id FOR NO KEY UPDATE;
  PERFORM set_config('trm.access_keys_writing', 'on', true);
  UPDATE directus_users u
     SET role = w.role
    FROM (SELECT u2.id,
                 CASE WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = u2.id AND ou.role = 'participant')
                      THEN triple.member
                      WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = u2.id AND ou.role = 'viewer')
                      THEN triple.non_participant
                      ELSE triple.staff END AS role
            FROM directus_users u2
           WHERE u2.role IN (triple.member, triple.non_participant, triple.staff)
             AND (users IS NULL OR u2.id IN (SELECT DISTINCT x FROM unnest(users) AS x))) w
   WHERE u.id = w.id AND u.role IS DISTINCT FROM w.role;
  PERFORM set_config('trm.access_keys_writing', mark, true);
END
$$;

COMMENT ON FUNCTION trm_access_sync_roles(uuid[]) IS
  'Gives these people (NULL: everyone) of the roles member, non-participant and staff the one their memberships call for: member when participant somewhere, else non-participant when viewer somewhere, else staff (db-init/post/008).';

-- organization_users: one function for the three statement triggers
-- (each has its own transition tables; PL/pgSQL plans a branch only when
-- it runs). The (organisation, person) pairs before and after the
-- statement say which organisations' lists, which entries' crews (those
-- of the organisation's events with that person on the crew) and which
-- people's roles may have changed.
CREATE OR REPLACE FUNCTION trm_access_organization_users_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  orgs uuid[];
  users uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(organization_id), array_agg(user_id) INTO orgs, users
      FROM (SELECT DISTINCT organization_id, user_id FROM new_rows) p;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(organization_id), array_agg(user_id) INTO orgs, users
      FROM (SELECT organization_id, user_id FROM old_rows UNION SELECT organization_id, user_id FROM new_rows) p;
  ELSE
    SELECT array_agg(organization_id), array_agg(user_id) INTO orgs, users
      FROM (SELECT DISTINCT organization_id, user_id FROM old_rows) p;
  END IF;
  IF orgs IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM trm_access_refresh_organizations(ARRAY(SELECT DISTINCT x FROM unnest(orgs) AS x));
  PERFORM trm_access_refresh_entries(ARRAY(
    SELECT DISTINCT c.entry_id
      FROM unnest(orgs, users) AS p(organization_id, user_id)
      JOIN entry_crew c ON c.user_id = p.user_id
      JOIN entries e ON e.id = c.entry_id
      JOIN events ev ON ev.id = e.event_id AND ev.organization_id = p.organization_id));
  PERFORM trm_access_sync_roles(ARRAY(SELECT DISTINCT x FROM unnest(users) AS x));
  RETURN NULL;
END
$$;

COMMENT ON FUNCTION trm_access_organization_users_changed() IS
  'After memberships change: the lists of their organisations, the access_crew of those organisations'' entries their people crew, and those people''s role of the triple (db-init/post/008).';

-- entry_crew: the crews of the entries before and after the statement.
CREATE OR REPLACE FUNCTION trm_access_entry_crew_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM trm_access_refresh_entries(ARRAY(SELECT DISTINCT entry_id FROM new_rows));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM trm_access_refresh_entries(ARRAY(SELECT entry_id FROM old_rows UNION SELECT entry_id FROM new_rows));
  ELSE
    PERFORM trm_access_refresh_entries(ARRAY(SELECT DISTINCT entry_id FROM old_rows));
  END IF;
  RETURN NULL;
END
$$;

COMMENT ON FUNCTION trm_access_entry_crew_changed() IS
  'After crew seats change: access_crew of their entries, old and new (db-init/post/008).';

-- events: an event that moves to another organisation takes its entries'
-- crews into that organisation's participants.
CREATE OR REPLACE FUNCTION trm_access_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM trm_access_refresh_entries(ARRAY(
    SELECT e.id
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      JOIN entries e ON e.event_id = n.id
     WHERE o.organization_id IS DISTINCT FROM n.organization_id));
  RETURN NULL;
END
$$;

COMMENT ON FUNCTION trm_access_events_changed() IS
  'After events change organisation: access_crew of their entries (db-init/post/008).';

-- The BEFORE row triggers: a key (or role of the triple) written by anyone
-- but the upkeep is replaced by the right value; an entry's new event
-- gives it that event's crew list.
CREATE OR REPLACE FUNCTION trm_access_organizations_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  l record;
BEGIN
  SELECT * INTO l FROM trm_access_organization_lists(ARRAY[NEW.id]);
  NEW.access_staff := l.staff;
  NEW.access_viewers := l.viewers;
  NEW.access_org_admins := l.org_admins;
  NEW.access_race_directors := l.race_directors;
  NEW.access_participants := l.participants;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION trm_access_organizations_kept() IS
  'Before an organisation''s access keys are written other than by the upkeep: the right values instead (db-init/post/008).';

CREATE OR REPLACE FUNCTION trm_access_entries_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- The entry's row is locked by its own UPDATE; its organisation, for
  -- the memberships read, as the upkeep does (after the entry here: a
  -- deadlock with a concurrent upkeep of that organisation is possible,
  -- and PostgreSQL cancels one of the two).
  PERFORM 1 FROM organizations o JOIN events ev ON ev.organization_id = o.id
   WHERE ev.id = NEW.event_id FOR NO KEY UPDATE OF o;
  NEW.access_crew := (SELECT k.crew FROM trm_access_crews(ARRAY[NEW.id], ARRAY[NEW.event_id]) k);
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION trm_access_entries_kept() IS
  'Before an entry''s access_crew is written other than by the upkeep, or its event changes: the right value (db-init/post/008).';

CREATE OR REPLACE FUNCTION trm_access_users_role_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  triple record;
BEGIN
  IF NEW.role IS NULL THEN
    RETURN NEW;
  END IF;
  triple := trm_access_role_triple();
  IF triple.member IS NOT NULL AND NEW.role IN (triple.member, triple.non_participant, triple.staff) THEN
    NEW.role := CASE WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = NEW.id AND ou.role = 'participant')
                     THEN triple.member
                     WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = NEW.id AND ou.role = 'viewer')
                     THEN triple.non_participant
                     ELSE triple.staff END;
  END IF;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION trm_access_users_role_kept() IS
  'Before a person is given member, non-participant or staff other than by the upkeep: the one of the three their memberships call for (db-init/post/008).';

-- Only a role that takes one of the triple's names can complete the
-- triple (the triggers' WHEN): other roles' writes, such as the access
-- files' reconciliation at boot, do not lock everyone of the triple.
CREATE OR REPLACE FUNCTION trm_access_roles_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM trm_access_sync_roles(NULL);
  RETURN NULL;
END
$$;

COMMENT ON FUNCTION trm_access_roles_changed() IS
  'After roles are created or renamed: once member, non-participant and staff all exist, everyone of the triple gets the right one (db-init/post/008).';

-- The triggers, made once (a trigger of that name made by hand is left
-- to the assertion block, which refuses it). Transition tables cannot
-- share a trigger between events or take a column list: one trigger per
-- event, and the events trigger compares organisations itself.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
      ('organization_users', 'access_keys_after_insert',
       'AFTER INSERT ON organization_users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_organization_users_changed()'),
      ('organization_users', 'access_keys_after_update',
       'AFTER UPDATE ON organization_users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_organization_users_changed()'),
      ('organization_users', 'access_keys_after_delete',
       'AFTER DELETE ON organization_users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_organization_users_changed()'),
      ('entry_crew', 'access_keys_after_insert',
       'AFTER INSERT ON entry_crew REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_entry_crew_changed()'),
      ('entry_crew', 'access_keys_after_update',
       'AFTER UPDATE ON entry_crew REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_entry_crew_changed()'),
      ('entry_crew', 'access_keys_after_delete',
       'AFTER DELETE ON entry_crew REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_entry_crew_changed()'),
      ('events', 'access_keys_after_update',
       'AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION trm_access_events_changed()'),
      ('organizations', 'access_keys_kept_on_insert',
       $t$BEFORE INSERT ON organizations FOR EACH ROW
          WHEN (num_nonnulls(NEW.access_staff, NEW.access_viewers, NEW.access_org_admins, NEW.access_race_directors, NEW.access_participants) > 0)
          EXECUTE FUNCTION trm_access_organizations_kept()$t$),
      ('organizations', 'access_keys_kept_on_update',
       $t$BEFORE UPDATE OF access_staff, access_viewers, access_org_admins, access_race_directors, access_participants ON organizations FOR EACH ROW
          WHEN (current_setting('trm.access_keys_writing', true) IS DISTINCT FROM 'on')
          EXECUTE FUNCTION trm_access_organizations_kept()$t$),
      ('entries', 'access_keys_kept_on_insert',
       'BEFORE INSERT ON entries FOR EACH ROW WHEN (NEW.access_crew IS NOT NULL) EXECUTE FUNCTION trm_access_entries_kept()'),
      ('entries', 'access_keys_kept_on_update',
       $t$BEFORE UPDATE OF access_crew, event_id ON entries FOR EACH ROW
          WHEN (current_setting('trm.access_keys_writing', true) IS DISTINCT FROM 'on')
          EXECUTE FUNCTION trm_access_entries_kept()$t$),
      ('directus_users', 'access_keys_role_kept_on_insert',
       'BEFORE INSERT ON directus_users FOR EACH ROW WHEN (NEW.role IS NOT NULL) EXECUTE FUNCTION trm_access_users_role_kept()'),
      ('directus_users', 'access_keys_role_kept_on_update',
       $t$BEFORE UPDATE OF role ON directus_users FOR EACH ROW
          WHEN (NEW.role IS NOT NULL AND current_setting('trm.access_keys_writing', true) IS DISTINCT FROM 'on')
          EXECUTE FUNCTION trm_access_users_role_kept()$t$),
      ('directus_roles', 'access_keys_roles_after_insert',
       $t$AFTER INSERT ON directus_roles FOR EACH ROW
          WHEN (NEW.name IN ('member', 'non-participant', 'staff'))
          EXECUTE FUNCTION trm_access_roles_changed()$t$),
      ('directus_roles', 'access_keys_roles_after_update',
       $t$AFTER UPDATE OF name ON directus_roles FOR EACH ROW
          WHEN (NEW.name IS DISTINCT FROM OLD.name AND NEW.name IN ('member', 'non-participant', 'staff'))
          EXECUTE FUNCTION trm_access_roles_changed()$t$)
    ) AS v(tbl, name, def)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t.name AND tgrelid = to_regclass(t.tbl)) THEN
      EXECUTE format('CREATE TRIGGER %I %s', t.name, t.def);
    END IF;
  END LOOP;
END
$$;

COMMENT ON TRIGGER access_keys_after_insert ON organization_users IS 'Keeps the access keys exact after new memberships (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_update ON organization_users IS 'Keeps the access keys exact after memberships change role, person or organisation (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_delete ON organization_users IS 'Keeps the access keys exact after memberships end (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_insert ON entry_crew IS 'Keeps access_crew exact after crew seats are added (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_update ON entry_crew IS 'Keeps access_crew exact after crew seats change entry or person (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_delete ON entry_crew IS 'Keeps access_crew exact after crew seats are removed (db-init/post/008).';
COMMENT ON TRIGGER access_keys_after_update ON events IS 'Keeps access_crew exact after events move to another organisation (db-init/post/008).';
COMMENT ON TRIGGER access_keys_kept_on_insert ON organizations IS 'A new organisation has no members: access keys given with it are replaced by the right (empty) ones (db-init/post/008).';
COMMENT ON TRIGGER access_keys_kept_on_update ON organizations IS 'Access keys written by hand are replaced by the right ones (db-init/post/008).';
COMMENT ON TRIGGER access_keys_kept_on_insert ON entries IS 'A new entry has no crew: an access_crew given with it is replaced by the right (empty) one (db-init/post/008).';
COMMENT ON TRIGGER access_keys_kept_on_update ON entries IS 'access_crew written by hand, or an entry moved to another event, gets the right value (db-init/post/008).';
COMMENT ON TRIGGER access_keys_role_kept_on_insert ON directus_users IS 'A person created with member, non-participant or staff gets the one their memberships call for (db-init/post/008).';
COMMENT ON TRIGGER access_keys_role_kept_on_update ON directus_users IS 'A person given member, non-participant or staff gets the one their memberships call for (db-init/post/008).';
COMMENT ON TRIGGER access_keys_roles_after_insert ON directus_roles IS 'When the triple member / non-participant / staff becomes complete, everyone of the triple gets the right one (db-init/post/008).';
COMMENT ON TRIGGER access_keys_roles_after_update ON directus_roles IS 'When a rename completes the triple member / non-participant / staff, everyone of the triple gets the right one (db-init/post/008).';

-- Backfill: the keys of every organisation and entry and the role of
-- everyone of the triple (rows written before this file, and a rerun finds
-- nothing to write).
SELECT trm_access_refresh_organizations(ARRAY(SELECT id FROM organizations));
SELECT trm_access_refresh_entries(ARRAY(SELECT id FROM entries));
SELECT trm_access_sync_roles(NULL);

-- Assert the result, loudly: every trigger on its table, enabled, running
-- this file's function; the foreign keys the BEFORE INSERT triggers rely
-- on immediate; no key and no role of the triple differs from its
-- definition.
DO $$
DECLARE
  want record;
  got record;
  wrong bigint;
  triple record;
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('organization_users', 'access_keys_after_insert', 'trm_access_organization_users_changed'),
      ('organization_users', 'access_keys_after_update', 'trm_access_organization_users_changed'),
      ('organization_users', 'access_keys_after_delete', 'trm_access_organization_users_changed'),
      ('entry_crew', 'access_keys_after_insert', 'trm_access_entry_crew_changed'),
      ('entry_crew', 'access_keys_after_update', 'trm_access_entry_crew_changed'),
      ('entry_crew', 'access_keys_after_delete', 'trm_access_entry_crew_changed'),
      ('events', 'access_keys_after_update', 'trm_access_events_changed'),
      ('organizations', 'access_keys_kept_on_insert', 'trm_access_organizations_kept'),
      ('organizations', 'access_keys_kept_on_update', 'trm_access_organizations_kept'),
      ('entries', 'access_keys_kept_on_insert', 'trm_access_entries_kept'),
      ('entries', 'access_keys_kept_on_update', 'trm_access_entries_kept'),
      ('directus_users', 'access_keys_role_kept_on_insert', 'trm_access_users_role_kept'),
      ('directus_users', 'access_keys_role_kept_on_update', 'trm_access_users_role_kept'),
      ('directus_roles', 'access_keys_roles_after_insert', 'trm_access_roles_changed'),
      ('directus_roles', 'access_keys_roles_after_update', 'trm_access_roles_changed')
    ) AS t(tbl, name, func)
  LOOP
    SELECT p.proname::text AS func, tg.tgenabled INTO got
      FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
     WHERE tg.tgname = want.name AND tg.tgrelid = to_regclass(want.tbl);
    IF NOT FOUND THEN
      RAISE EXCEPTION '008_access_keys: trigger % on % is missing', want.name, want.tbl;
    END IF;
    IF got.func <> want.func OR got.tgenabled <> 'O' THEN
      RAISE EXCEPTION '008_access_keys: trigger % on % runs % (enabled: %); expected % enabled',
        want.name, want.tbl, got.func, got.tgenabled, want.func
        USING HINT = 'a trigger of that name was made or disabled by hand: drop it and rerun the file by hand';
    END IF;
  END LOOP;

  IF EXISTS (SELECT 1 FROM pg_constraint con
              WHERE con.contype = 'f' AND con.condeferrable
                AND con.conrelid IN ('organization_users'::regclass, 'entry_crew'::regclass)) THEN
    RAISE EXCEPTION '008_access_keys: a foreign key of organization_users or entry_crew is deferrable; a new organisation or entry could have members or crew, which the BEFORE INSERT triggers assume it cannot';
  END IF;

  SELECT count(*) INTO wrong
    FROM organizations o JOIN trm_access_organization_lists(ARRAY(SELECT id FROM organizations)) l ON l.id = o.id
   WHERE (o.access_staff, o.access_viewers, o.access_org_admins, o.access_race_directors, o.access_participants)
         IS DISTINCT FROM (l.staff, l.viewers, l.org_admins, l.race_directors, l.participants);
  IF wrong > 0 THEN
    RAISE EXCEPTION '008_access_keys: % organisations have access keys other than their memberships give', wrong;
  END IF;
  SELECT count(*) INTO wrong
    FROM entries e
    JOIN trm_access_crews(ARRAY(SELECT id FROM entries ORDER BY id), ARRAY(SELECT event_id FROM entries ORDER BY id)) k ON k.entry_id = e.id
   WHERE e.access_crew IS DISTINCT FROM k.crew;
  IF wrong > 0 THEN
    RAISE EXCEPTION '008_access_keys: % entries have an access_crew other than their crew gives', wrong;
  END IF;
  triple := trm_access_role_triple();
  IF triple.member IS NOT NULL THEN
    SELECT count(*) INTO wrong
      FROM directus_users u
     WHERE u.role IN (triple.member, triple.non_participant, triple.staff)
       AND u.role <> CASE WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = u.id AND ou.role = 'participant')
                          THEN triple.member
                          WHEN EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = u.id AND ou.role = 'viewer')
                          THEN triple.non_participant
                          ELSE triple.staff END;
    IF wrong > 0 THEN
      RAISE EXCEPTION '008_access_keys: % people have member, non-participant or staff other than their memberships call for', wrong;
    END IF;
  END IF;
END
$$;
