-- Phase 1 rules Directus cannot express (docs/data-model-phase1.md,
-- "Post-schema db-init"): composite UNIQUE, CHECK, the composite foreign
-- key that keeps an entry's class in the entry's event, and the exclusion
-- constraint that keeps a tracker on one entry at a time.
--
-- Runs after Directus applied snapshots/schema.yaml: the tables exist.
-- None of these may change what Directus's snapshot shows: Directus reads
-- only single-column UNIQUE/PRIMARY/FOREIGN constraints and single-column
-- non-unique indexes, so every constraint here spans two or more columns
-- or is a CHECK (tests/schema proves the live snapshot still equals the
-- committed one).
--
-- Each constraint's comment is the sentence users read when a write
-- breaks it: the extension extensions/trm-constraint-errors turns the
-- PostgreSQL error into a Directus error with that message and the
-- constraint's name. List the scope columns of a composite UNIQUE first
-- (event_id, race_number): the extension points the admin UI at the last
-- column.

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['organizations', 'vehicles', 'devices', 'organization_users', 'organization_vehicles',
                      'organization_devices', 'events', 'classes', 'entries', 'entry_crew', 'entry_devices']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '001_phase1_constraints: the Phase 1 tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus applied snapshots/schema.yaml; is the committed snapshot the Phase 1 one (tools/phase1schema)?';
  END IF;
END
$$;

-- Each constraint: order (classes_id_event_key, the target of
-- entries_class_of_same_event, comes first), name, table, definition, and
-- the message users read (its comment).
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
      (1, 'organization_users_one_role_per_user', 'organization_users', 'UNIQUE (organization_id, user_id)',
          'This user is a member of this organization already: a user has one role per organization.'),
      (2, 'organization_vehicles_registered_once', 'organization_vehicles', 'UNIQUE (organization_id, vehicle_id)',
          'This vehicle is registered with this organization already.'),
      (3, 'organization_devices_registered_once', 'organization_devices', 'UNIQUE (organization_id, device_id)',
          'This device is registered with this organization already.'),
      (4, 'events_slug_unique_per_organization', 'events', 'UNIQUE (organization_id, slug)',
          'This organization has an event with this slug already: an event slug is unique within its organization.'),
      (5, 'events_ends_after_starts', 'events', 'CHECK (ends_at >= starts_at)',
          'An event cannot end before it starts: ends_at must be at or after starts_at.'),
      (6, 'classes_code_unique_per_event', 'classes', 'UNIQUE (event_id, code)',
          'This event has a class with this code already: a class code is unique within its event.'),
      (7, 'classes_id_event_key', 'classes', 'UNIQUE (id, event_id)',
          'A class is identified by its id and its event (the target of entries_class_of_same_event).'),
      (8, 'entries_class_of_same_event', 'entries', 'FOREIGN KEY (class_id, event_id) REFERENCES classes (id, event_id) ON DELETE RESTRICT',
          'The class of an entry must be a class of the entry''s event.'),
      (9, 'entries_race_number_unique_per_event', 'entries', 'UNIQUE (event_id, race_number)',
          'This race number is taken in this event already: a race number is used once per event.'),
      (10, 'entry_crew_member_once', 'entry_crew', 'UNIQUE (entry_id, user_id)',
          'This person is in the crew of this entry already.'),
      (11, 'entry_devices_assigned_once', 'entry_devices', 'UNIQUE (entry_id, device_id)',
          'This device is assigned to this entry already: to give it back to the same entry, extend its existing assignment window instead.'),
      (12, 'entry_devices_window_valid', 'entry_devices', 'CHECK (valid_until IS NULL OR valid_until > valid_from)',
          'A tracker assignment must end after it starts: valid_until must be after valid_from, or empty while it lasts.'),
      (13, 'entry_devices_no_overlapping_assignment', 'entry_devices',
          'EXCLUDE USING gist (device_id WITH =, tstzrange(valid_from, valid_until) WITH &&)',
          'This device is already assigned to an entry for an overlapping time window: a device is on one entry at a time. Close the other assignment (set its valid_until) first.'),
      (14, 'organization_users_role_allowed', 'organization_users',
          'CHECK (role IN (''org-admin'', ''race-director'', ''marshal'', ''timekeeper'', ''participant'', ''viewer''))',
          'The role must be one of org-admin, race-director, marshal, timekeeper, participant, viewer.'),
      (15, 'events_discipline_allowed', 'events',
          'CHECK (discipline IN (''rally'', ''time-trial'', ''regatta'', ''trail-run'', ''hike''))',
          'The discipline must be one of rally, time-trial, regatta, trail-run, hike.'),
      (16, 'classes_category_allowed', 'classes',
          'CHECK (category IN (''moto'', ''quad'', ''car'', ''ssv'', ''truck'', ''foot''))',
          'The category must be one of moto, quad, car, ssv, truck, foot.'),
      (17, 'entries_status_allowed', 'entries',
          'CHECK (status IN (''draft'', ''submitted'', ''registered'', ''scrutineered'', ''racing'', ''finished'', ''retired'', ''withdrawn''))',
          'The status must be one of draft, submitted, registered, scrutineered, racing, finished, retired, withdrawn.'),
      (18, 'entry_crew_role_allowed', 'entry_crew',
          'CHECK (role IN (''pilot'', ''co-pilot'', ''navigator'', ''mechanic'', ''rider'', ''runner'', ''hiker''))',
          'The crew role must be one of pilot, co-pilot, navigator, mechanic, rider, runner, hiker.')
    ) AS t(ord, name, tbl, def, message) ORDER BY ord
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.name AND conrelid = to_regclass(c.tbl)) THEN
      EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.tbl, c.name, c.def);
    END IF;
    EXECUTE format('COMMENT ON CONSTRAINT %I ON %I IS %L', c.name, c.tbl, c.message);
  END LOOP;
