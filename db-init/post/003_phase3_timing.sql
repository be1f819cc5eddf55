-- Phase 3 rules Directus cannot express (docs/data-model-phase3.md,
-- "Post-schema db-init"): the rules as versioned data, the start lists,
-- crossings, penalties and stage results made consistent by the database.
--
-- Runs after Directus applied snapshots/schema.yaml: the tables exist.
-- Nothing here may change what Directus's snapshot shows: every
-- constraint spans two or more columns or is a CHECK, an exclusion
-- constraint or a constraint trigger; row-level security and policies are
-- invisible to Directus.
--
-- Each constraint's comment is the sentence users read when a write breaks
-- it (extensions/trm-constraint-errors). A constraint trigger raises
-- check_violation naming itself, its table and the column at fault. The
-- cross-row rules between tables are DEFERRABLE INITIALLY DEFERRED
-- (checked at commit, so that one transaction may write a rule's versions
-- or a stage's start list in any order); the rules that protect what was
-- decided (a formula that priced penalties, an official result) are
-- immediate. The enumerations are lib/rules's and internal/catalog's
-- (tests/schema compares them).

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['events', 'classes', 'entries', 'stages', 'segments', 'geofences', 'waypoints', 'speed_limit_zones',
                      'penalty_formulas', 'entry_segment_starts', 'entry_crossings', 'entry_penalties', 'stage_results']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '003_phase3_timing: the tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus applied snapshots/schema.yaml; is the committed snapshot the Phase 3 one (tools/phase3schema)?';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN
    RAISE EXCEPTION '003_phase3_timing: btree_gist is needed (db-init/001_extensions.sql installs it)';
  END IF;
  IF current_setting('server_version_num')::int < 150000 THEN
    RAISE EXCEPTION '003_phase3_timing: PostgreSQL 15 or later is needed (UNIQUE NULLS NOT DISTINCT), this is %', current_setting('server_version');
  END IF;
END
$$;

-- The hook point of Phase 4: who may reopen official results. Until the
-- access model decides (race directors of the event's organisation),
-- anyone Directus lets update stage_results may, and the reopen is
-- recorded with who did it. Phase 4 replaces this function in a new
-- db-init file (CREATE OR REPLACE, same signature); the trigger
-- stage_results_reopen_allowed calls it.
CREATE OR REPLACE FUNCTION trm_may_reopen_stage_results(user_id uuid, stage_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT user_id IS NOT NULL $$;

COMMENT ON FUNCTION trm_may_reopen_stage_results(uuid, uuid) IS
  'Whether this Directus user may reopen the official results of this stage. Phase 4 replaces it (access model); until then any user Directus lets update stage_results.';

-- The cross-row rules: functions of constraint triggers. A deferred
-- trigger runs at commit, when the row may have changed again or be gone:
-- each function reads the row's current state.

-- The first column of a row that an update changed (the admin UI points
-- at it).
CREATE OR REPLACE FUNCTION trm_first_changed_column(old_row jsonb, new_row jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT n.key FROM jsonb_each(new_row) n WHERE n.value IS DISTINCT FROM old_row -> n.key ORDER BY n.key LIMIT 1
$$;

CREATE OR REPLACE FUNCTION trm_penalty_formulas_used_not_edited() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entry_penalties p WHERE p.formula_id = OLD.id OR p.repeat_formula_id = OLD.id) THEN
    RAISE EXCEPTION 'formula % (rule %, version %) has priced penalties: it cannot change', OLD.id, OLD.rule_key, OLD.version
      USING ERRCODE = 'check_violation', CONSTRAINT = 'penalty_formulas_used_not_edited',
            TABLE = 'penalty_formulas', COLUMN = trm_first_changed_column(to_jsonb(OLD), to_jsonb(NEW));
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_penalty_formulas_supersedes_existing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM penalty_formulas f
              WHERE f.id = NEW.id AND f.version > 1
                AND NOT EXISTS (SELECT 1 FROM penalty_formulas p
                                 WHERE p.event_id = f.event_id AND p.rule_key = f.rule_key AND p.version = f.version - 1)) THEN
    RAISE EXCEPTION 'version % of rule % supersedes a version that does not exist', NEW.version, NEW.rule_key
      USING ERRCODE = 'check_violation', CONSTRAINT = 'penalty_formulas_supersedes_existing',
            TABLE = 'penalty_formulas', COLUMN = 'version';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_penalty_formulas_version_consistent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM penalty_formulas f JOIN penalty_formulas o
                 ON o.event_id = f.event_id AND o.rule_key = f.rule_key AND o.version = f.version AND o.id <> f.id
              WHERE f.id = NEW.id
                AND (o.type, o.qualifier, o.belongs_to_type, o.belongs_to_id, o.base, o.repeat_within, o.contiguous,
                     o.pulse_seconds, o.pulse_metres, o.retroactive, o.enabled, o.note)
                    IS DISTINCT FROM
                    (f.type, f.qualifier, f.belongs_to_type, f.belongs_to_id, f.base, f.repeat_within, f.contiguous,
                     f.pulse_seconds, f.pulse_metres, f.retroactive, f.enabled, f.note)) THEN
    RAISE EXCEPTION 'the rows of version % of rule % disagree on a rule-level field', NEW.version, NEW.rule_key
      USING ERRCODE = 'check_violation', CONSTRAINT = 'penalty_formulas_version_consistent',
            TABLE = 'penalty_formulas', COLUMN = 'rule_key';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_penalty_formulas_belongs_to_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  f penalty_formulas;
  ok boolean;
BEGIN
  SELECT * INTO f FROM penalty_formulas WHERE id = NEW.id;
  IF NOT FOUND OR NOT f.enabled THEN
    RETURN NULL;
  END IF;
  ok := CASE f.belongs_to_type
    WHEN 'class' THEN EXISTS (SELECT 1 FROM classes c WHERE c.id::text = f.belongs_to_id AND c.event_id = f.event_id)
    WHEN 'stage' THEN EXISTS (SELECT 1 FROM stages s WHERE s.id::text = f.belongs_to_id AND s.event_id = f.event_id)
    WHEN 'segment' THEN EXISTS (SELECT 1 FROM segments g JOIN stages s ON s.id = g.stage_id
                                 WHERE g.id::text = f.belongs_to_id AND s.event_id = f.event_id)
    WHEN 'speed_zone' THEN EXISTS (SELECT 1 FROM speed_limit_zones z JOIN segments g ON g.id = z.segment_id JOIN stages s ON s.id = g.stage_id
                                    WHERE z.id::text = f.belongs_to_id AND s.event_id = f.event_id)
    ELSE true
  END;
  IF NOT ok THEN
    RAISE EXCEPTION 'rule % belongs to % %, which is not one of its event', f.rule_key, f.belongs_to_type, f.belongs_to_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'penalty_formulas_belongs_to_event',
            TABLE = 'penalty_formulas', COLUMN = 'belongs_to_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entry_segment_starts_of_entry_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entry_segment_starts x
               JOIN entries e ON e.id = x.entry_id
               JOIN segments g ON g.id = x.segment_id JOIN stages s ON s.id = g.stage_id
              WHERE x.id = NEW.id AND e.event_id <> s.event_id) THEN
    RAISE EXCEPTION 'start % is of a segment of another event than its entry''s', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_segment_starts_of_entry_event',
            TABLE = 'entry_segment_starts', COLUMN = 'segment_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entry_crossings_of_entry_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  col text;
BEGIN
  SELECT CASE WHEN x.geofence_id IS NOT NULL THEN 'geofence_id' ELSE 'waypoint_id' END INTO col
    FROM entry_crossings x
    JOIN entries e ON e.id = x.entry_id
    LEFT JOIN geofences gf ON gf.id = x.geofence_id
    LEFT JOIN waypoints w ON w.id = x.waypoint_id
    LEFT JOIN segments g ON g.id = w.segment_id
    LEFT JOIN stages s ON s.id = g.stage_id
   WHERE x.id = NEW.id AND e.event_id IS DISTINCT FROM coalesce(gf.event_id, s.event_id);
  IF col IS NOT NULL THEN
    RAISE EXCEPTION 'crossing % is of a geofence or waypoint of another event than its entry''s', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_crossings_of_entry_event',
            TABLE = 'entry_crossings', COLUMN = col;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entry_penalties_formula_of_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  col text;
BEGIN
  SELECT CASE
           WHEN s.event_id <> e.event_id THEN 'segment_id'
           WHEN f.event_id <> e.event_id OR f.type <> p.type OR f.qualifier IS DISTINCT FROM p.qualifier
                OR f.operator = 'repeat_multiplier' THEN 'formula_id'
           WHEN p.repeat_formula_id IS NOT NULL AND (r.event_id <> e.event_id OR r.operator <> 'repeat_multiplier'
                OR r.base IS DISTINCT FROM f.rule_key) THEN 'repeat_formula_id'
         END INTO col
    FROM entry_penalties p
    JOIN entries e ON e.id = p.entry_id
    JOIN segments g ON g.id = p.segment_id JOIN stages s ON s.id = g.stage_id
    JOIN penalty_formulas f ON f.id = p.formula_id
    LEFT JOIN penalty_formulas r ON r.id = p.repeat_formula_id
   WHERE p.id = NEW.id;
  IF col IS NOT NULL THEN
    RAISE EXCEPTION 'penalty % does not agree with its entry''s event or its formulas (%)', NEW.id, col
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_penalties_formula_of_entry',
            TABLE = 'entry_penalties', COLUMN = col;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_stage_results_of_entry_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM stage_results r JOIN entries e ON e.id = r.entry_id JOIN stages s ON s.id = r.stage_id
              WHERE r.id = NEW.id AND e.event_id <> s.event_id) THEN
    RAISE EXCEPTION 'result % is of a stage of another event than its entry''s', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_results_of_entry_event',
            TABLE = 'stage_results', COLUMN = 'stage_id';
  END IF;
  RETURN NULL;
END
$$;

-- Official results are frozen. The only change an official row accepts is
-- the reopen: back to provisional, with who reopened it, when and why, and
-- nothing else changed. A write that changes nothing passes (Directus may
-- send unchanged values).
CREATE OR REPLACE FUNCTION trm_stage_results_official_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'official' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'result % is official: it cannot be deleted', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_results_official_frozen',
            TABLE = 'stage_results', COLUMN = 'status';
  END IF;
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  IF NEW.status = 'provisional' AND NEW.reopened_by IS NOT NULL AND NEW.reopened_at IS DISTINCT FROM OLD.reopened_at
     AND (NEW.id, NEW.entry_id, NEW.stage_id, NEW.elapsed_seconds, NEW.penalty_seconds, NEW.total_seconds,
          NEW.position_overall, NEW.position_class, NEW.published_by, NEW.published_at)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.entry_id, OLD.stage_id, OLD.elapsed_seconds, OLD.penalty_seconds, OLD.total_seconds,
          OLD.position_overall, OLD.position_class, OLD.published_by, OLD.published_at) THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'result % is official: it cannot change unless the stage is reopened', OLD.id
    USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_results_official_frozen',
          TABLE = 'stage_results', COLUMN = coalesce(trm_first_changed_column(to_jsonb(OLD), to_jsonb(NEW)), 'status');
END
$$;