END
$$;

-- Assert the result, loudly: each constraint on its table, of its kind, on
-- its columns; the foreign key's target and delete rule; the exclusion on
-- GiST; each enumeration's exact values.
DO $$
DECLARE
  want record;
  got record;
  vals text[];
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('organization_users_one_role_per_user', 'organization_users', 'u', 'organization_id,user_id', NULL::text[]),
      ('organization_vehicles_registered_once', 'organization_vehicles', 'u', 'organization_id,vehicle_id', NULL),
      ('organization_devices_registered_once', 'organization_devices', 'u', 'organization_id,device_id', NULL),
      ('events_slug_unique_per_organization', 'events', 'u', 'organization_id,slug', NULL),
      ('events_ends_after_starts', 'events', 'c', 'ends_at,starts_at', NULL),
      ('classes_code_unique_per_event', 'classes', 'u', 'event_id,code', NULL),
      ('classes_id_event_key', 'classes', 'u', 'id,event_id', NULL),
      ('entries_class_of_same_event', 'entries', 'f', 'class_id,event_id', NULL),
      ('entries_race_number_unique_per_event', 'entries', 'u', 'event_id,race_number', NULL),
      ('entry_crew_member_once', 'entry_crew', 'u', 'entry_id,user_id', NULL),
      ('entry_devices_assigned_once', 'entry_devices', 'u', 'entry_id,device_id', NULL),
      ('entry_devices_window_valid', 'entry_devices', 'c', 'valid_from,valid_until', NULL),
      ('entry_devices_no_overlapping_assignment', 'entry_devices', 'x', 'device_id', NULL),
      ('organization_users_role_allowed', 'organization_users', 'c', 'role',
        ARRAY['org-admin', 'race-director', 'marshal', 'timekeeper', 'participant', 'viewer']),
      ('events_discipline_allowed', 'events', 'c', 'discipline', ARRAY['rally', 'time-trial', 'regatta', 'trail-run', 'hike']),
      ('classes_category_allowed', 'classes', 'c', 'category', ARRAY['moto', 'quad', 'car', 'ssv', 'truck', 'foot']),
      ('entries_status_allowed', 'entries', 'c', 'status',
        ARRAY['draft', 'submitted', 'registered', 'scrutineered', 'racing', 'finished', 'retired', 'withdrawn']),
      ('entry_crew_role_allowed', 'entry_crew', 'c', 'role', ARRAY['pilot', 'co-pilot', 'navigator', 'mechanic', 'rider', 'runner', 'hiker'])
    ) AS t(name, tbl, kind, cols, enum_values)
  LOOP
    SELECT con.oid, con.contype::text AS kind, pg_get_constraintdef(con.oid) AS def, con.confrelid, con.confdeltype,
           obj_description(con.oid, 'pg_constraint') AS message,
           (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) AS cols
      INTO got
      FROM pg_constraint con
     WHERE con.conname = want.name AND con.conrelid = to_regclass(want.tbl);
    IF NOT FOUND THEN
      RAISE EXCEPTION '001_phase1_constraints: constraint % on % is missing', want.name, want.tbl;
    END IF;
    IF got.kind <> want.kind OR got.cols IS DISTINCT FROM (SELECT string_agg(x, ',' ORDER BY x) FROM unnest(string_to_array(want.cols, ',')) x) THEN
      RAISE EXCEPTION '001_phase1_constraints: constraint % on % is [%] on columns %, expected kind % on %',
        want.name, want.tbl, got.def, got.cols, want.kind, want.cols
        USING HINT = 'a constraint of that name was made by hand: drop it and rerun the file by hand, or reconcile';
    END IF;
    IF got.message IS NULL THEN
      RAISE EXCEPTION '001_phase1_constraints: constraint % has no comment (the message users read)', want.name;
    END IF;
    IF want.kind = 'f' AND (got.confrelid <> 'classes'::regclass OR got.confdeltype <> 'r'
                            OR got.def NOT LIKE '%REFERENCES classes(id, event_id)%') THEN
      RAISE EXCEPTION '001_phase1_constraints: % is [%], expected a reference to classes (id, event_id) ON DELETE RESTRICT', want.name, got.def;
    END IF;
    IF want.kind = 'x' AND got.def NOT LIKE 'EXCLUDE USING gist (device_id WITH =, tstzrange(valid_from, valid_until) WITH &&)%' THEN
      RAISE EXCEPTION '001_phase1_constraints: % is [%], expected the GiST exclusion on (device_id, tstzrange(valid_from, valid_until))', want.name, got.def;
    END IF;
    IF want.enum_values IS NOT NULL THEN
      SELECT array_agg(m[1] ORDER BY m[1]) INTO vals FROM regexp_matches(got.def, '''([^'']*)''', 'g') AS m;
      IF vals IS DISTINCT FROM (SELECT array_agg(v ORDER BY v) FROM unnest(want.enum_values) v) THEN
        RAISE EXCEPTION '001_phase1_constraints: % allows %, expected %', want.name, vals, want.enum_values;
      END IF;
    END IF;
  END LOOP;
END
$$;