CREATE OR REPLACE FUNCTION trm_stage_results_reopen_allowed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'official' AND NEW.status = 'provisional'
     AND NOT coalesce(trm_may_reopen_stage_results(NEW.reopened_by, NEW.stage_id), false) THEN
    RAISE EXCEPTION 'user % may not reopen the results of stage %', NEW.reopened_by, NEW.stage_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_results_reopen_allowed',
            TABLE = 'stage_results', COLUMN = 'status';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_stage_results_stage_not_official() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM stage_results r WHERE r.stage_id = NEW.stage_id AND r.status = 'official' AND r.id <> NEW.id) THEN
    RAISE EXCEPTION 'the results of stage % are official: no result is added to it', NEW.stage_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_results_stage_not_official',
            TABLE = 'stage_results', COLUMN = 'stage_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_entries_event_of_its_timing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entry_segment_starts WHERE entry_id = NEW.id)
     OR EXISTS (SELECT 1 FROM entry_crossings WHERE entry_id = NEW.id)
     OR EXISTS (SELECT 1 FROM entry_penalties WHERE entry_id = NEW.id)
     OR EXISTS (SELECT 1 FROM stage_results WHERE entry_id = NEW.id) THEN
    RAISE EXCEPTION 'entry % has timing in its event: it cannot move to another event', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_event_of_its_timing',
            TABLE = 'entries', COLUMN = 'event_id';
  END IF;
  RETURN NULL;
END
$$;

-- A crossing recorded twice is absorbed: the insert is skipped, whoever
-- sends it. The processor's replays (INSERT … ON CONFLICT DO NOTHING) and
-- a client of the REST API that retries a POST both succeed and add
-- nothing (Directus answers 204, no item: measured with 11.17.4). Two
-- identical inserts racing in two transactions both pass this check; the
-- UNIQUE constraint entry_crossings_recorded_once then refuses the later
-- one (ON CONFLICT DO NOTHING absorbs that too).
CREATE OR REPLACE FUNCTION trm_entry_crossings_absorb_duplicates() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM entry_crossings x
              WHERE x.entry_id = NEW.entry_id AND x.kind = NEW.kind AND x.ts = NEW.ts
                AND CASE WHEN NEW.geofence_id IS NOT NULL THEN x.geofence_id = NEW.geofence_id AND x.waypoint_id IS NULL
                         ELSE x.geofence_id IS NULL AND x.waypoint_id = NEW.waypoint_id END) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entry_crossings_absorb_duplicates' AND tgrelid = 'entry_crossings'::regclass) THEN
    CREATE TRIGGER entry_crossings_absorb_duplicates BEFORE INSERT ON entry_crossings
      FOR EACH ROW EXECUTE FUNCTION trm_entry_crossings_absorb_duplicates();
  END IF;
END
$$;

-- Each rule: order, name, table, definition (a constraint, or "trigger"
-- and the rest of a CREATE CONSTRAINT TRIGGER), and the message users
-- read.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
      (1, 'penalty_formulas_key_valid', 'penalty_formulas',
          $c$CHECK (rule_key ~ '^[a-z0-9]+([-_.][a-z0-9]+)*$' AND (base IS NULL OR base ~ '^[a-z0-9]+([-_.][a-z0-9]+)*$'))$c$,
          'A rule key (and a repeat rule''s base) is lower-case letters and digits with single - _ . between them, e.g. speeding-moto.'),
      (2, 'penalty_formulas_version_valid', 'penalty_formulas', 'CHECK (version >= 1 AND supersedes = version - 1)',
          'Versions start at 1 and each supersedes the one before it: supersedes must be version - 1 (0 for the first).'),
      (3, 'penalty_formulas_bracket_valid', 'penalty_formulas',
          'CHECK (offence_min >= 0 AND offence_min <= 1000000000 AND (offence_max IS NULL OR (offence_max > offence_min AND offence_max <= 1000000000)))',
          'A bracket holds the offences above offence_min up to offence_max: offence_min from 0, offence_max above it (at most 1000000000), or empty for no upper bound.'),
      (4, 'penalty_formulas_numbers_valid', 'penalty_formulas',
          'CHECK (penalty BETWEEN 0 AND 3600000 AND (per IS NULL OR (per > 0 AND per <= 1000000000))
                  AND (multiplier IS NULL OR multiplier BETWEEN 1 AND 1000)
                  AND (pulse_seconds IS NULL OR pulse_seconds BETWEEN 0 AND 1000000000)
                  AND (pulse_metres IS NULL OR pulse_metres BETWEEN 0 AND 1000000000))',
          'A formula''s numbers are within the rules'' limits: a penalty from 0 to 3600000 seconds (1000 hours), a unit (per) above 0, a multiplier from 1 to 1000, pulse intervals not negative.'),
      (5, 'penalty_formulas_operator_fields', 'penalty_formulas',
          $c$CHECK ((operator = 'per_unit_over') = (per IS NOT NULL)
                  AND (operator = 'repeat_multiplier') = (multiplier IS NOT NULL)
                  AND (operator = 'repeat_multiplier') = (base IS NOT NULL)
                  AND (round IS NULL OR operator = 'per_unit_over')
                  AND (repeat_within IS NULL OR base IS NOT NULL)
                  AND (operator <> 'per_pulse' OR coalesce(pulse_seconds, 0) > 0 OR coalesce(pulse_metres, 0) > 0))$c$,
          'Each operator takes its own fields: per (and round) with per unit over only, a multiplier and a base rule with repeat multiplier only (repeat_within too), a pulse interval (seconds or metres) with per pulse.'),
      (6, 'penalty_formulas_scope_valid', 'penalty_formulas',
          $c$CHECK ((belongs_to_type = 'event') = (belongs_to_id IS NULL)
                  AND (belongs_to_type <> 'category' OR belongs_to_id IN ('moto', 'quad', 'car', 'ssv', 'truck', 'foot'))
                  AND (belongs_to_type IN ('event', 'category') OR belongs_to_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'))$c$,
          'What a rule belongs to: nothing for the whole event; a category (moto, quad, car, ssv, truck, foot); or the id of a class, stage, segment or speed zone.'),
      (7, 'penalty_formulas_qualifier_of_type', 'penalty_formulas',
          $c$CHECK ((type = 'missed_waypoint' AND coalesce(qualifier, '') IN ('WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP'))
                  OR (type = 'missed_control' AND coalesce(qualifier, '') IN ('TC', 'CP', 'DSS', 'ASS'))
                  OR (type NOT IN ('missed_waypoint', 'missed_control') AND qualifier IS NULL))$c$,
          'A missed waypoint rule names a waypoint type (WPV, WPM, WPE, WPS, WPC, WPN, WPP), a missed control rule a control (TC, CP, DSS, ASS); other types take no qualifier.'),
      (8, 'penalty_formulas_type_allowed', 'penalty_formulas',
          $c$CHECK (type IN ('speeding', 'missed_waypoint', 'missed_control', 'late_time_control', 'early_time_control', 'min_validated_waypoints_share', 'exceeded_time_limit'))$c$,
          'The type must be one of speeding, missed_waypoint, missed_control, late_time_control, early_time_control, min_validated_waypoints_share, exceeded_time_limit.'),
      (9, 'penalty_formulas_qualifier_allowed', 'penalty_formulas',
          $c$CHECK (qualifier IN ('WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP', 'TC', 'CP', 'DSS', 'ASS'))$c$,
          'The qualifier, when given, must be one of WPV, WPM, WPE, WPS, WPC, WPN, WPP, TC, CP, DSS, ASS.'),
      (10, 'penalty_formulas_belongs_to_type_allowed', 'penalty_formulas',
          $c$CHECK (belongs_to_type IN ('event', 'category', 'class', 'stage', 'segment', 'speed_zone'))$c$,
          'What a rule belongs to must be one of event, category, class, stage, segment, speed_zone.'),
      (11, 'penalty_formulas_repeat_within_allowed', 'penalty_formulas',
          $c$CHECK (repeat_within IN ('event', 'stage'))$c$,
          'Where a repeat rule counts earlier offences, when given, must be one of event, stage.'),
      (12, 'penalty_formulas_operator_allowed', 'penalty_formulas',
          $c$CHECK (operator IN ('flat', 'per_unit_over', 'per_pulse', 'repeat_multiplier'))$c$,
          'The operator must be one of flat, per_unit_over, per_pulse, repeat_multiplier.'),
      (13, 'penalty_formulas_round_allowed', 'penalty_formulas',
          $c$CHECK (round IN ('up', 'down'))$c$,
          'The rounding, when given, must be one of up, down.'),
      (14, 'penalty_formulas_outcome_allowed', 'penalty_formulas',
          $c$CHECK (outcome IN ('dnf', 'excluded'))$c$,
          'The outcome, when given, must be one of dnf, excluded.'),
      (15, 'penalty_formulas_brackets_do_not_overlap', 'penalty_formulas',
          $c$EXCLUDE USING gist (event_id WITH =, rule_key WITH =, version WITH =, numrange(offence_min, offence_max, '(]') WITH &&)$c$,
          'This bracket overlaps another bracket of the same rule version: a bracket holds the offences above its lower bound up to its upper bound, and no offence may fall in two (e.g. above 0 up to 20, then above 20).'),
      (16, 'penalty_formulas_used_not_edited', 'penalty_formulas',
          'trigger AFTER UPDATE ON penalty_formulas NOT DEFERRABLE FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION trm_penalty_formulas_used_not_edited()',
          'This formula has priced penalties: its numbers cannot change in place, or those penalties would no longer be explained. Make a new version instead: rows with version + 1 that supersede it (trmctl rules import makes them from the rulebook file).'),
      (17, 'penalty_formulas_supersedes_existing', 'penalty_formulas',
          'trigger AFTER INSERT OR UPDATE OF event_id, rule_key, version ON penalty_formulas DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_penalty_formulas_supersedes_existing()',
          'A new version supersedes the version before it, which must exist: add version 1 first, then 2, and so on.'),
      (18, 'penalty_formulas_version_consistent', 'penalty_formulas',
          'trigger AFTER INSERT OR UPDATE ON penalty_formulas DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_penalty_formulas_version_consistent()',
          'The rows of one rule version are its brackets: they agree on the rule''s type, qualifier, scope, base, pulse, contiguous, retroactive, enabled and note.'),
      (19, 'penalty_formulas_belongs_to_event', 'penalty_formulas',
          'trigger AFTER INSERT OR UPDATE ON penalty_formulas DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_penalty_formulas_belongs_to_event()',
          'An enabled rule belongs to a class, stage, segment or speed zone of its own event.'),

      (20, 'entry_segment_starts_once_per_segment', 'entry_segment_starts',
          'UNIQUE (segment_id, entry_id) DEFERRABLE INITIALLY DEFERRED',
          'This entry has a start in this segment already: one start per entry and segment.'),
      (21, 'entry_segment_starts_position_once', 'entry_segment_starts',
          'UNIQUE (segment_id, start_position) DEFERRABLE INITIALLY DEFERRED',
          'Another entry has this start position in this segment: one entry per start position.'),
      (22, 'entry_segment_starts_position_valid', 'entry_segment_starts', 'CHECK (start_position >= 1)',
          'A start position is 1 or more.'),
      (23, 'entry_segment_starts_override_explained', 'entry_segment_starts',
          $c$CHECK (NOT manual_override OR (override_by IS NOT NULL AND btrim(coalesce(override_reason, '')) <> ''))$c$,
          'A start set by hand says why (override_reason) and who set it (override_by).'),
      (24, 'entry_segment_starts_of_entry_event', 'entry_segment_starts',
          'trigger AFTER INSERT OR UPDATE OF entry_id, segment_id ON entry_segment_starts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_entry_segment_starts_of_entry_event()',
          'The segment of a start must be of the entry''s event.'),

      (25, 'entry_crossings_one_target', 'entry_crossings',
          'CHECK ((geofence_id IS NULL) <> (waypoint_id IS NULL))',
          'A crossing is of a geofence or of a waypoint: give exactly one of them.'),
      (26, 'entry_crossings_recorded_once', 'entry_crossings',
          'UNIQUE NULLS NOT DISTINCT (entry_id, geofence_id, waypoint_id, kind, ts)',
          'This crossing is recorded already: the same entry, geofence or waypoint, kind and time, written at the same moment by another request. Nothing is added.'),
      (27, 'entry_crossings_position_pair', 'entry_crossings',
          'CHECK ((position_device_id IS NULL) = (position_ts IS NULL))',
          'The position a crossing came from is named by its device and its time, both or neither.'),
      (28, 'entry_crossings_kind_allowed', 'entry_crossings',
          $c$CHECK (kind IN ('entered', 'left', 'validated'))$c$,
          'The kind must be one of entered, left, validated.'),
      (29, 'entry_crossings_of_entry_event', 'entry_crossings',
          'trigger AFTER INSERT OR UPDATE OF entry_id, geofence_id, waypoint_id ON entry_crossings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_entry_crossings_of_entry_event()',
          'The geofence or waypoint of a crossing must be of the entry''s event.'),

      (30, 'entry_penalties_offence_once', 'entry_penalties',
          'UNIQUE (entry_id, segment_id, offence_key)',
          'This offence has a penalty already: one penalty per entry, segment and offence. A recompute replaces computed penalties and keeps decided ones.'),
      (31, 'entry_penalties_seconds_valid', 'entry_penalties',
          'CHECK (seconds >= 0 AND (override_seconds IS NULL OR override_seconds >= 0))',
          'Penalty seconds cannot be negative.'),
      (32, 'entry_penalties_override_explained', 'entry_penalties',
          $c$CHECK ((status = 'overridden') = (override_seconds IS NOT NULL)
                  AND (status NOT IN ('overridden', 'cancelled') OR btrim(coalesce(override_reason, '')) <> ''))$c$,
          'An overridden penalty gives the seconds that apply instead (override_seconds, only then) and why; a cancelled one says why (override_reason).'),
      (33, 'entry_penalties_decision_recorded', 'entry_penalties',
          $c$CHECK (status = 'computed' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL))$c$,
          'A confirmed, overridden or cancelled penalty records who decided and when (decided_by, decided_at; Directus fills them in from the session).'),
      (34, 'entry_penalties_snapshot_valid', 'entry_penalties',
          $c$CHECK (json_typeof(formula_snapshot) = 'object' AND json_typeof(inputs) = 'object')$c$,
          'The formula as used and the inputs are JSON objects.'),
      (35, 'entry_penalties_qualifier_of_type', 'entry_penalties',
          $c$CHECK ((type = 'missed_waypoint' AND coalesce(qualifier, '') IN ('WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP'))
                  OR (type = 'missed_control' AND coalesce(qualifier, '') IN ('TC', 'CP', 'DSS', 'ASS'))
                  OR (type NOT IN ('missed_waypoint', 'missed_control') AND qualifier IS NULL))$c$,
          'A missed waypoint penalty names a waypoint type (WPV, WPM, WPE, WPS, WPC, WPN, WPP), a missed control penalty a control (TC, CP, DSS, ASS); other types take no qualifier.'),
      (36, 'entry_penalties_type_allowed', 'entry_penalties',
          $c$CHECK (type IN ('speeding', 'missed_waypoint', 'missed_control', 'late_time_control', 'early_time_control', 'min_validated_waypoints_share', 'exceeded_time_limit'))$c$,
          'The type must be one of speeding, missed_waypoint, missed_control, late_time_control, early_time_control, min_validated_waypoints_share, exceeded_time_limit.'),
      (37, 'entry_penalties_qualifier_allowed', 'entry_penalties',
          $c$CHECK (qualifier IN ('WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP', 'TC', 'CP', 'DSS', 'ASS'))$c$,
          'The qualifier, when given, must be one of WPV, WPM, WPE, WPS, WPC, WPN, WPP, TC, CP, DSS, ASS.'),
      (38, 'entry_penalties_outcome_allowed', 'entry_penalties',
          $c$CHECK (outcome IN ('dnf', 'excluded'))$c$,
          'The outcome, when given, must be one of dnf, excluded.'),
      (39, 'entry_penalties_status_allowed', 'entry_penalties',
          $c$CHECK (status IN ('computed', 'confirmed', 'overridden', 'cancelled'))$c$,
          'The status must be one of computed, confirmed, overridden, cancelled.'),
      (40, 'entry_penalties_formula_of_entry', 'entry_penalties',
          'trigger AFTER INSERT OR UPDATE OF entry_id, segment_id, type, qualifier, formula_id, repeat_formula_id ON entry_penalties DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_entry_penalties_formula_of_entry()',
          'A penalty is of a segment of its entry''s event and was priced by a formula of that event with its type and qualifier (not a repeat rule); a repeat formula multiplies that formula''s rule.'),

      (41, 'stage_results_once_per_stage', 'stage_results', 'UNIQUE (stage_id, entry_id)',
          'This entry has a result in this stage already: one result per entry and stage.'),
      (42, 'stage_results_numbers_valid', 'stage_results',
          'CHECK ((elapsed_seconds IS NULL OR elapsed_seconds >= 0) AND penalty_seconds >= 0
                  AND (position_overall IS NULL OR position_overall >= 1) AND (position_class IS NULL OR position_class >= 1))',
          'Times and penalties cannot be negative, and positions start at 1.'),
      (43, 'stage_results_total_is_sum', 'stage_results',
          'CHECK (total_seconds IS NULL OR (elapsed_seconds IS NOT NULL AND total_seconds = elapsed_seconds + penalty_seconds))',
          'The total is the elapsed time plus the penalties (empty when the entry is not classified).'),
      (44, 'stage_results_official_published', 'stage_results',
          $c$CHECK (status <> 'official' OR (published_by IS NOT NULL AND published_at IS NOT NULL))$c$,
          'An official result records who published it and when (published_by, published_at; Directus fills them in from the session).'),
      (45, 'stage_results_reopen_recorded', 'stage_results',
          $c$CHECK ((reopened_by IS NULL) = (reopened_at IS NULL) AND (reopened_at IS NULL OR btrim(coalesce(reopen_reason, '')) <> ''))$c$,
          'Reopening official results records who did it, when and why (reopen_reason is required to reopen).'),
      (46, 'stage_results_status_allowed', 'stage_results',
          $c$CHECK (status IN ('provisional', 'official'))$c$,
          'The status must be one of provisional, official.'),
      (47, 'stage_results_of_entry_event', 'stage_results',
          'trigger AFTER INSERT OR UPDATE OF entry_id, stage_id ON stage_results DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_stage_results_of_entry_event()',
          'The stage of a result must be of the entry''s event.'),
      (48, 'stage_results_official_frozen', 'stage_results',
          'trigger AFTER UPDATE OR DELETE ON stage_results NOT DEFERRABLE FOR EACH ROW EXECUTE FUNCTION trm_stage_results_official_frozen()',
          'This result is official: it cannot change or be deleted unless the stage is reopened. To reopen, set its status back to provisional with a reason (reopen_reason); who reopened it and when are recorded.'),
      (49, 'stage_results_reopen_allowed', 'stage_results',
          'trigger AFTER UPDATE OF status ON stage_results NOT DEFERRABLE FOR EACH ROW EXECUTE FUNCTION trm_stage_results_reopen_allowed()',
          'You may not reopen the official results of this stage (trm_may_reopen_stage_results refused): ask someone allowed to.'),
      (50, 'stage_results_stage_not_official', 'stage_results',
          'trigger AFTER INSERT OR UPDATE OF stage_id ON stage_results NOT DEFERRABLE FOR EACH ROW EXECUTE FUNCTION trm_stage_results_stage_not_official()',
          'The results of this stage are official: no result is added to it unless the stage is reopened.'),
      (51, 'entries_event_of_its_timing', 'entries',
          'trigger AFTER UPDATE OF event_id ON entries DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trm_entries_event_of_its_timing()',
          'This entry has starts, crossings, penalties or results in its event: it cannot move to another event.')
    ) AS t(ord, name, tbl, def, message) ORDER BY ord
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.name AND conrelid = to_regclass(c.tbl)) THEN
      IF c.def LIKE 'trigger %' THEN
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I %s', c.name, substr(c.def, 9));
      ELSE
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.tbl, c.name, c.def);
      END IF;
    END IF;
    EXECUTE format('COMMENT ON CONSTRAINT %I ON %I IS %L', c.name, c.tbl, c.message);
  END LOOP;
END
$$;

-- What the database enforces about writers other than the tables' owner
-- (Directus's database user, which row-level security does not restrict):
-- the processor's role (004_processor_role.sql) and any role granted
-- later. They read every row; they insert only computed penalties and
-- delete only computed ones, so that a recompute (delete the computed
-- penalties of a segment, insert the new ones, ON CONFLICT DO NOTHING)
-- never replaces a confirmed, overridden or cancelled one; they write only
-- provisional results. There is no UPDATE policy on penalties: a recompute
-- replaces, it does not edit.
DO $$
DECLARE
  p record;
BEGIN
  ALTER TABLE entry_penalties ENABLE ROW LEVEL SECURITY;
  ALTER TABLE stage_results ENABLE ROW LEVEL SECURITY;
  FOR p IN SELECT * FROM (VALUES
      ('entry_penalties_read', 'entry_penalties', 'FOR SELECT TO PUBLIC USING (true)'),
      ('entry_penalties_insert_computed', 'entry_penalties',
         $p$FOR INSERT TO PUBLIC WITH CHECK (status = 'computed' AND decided_by IS NULL AND decided_at IS NULL AND override_seconds IS NULL)$p$),
      ('entry_penalties_delete_computed', 'entry_penalties', $p$FOR DELETE TO PUBLIC USING (status = 'computed')$p$),
      ('stage_results_read', 'stage_results', 'FOR SELECT TO PUBLIC USING (true)'),
      ('stage_results_insert_provisional', 'stage_results',
         $p$FOR INSERT TO PUBLIC WITH CHECK (status = 'provisional' AND published_by IS NULL AND published_at IS NULL)$p$),
      ('stage_results_update_provisional', 'stage_results',
         $p$FOR UPDATE TO PUBLIC USING (status = 'provisional') WITH CHECK (status = 'provisional')$p$),
      ('stage_results_delete_provisional', 'stage_results', $p$FOR DELETE TO PUBLIC USING (status = 'provisional')$p$)
    ) AS t(name, tbl, def)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polname = p.name AND polrelid = to_regclass(p.tbl)) THEN
      EXECUTE format('CREATE POLICY %I ON %I %s', p.name, p.tbl, p.def);
    END IF;
  END LOOP;
END
$$;

-- Assert the result, loudly: each rule on its table, of its kind, on its
-- columns, with its message, deferred or not; the constraint triggers on
-- their functions; each enumeration's exact values; the exclusion on
-- GiST; row-level security and its policies; the Phase 4 hook.
DO $$
DECLARE
  want record;
  got record;
  vals text[];
  policies text;
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('penalty_formulas_key_valid', 'penalty_formulas', 'c', 'base,rule_key', false, NULL::text[]),
      ('penalty_formulas_version_valid', 'penalty_formulas', 'c', 'supersedes,version', false, NULL),
      ('penalty_formulas_bracket_valid', 'penalty_formulas', 'c', 'offence_max,offence_min', false, NULL),
      ('penalty_formulas_numbers_valid', 'penalty_formulas', 'c', 'multiplier,penalty,per,pulse_metres,pulse_seconds', false, NULL),
      ('penalty_formulas_operator_fields', 'penalty_formulas', 'c', 'base,multiplier,operator,per,pulse_metres,pulse_seconds,repeat_within,round', false, NULL),
      ('penalty_formulas_scope_valid', 'penalty_formulas', 'c', 'belongs_to_id,belongs_to_type', false, NULL),
      ('penalty_formulas_qualifier_of_type', 'penalty_formulas', 'c', 'qualifier,type', false, NULL),
      ('penalty_formulas_type_allowed', 'penalty_formulas', 'c', 'type', false,
        ARRAY['speeding', 'missed_waypoint', 'missed_control', 'late_time_control', 'early_time_control', 'min_validated_waypoints_share', 'exceeded_time_limit']),
      ('penalty_formulas_qualifier_allowed', 'penalty_formulas', 'c', 'qualifier', false,
        ARRAY['WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP', 'TC', 'CP', 'DSS', 'ASS']),
      ('penalty_formulas_belongs_to_type_allowed', 'penalty_formulas', 'c', 'belongs_to_type', false,
        ARRAY['event', 'category', 'class', 'stage', 'segment', 'speed_zone']),
      ('penalty_formulas_repeat_within_allowed', 'penalty_formulas', 'c', 'repeat_within', false, ARRAY['event', 'stage']),
      ('penalty_formulas_operator_allowed', 'penalty_formulas', 'c', 'operator', false,
        ARRAY['flat', 'per_unit_over', 'per_pulse', 'repeat_multiplier']),
      ('penalty_formulas_round_allowed', 'penalty_formulas', 'c', 'round', false, ARRAY['up', 'down']),
      ('penalty_formulas_outcome_allowed', 'penalty_formulas', 'c', 'outcome', false, ARRAY['dnf', 'excluded']),
      ('penalty_formulas_brackets_do_not_overlap', 'penalty_formulas', 'x', 'event_id,rule_key,version', false, NULL),
      ('penalty_formulas_used_not_edited', 'penalty_formulas', 't', NULL, false, NULL),
      ('penalty_formulas_supersedes_existing', 'penalty_formulas', 't', NULL, true, NULL),
      ('penalty_formulas_version_consistent', 'penalty_formulas', 't', NULL, true, NULL),
      ('penalty_formulas_belongs_to_event', 'penalty_formulas', 't', NULL, true, NULL),
      ('entry_segment_starts_once_per_segment', 'entry_segment_starts', 'u', 'entry_id,segment_id', true, NULL),
      ('entry_segment_starts_position_once', 'entry_segment_starts', 'u', 'segment_id,start_position', true, NULL),
      ('entry_segment_starts_position_valid', 'entry_segment_starts', 'c', 'start_position', false, NULL),
      ('entry_segment_starts_override_explained', 'entry_segment_starts', 'c', 'manual_override,override_by,override_reason', false, NULL),
      ('entry_segment_starts_of_entry_event', 'entry_segment_starts', 't', NULL, true, NULL),
      ('entry_crossings_one_target', 'entry_crossings', 'c', 'geofence_id,waypoint_id', false, NULL),
      ('entry_crossings_recorded_once', 'entry_crossings', 'u', 'entry_id,geofence_id,kind,ts,waypoint_id', false, NULL),
      ('entry_crossings_position_pair', 'entry_crossings', 'c', 'position_device_id,position_ts', false, NULL),
      ('entry_crossings_kind_allowed', 'entry_crossings', 'c', 'kind', false, ARRAY['entered', 'left', 'validated']),
      ('entry_crossings_of_entry_event', 'entry_crossings', 't', NULL, true, NULL),
      ('entry_penalties_offence_once', 'entry_penalties', 'u', 'entry_id,offence_key,segment_id', false, NULL),
      ('entry_penalties_seconds_valid', 'entry_penalties', 'c', 'override_seconds,seconds', false, NULL),
      ('entry_penalties_override_explained', 'entry_penalties', 'c', 'override_reason,override_seconds,status', false, NULL),
      ('entry_penalties_decision_recorded', 'entry_penalties', 'c', 'decided_at,decided_by,status', false, NULL),
      ('entry_penalties_snapshot_valid', 'entry_penalties', 'c', 'formula_snapshot,inputs', false, NULL),
      ('entry_penalties_qualifier_of_type', 'entry_penalties', 'c', 'qualifier,type', false, NULL),
      ('entry_penalties_type_allowed', 'entry_penalties', 'c', 'type', false,
        ARRAY['speeding', 'missed_waypoint', 'missed_control', 'late_time_control', 'early_time_control', 'min_validated_waypoints_share', 'exceeded_time_limit']),
      ('entry_penalties_qualifier_allowed', 'entry_penalties', 'c', 'qualifier', false,
        ARRAY['WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP', 'TC', 'CP', 'DSS', 'ASS']),
      ('entry_penalties_outcome_allowed', 'entry_penalties', 'c', 'outcome', false, ARRAY['dnf', 'excluded']),
      ('entry_penalties_status_allowed', 'entry_penalties', 'c', 'status', false, ARRAY['computed', 'confirmed', 'overridden', 'cancelled']),
      ('entry_penalties_formula_of_entry', 'entry_penalties', 't', NULL, true, NULL),
      ('stage_results_once_per_stage', 'stage_results', 'u', 'entry_id,stage_id', false, NULL),
      ('stage_results_numbers_valid', 'stage_results', 'c', 'elapsed_seconds,penalty_seconds,position_class,position_overall', false, NULL),
      ('stage_results_total_is_sum', 'stage_results', 'c', 'elapsed_seconds,penalty_seconds,total_seconds', false, NULL),
      ('stage_results_official_published', 'stage_results', 'c', 'published_at,published_by,status', false, NULL),
      ('stage_results_reopen_recorded', 'stage_results', 'c', 'reopen_reason,reopened_at,reopened_by', false, NULL),
      ('stage_results_status_allowed', 'stage_results', 'c', 'status', false, ARRAY['provisional', 'official']),
      ('stage_results_of_entry_event', 'stage_results', 't', NULL, true, NULL),
      ('stage_results_official_frozen', 'stage_results', 't', NULL, false, NULL),
      ('stage_results_reopen_allowed', 'stage_results', 't', NULL, false, NULL),
      ('stage_results_stage_not_official', 'stage_results', 't', NULL, false, NULL),
      ('entries_event_of_its_timing', 'entries', 't', NULL, true, NULL)
    ) AS t(name, tbl, kind, cols, deferred, enum_values)
  LOOP
    SELECT con.contype::text AS kind, pg_get_constraintdef(con.oid) AS def, con.condeferred,
           obj_description(con.oid, 'pg_constraint') AS message,
           (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) AS cols,
           (SELECT p.proname::text FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
             WHERE tg.tgconstraint = con.oid AND con.contype = 't') AS func
      INTO got
      FROM pg_constraint con
     WHERE con.conname = want.name AND con.conrelid = to_regclass(want.tbl);
    IF NOT FOUND THEN
      RAISE EXCEPTION '003_phase3_timing: constraint % on % is missing', want.name, want.tbl;
    END IF;
    IF got.kind <> want.kind
       OR (want.cols IS NOT NULL AND got.cols IS DISTINCT FROM want.cols)
       OR got.condeferred <> want.deferred THEN
      RAISE EXCEPTION '003_phase3_timing: constraint % on % is [%] of kind % on columns %, deferred %; expected kind % on %, deferred %',
        want.name, want.tbl, got.def, got.kind, got.cols, got.condeferred, want.kind, want.cols, want.deferred
        USING HINT = 'a constraint of that name was made by hand: drop it and rerun the file by hand, or reconcile';
    END IF;
    IF got.message IS NULL THEN
      RAISE EXCEPTION '003_phase3_timing: constraint % has no comment (the message users read)', want.name;
    END IF;
    IF want.kind = 't' AND got.func IS DISTINCT FROM 'trm_' || want.name THEN
      RAISE EXCEPTION '003_phase3_timing: constraint trigger % runs %, expected trm_%', want.name, got.func, want.name;
    END IF;
    IF want.kind = 'x' AND got.def NOT LIKE $x$EXCLUDE USING gist (event_id WITH =, rule_key WITH =, version WITH =, numrange(offence_min, offence_max, '(]'::text) WITH &&)%$x$ THEN
      RAISE EXCEPTION '003_phase3_timing: % is [%], expected the GiST exclusion on (event_id, rule_key, version, numrange(offence_min, offence_max, ''(]''))', want.name, got.def;
    END IF;
    IF want.name = 'entry_crossings_recorded_once' AND got.def NOT LIKE 'UNIQUE NULLS NOT DISTINCT %' THEN
      RAISE EXCEPTION '003_phase3_timing: % is [%], expected UNIQUE NULLS NOT DISTINCT', want.name, got.def;
    END IF;
    IF want.enum_values IS NOT NULL THEN
      SELECT array_agg(m[1] ORDER BY ord) INTO vals
        FROM regexp_matches(got.def, '''([^'']*)''', 'g') WITH ORDINALITY AS r(m, ord);
      IF vals IS DISTINCT FROM want.enum_values THEN
        RAISE EXCEPTION '003_phase3_timing: % allows %, expected %', want.name, vals, want.enum_values;
      END IF;
    END IF;
  END LOOP;

  IF (SELECT count(*) FROM pg_class WHERE oid IN ('entry_penalties'::regclass, 'stage_results'::regclass) AND relrowsecurity) <> 2 THEN
    RAISE EXCEPTION '003_phase3_timing: row-level security is not enabled on entry_penalties and stage_results';
  END IF;
  SELECT string_agg(polname, ',' ORDER BY polname) INTO policies
    FROM pg_policy WHERE polrelid IN ('entry_penalties'::regclass, 'stage_results'::regclass);
  IF policies IS DISTINCT FROM 'entry_penalties_delete_computed,entry_penalties_insert_computed,entry_penalties_read,stage_results_delete_provisional,stage_results_insert_provisional,stage_results_read,stage_results_update_provisional' THEN
    RAISE EXCEPTION '003_phase3_timing: the policies on entry_penalties and stage_results are %, not the ones this file makes', policies;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                  WHERE tg.tgname = 'entry_crossings_absorb_duplicates' AND tg.tgrelid = 'entry_crossings'::regclass
                    AND p.proname = 'trm_entry_crossings_absorb_duplicates' AND tg.tgenabled = 'O'
                    AND tg.tgtype = 7) THEN
    RAISE EXCEPTION '003_phase3_timing: the trigger entry_crossings_absorb_duplicates (BEFORE INSERT FOR EACH ROW) is missing';
  END IF;
  IF to_regprocedure('trm_may_reopen_stage_results(uuid, uuid)') IS NULL THEN
    RAISE EXCEPTION '003_phase3_timing: the Phase 4 hook trm_may_reopen_stage_results(uuid, uuid) is missing';
  END IF;
END
$$;
