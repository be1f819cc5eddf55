-- Phase 2 rules Directus cannot express (docs/data-model-phase2.md,
-- "Post-schema db-init"): the course of an event — stages, segments,
-- geofences, waypoints, speed zones — made consistent by the database.
--
-- Runs after Directus applied snapshots/schema.yaml: the tables exist.
-- Nothing here may change what Directus's snapshot shows. Directus reads
-- single-column UNIQUE/PRIMARY/FOREIGN constraints and single-column
-- non-unique indexes: every constraint here spans two or more columns or
-- is a CHECK or a constraint trigger, and every GiST index leads with the
-- parent's key (event_id, segment_id, stage_id; btree_gist), which also
-- serves the processor's queries ("the geofences of this event that
-- contain this position").
--
-- Each constraint's comment is the sentence users read when a write breaks
-- it (extensions/trm-constraint-errors). Uniqueness within a parent and the
-- cross-row rules are DEFERRABLE INITIALLY DEFERRED: checked at commit, so
-- that one transaction may renumber a segment's waypoints, or move a DZ
-- after its FZ and the FZ further, without tripping over the state in
-- between. The enumerations are lib/course's (tests/schema compares them).

DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['events', 'stages', 'segments', 'geofences', 'waypoints', 'speed_limit_zones']) AS t
   WHERE to_regclass(t) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '002_phase2_course: the tables % do not exist', missing
      USING HINT = 'post-schema db-init runs after Directus applied snapshots/schema.yaml; is the committed snapshot the Phase 2 one (tools/phase2schema)?';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')
     OR NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN
    RAISE EXCEPTION '002_phase2_course: postgis and btree_gist are needed (db-init/001_extensions.sql installs them)';
  END IF;
END
$$;

-- The cross-row rules: functions of constraint triggers. A deferred
-- trigger runs at commit, when the row may have changed again or be gone:
-- each function reads the row's current state.

CREATE OR REPLACE FUNCTION trm_stages_input_stage_earlier() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT s.code INTO bad
    FROM stages s JOIN stages i ON i.id = s.start_order_input_stage_id
   WHERE (s.id = NEW.id OR s.start_order_input_stage_id = NEW.id)
     AND i.sort_order >= s.sort_order
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'the start-order input stage of stage % is not earlier than it', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stages_input_stage_earlier',
            TABLE = 'stages', COLUMN = 'start_order_input_stage_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_segments_geofences_of_stage_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text;
  col text;
BEGIN
  SELECT sg.code,
         CASE WHEN en.event_id IS DISTINCT FROM st.event_id AND sg.entry_geofence_id IS NOT NULL
              THEN 'entry_geofence_id' ELSE 'exit_geofence_id' END
    INTO bad, col
    FROM segments sg
    JOIN stages st ON st.id = sg.stage_id
    LEFT JOIN geofences en ON en.id = sg.entry_geofence_id
    LEFT JOIN geofences ex ON ex.id = sg.exit_geofence_id
   WHERE sg.id = NEW.id
     AND ((sg.entry_geofence_id IS NOT NULL AND en.event_id IS DISTINCT FROM st.event_id)
       OR (sg.exit_geofence_id IS NOT NULL AND ex.event_id IS DISTINCT FROM st.event_id));
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'segment % uses a geofence of another event', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'segments_geofences_of_stage_event',
            TABLE = 'segments', COLUMN = col;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_geofences_event_of_its_segments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1
               FROM segments sg JOIN stages st ON st.id = sg.stage_id JOIN geofences g ON g.id = NEW.id
              WHERE (sg.entry_geofence_id = NEW.id OR sg.exit_geofence_id = NEW.id)
                AND st.event_id IS DISTINCT FROM g.event_id) THEN
    RAISE EXCEPTION 'geofence % is used by segments of another event', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'geofences_event_of_its_segments',
            TABLE = 'geofences', COLUMN = 'event_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_stages_event_of_its_geofences() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1
               FROM segments sg JOIN stages st ON st.id = sg.stage_id
               LEFT JOIN geofences en ON en.id = sg.entry_geofence_id
               LEFT JOIN geofences ex ON ex.id = sg.exit_geofence_id
              WHERE st.id = NEW.id
                AND ((sg.entry_geofence_id IS NOT NULL AND en.event_id IS DISTINCT FROM st.event_id)
                  OR (sg.exit_geofence_id IS NOT NULL AND ex.event_id IS DISTINCT FROM st.event_id))) THEN
    RAISE EXCEPTION 'stage % has segments using geofences of another event', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'stages_event_of_its_geofences',
            TABLE = 'stages', COLUMN = 'event_id';
  END IF;
  RETURN NULL;
END
$$;

-- Shared by the zone and the waypoint triggers: the zones touching a row
-- (the zone itself, or those whose DZ or FZ the waypoint is).
CREATE OR REPLACE FUNCTION trm_speed_zone_order_broken(zone_id uuid, waypoint_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT z.name
    FROM speed_limit_zones z
    JOIN waypoints dz ON dz.id = z.start_waypoint_id
    JOIN waypoints fz ON fz.id = z.end_waypoint_id
   WHERE (z.id = zone_id OR z.start_waypoint_id = waypoint_id OR z.end_waypoint_id = waypoint_id)
     AND (dz.type <> 'DZ' OR fz.type <> 'FZ' OR dz.sort_order >= fz.sort_order)
   LIMIT 1
$$;

CREATE OR REPLACE FUNCTION trm_speed_limit_zones_dz_before_fz() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text := trm_speed_zone_order_broken(NEW.id, NULL);
BEGIN
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'speed zone % does not run from a DZ to a later FZ', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'speed_limit_zones_dz_before_fz',
            TABLE = 'speed_limit_zones', COLUMN = 'start_waypoint_id';
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trm_waypoints_zone_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text := trm_speed_zone_order_broken(NULL, NEW.id);
BEGIN
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'waypoint % breaks the order of speed zone %', NEW.id, bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'waypoints_zone_order',
            TABLE = 'waypoints', COLUMN = 'sort_order';
  END IF;
  RETURN NULL;
END
$$;

-- Each rule: order (the UNIQUE targets of the composite foreign keys come
-- before them), name, table, definition (a constraint, or a constraint
-- trigger's timing and function), and the message users read.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
      (1, 'stages_code_unique_per_event', 'stages', 'UNIQUE (event_id, code) DEFERRABLE INITIALLY DEFERRED',
          'This event has a stage with this code already: a stage code is unique within its event.'),
      (2, 'stages_sort_order_unique_per_event', 'stages', 'UNIQUE (event_id, sort_order) DEFERRABLE INITIALLY DEFERRED',
          'Another stage of this event has this sort order: each stage of an event has its own place (1, 2, …).'),
      (3, 'stages_id_event_key', 'stages', 'UNIQUE (id, event_id)',
          'A stage is identified by its id and its event (the target of stages_input_stage_of_same_event).'),
      (4, 'stages_input_stage_of_same_event', 'stages',
          'FOREIGN KEY (start_order_input_stage_id, event_id) REFERENCES stages (id, event_id) DEFERRABLE INITIALLY DEFERRED',
          'The start-order input stage must be a stage of the same event.'),
      (5, 'stages_role_allowed', 'stages',
          'CHECK (role IN (''prologue'', ''stage'', ''marathon'', ''super-special''))',
          'The role must be one of prologue, stage, marathon, super-special.'),
      (6, 'stages_status_allowed', 'stages',
          'CHECK (status IN (''draft'', ''published'', ''open'', ''closed'', ''cancelled''))',
          'The status must be one of draft, published, open, closed, cancelled.'),
      (7, 'stages_start_order_strategy_allowed', 'stages',
          'CHECK (start_order_strategy IN (''manual'', ''previous_stage_clean_result'', ''inverse_top_n_then_natural'', ''inverse_of_overall''))',
          'The start-order strategy must be one of manual, previous_stage_clean_result, inverse_top_n_then_natural, inverse_of_overall.'),
      (8, 'stages_start_order_input_needed', 'stages',
          'CHECK ((start_order_strategy = ''manual'') = (start_order_input_stage_id IS NULL))',
          'A manual start order takes no input stage; every other strategy needs one: the earlier stage whose result orders this one.'),
      (9, 'stages_start_order_params_valid', 'stages',
          $c$CHECK (CASE
             WHEN start_order_strategy_params IS NULL THEN start_order_strategy <> 'inverse_top_n_then_natural'
             WHEN jsonb_typeof(start_order_strategy_params::jsonb) <> 'object' THEN false
             WHEN start_order_strategy = 'inverse_top_n_then_natural' THEN
                  start_order_strategy_params::jsonb - 'n' = '{}'::jsonb
              AND jsonb_typeof(start_order_strategy_params::jsonb -> 'n') = 'number'
              AND (start_order_strategy_params::jsonb ->> 'n')::numeric BETWEEN 1 AND 100000
              AND (start_order_strategy_params::jsonb ->> 'n')::numeric = trunc((start_order_strategy_params::jsonb ->> 'n')::numeric)
             ELSE start_order_strategy_params::jsonb = '{}'::jsonb
           END)$c$,
          'The start-order parameters must be {"n": N} with a whole N of at least 1 for inverse_top_n_then_natural (how many start in reverse order), and empty ({}) for the other strategies.'),
      (10, 'stages_start_interval_not_negative', 'stages',
          'CHECK (start_interval_seconds IS NULL OR start_interval_seconds >= 0)',
          'The start interval cannot be negative: seconds between two starters.'),
      (11, 'segments_code_unique_per_stage', 'segments', 'UNIQUE (stage_id, code) DEFERRABLE INITIALLY DEFERRED',
          'This stage has a segment with this code already: a segment code is unique within its stage.'),
      (12, 'segments_sort_order_unique_per_stage', 'segments', 'UNIQUE (stage_id, sort_order) DEFERRABLE INITIALLY DEFERRED',
          'Another segment of this stage has this sort order: each segment of a stage has its own place (1, 2, …).'),
      (13, 'segments_type_allowed', 'segments',
          'CHECK (type IN (''liaison'', ''special-stage'', ''parc-ferme'', ''neutralisation''))',
          'The segment type must be one of liaison, special-stage, parc-ferme, neutralisation.'),
      (14, 'segments_durations_valid', 'segments',
          'CHECK ((target_duration_seconds IS NULL OR target_duration_seconds > 0) AND (allowed_lateness_seconds IS NULL OR allowed_lateness_seconds >= 0))',
          'A target duration must be positive and an allowed lateness cannot be negative (both in seconds, or empty).'),
      (15, 'segments_length_not_negative', 'segments', 'CHECK (length_km IS NULL OR length_km >= 0)',
          'A segment''s length cannot be negative.'),
      (16, 'segments_route_valid', 'segments',
          'CHECK (route IS NULL OR (ST_SRID(route) = 4326 AND ST_NPoints(route) >= 2 AND ST_IsValid(route)
                  AND ST_XMin(route) >= -180 AND ST_XMax(route) <= 180 AND ST_YMin(route) >= -90 AND ST_YMax(route) <= 90))',
          'A route must be a line of at least two points in WGS 84 (SRID 4326), longitudes within ±180° and latitudes within ±90°.'),
      (17, 'geofences_name_unique_per_event', 'geofences', 'UNIQUE (event_id, name) DEFERRABLE INITIALLY DEFERRED',
          'This event has a geofence with this name already: a geofence name is unique within its event.'),
      (18, 'geofences_kind_allowed', 'geofences',
          'CHECK (kind IN (''start'', ''finish'', ''time-control'', ''checkpoint'', ''passage-control'', ''parc-ferme'', ''refuel'', ''neutralisation'', ''bivouac''))',
          'The geofence kind must be one of start, finish, time-control, checkpoint, passage-control, parc-ferme, refuel, neutralisation, bivouac.'),
      (19, 'geofences_geometry_valid', 'geofences',
          'CHECK (ST_SRID(geometry) = 4326 AND ST_IsValid(geometry) AND NOT ST_IsEmpty(geometry)
                  AND ST_XMin(geometry) >= -180 AND ST_XMax(geometry) <= 180 AND ST_YMin(geometry) >= -90 AND ST_YMax(geometry) <= 90)',
          'A geofence must be a valid polygon in WGS 84 (SRID 4326): closed rings that do not cross themselves, longitudes within ±180° and latitudes within ±90°.'),
      (20, 'waypoints_name_unique_per_segment', 'waypoints', 'UNIQUE (segment_id, name) DEFERRABLE INITIALLY DEFERRED',
          'This segment has a waypoint with this name already: a waypoint name is unique within its segment.'),
      (21, 'waypoints_sort_order_unique_per_segment', 'waypoints', 'UNIQUE (segment_id, sort_order) DEFERRABLE INITIALLY DEFERRED',
          'Another waypoint of this segment has this sort order: waypoints are validated in order, each in its own place.'),
      (22, 'waypoints_id_segment_key', 'waypoints', 'UNIQUE (id, segment_id)',
          'A waypoint is identified by its id and its segment (the target of the speed zones'' DZ and FZ).'),
      (23, 'waypoints_type_allowed', 'waypoints',
          'CHECK (type IN (''WPV'', ''WPM'', ''WPE'', ''WPS'', ''WPC'', ''WPN'', ''WPP'', ''DSS'', ''ASS'', ''DZ'', ''FZ'', ''TC'', ''CP'', ''PC'', ''SC'', ''DT'', ''FT'', ''SN'', ''FN''))',
          'The waypoint type must be one of WPV, WPM, WPE, WPS, WPC, WPN, WPP, DSS, ASS, DZ, FZ, TC, CP, PC, SC, DT, FT, SN, FN.'),
      (24, 'waypoints_location_valid', 'waypoints',
          'CHECK (ST_SRID(location) = 4326 AND NOT ST_IsEmpty(location) AND ST_X(location) BETWEEN -180 AND 180
                  AND ST_Y(location) BETWEEN -90 AND 90 AND NOT (ST_X(location) = 0 AND ST_Y(location) = 0))',
          'A waypoint''s location must be a real position in WGS 84: longitude within ±180°, latitude within ±90°, and not (0, 0), the usual sign of a missing position.'),
      (25, 'waypoints_radii_in_order', 'waypoints',
          'CHECK (tolerance_meters > 0 AND tolerance_meters <= open_radius_meters)',
          'The validation radius must be positive and not larger than the open radius (0 < tolerance_meters ≤ open_radius_meters).'),
      (26, 'waypoints_distance_not_negative', 'waypoints', 'CHECK (distance_km IS NULL OR distance_km >= 0)',
          'A roadbook distance cannot be negative.'),
      (27, 'speed_limit_zones_name_unique_per_segment', 'speed_limit_zones', 'UNIQUE (segment_id, name) DEFERRABLE INITIALLY DEFERRED',
          'This segment has a speed zone with this name already: a zone name is unique within its segment.'),
      (28, 'speed_limit_zones_dz_of_segment', 'speed_limit_zones',
          'FOREIGN KEY (start_waypoint_id, segment_id) REFERENCES waypoints (id, segment_id) ON DELETE CASCADE',
          'The DZ (start waypoint) of a speed zone must be a waypoint of the zone''s segment.'),
      (29, 'speed_limit_zones_fz_of_segment', 'speed_limit_zones',
          'FOREIGN KEY (end_waypoint_id, segment_id) REFERENCES waypoints (id, segment_id) ON DELETE CASCADE',
          'The FZ (end waypoint) of a speed zone must be a waypoint of the zone''s segment.'),
      (30, 'speed_limit_zones_area_xor_waypoints', 'speed_limit_zones',
          'CHECK ((area IS NOT NULL AND start_waypoint_id IS NULL AND end_waypoint_id IS NULL)
                  OR (area IS NULL AND start_waypoint_id IS NOT NULL AND end_waypoint_id IS NOT NULL))',
          'A speed zone is either an area or a DZ → FZ pair of waypoints: give the polygon, or both waypoints, never both and never neither.'),
      (31, 'speed_limit_zones_limit_valid', 'speed_limit_zones', 'CHECK (limit_kmh BETWEEN 1 AND 500)',
          'The speed limit must be between 1 and 500 km/h.'),
      (32, 'speed_limit_zones_area_valid', 'speed_limit_zones',
          'CHECK (area IS NULL OR (ST_SRID(area) = 4326 AND ST_IsValid(area) AND NOT ST_IsEmpty(area)
                  AND ST_XMin(area) >= -180 AND ST_XMax(area) <= 180 AND ST_YMin(area) >= -90 AND ST_YMax(area) <= 90))',
          'A speed zone''s area must be a valid polygon in WGS 84 (SRID 4326): closed rings that do not cross themselves, longitudes within ±180° and latitudes within ±90°.'),
      (33, 'stages_input_stage_earlier', 'stages',
          'trigger AFTER INSERT OR UPDATE OF sort_order, start_order_input_stage_id ON stages|trm_stages_input_stage_earlier',
          'The start-order input stage must come earlier in the event than the stage it orders (a smaller sort order).'),
      (34, 'segments_geofences_of_stage_event', 'segments',
          'trigger AFTER INSERT OR UPDATE OF stage_id, entry_geofence_id, exit_geofence_id ON segments|trm_segments_geofences_of_stage_event',
          'The entry and exit geofences of a segment must be geofences of its stage''s event.'),
      (35, 'geofences_event_of_its_segments', 'geofences',
          'trigger AFTER UPDATE OF event_id ON geofences|trm_geofences_event_of_its_segments',
          'This geofence is the entry or exit of segments of its event: it cannot move to another event while they use it.'),
      (36, 'stages_event_of_its_geofences', 'stages',
          'trigger AFTER UPDATE OF event_id ON stages|trm_stages_event_of_its_geofences',
          'The segments of this stage use geofences of its event: the stage cannot move to another event while they do.'),
      (37, 'speed_limit_zones_dz_before_fz', 'speed_limit_zones',
          'trigger AFTER INSERT OR UPDATE ON speed_limit_zones|trm_speed_limit_zones_dz_before_fz',
          'A speed zone runs from a DZ waypoint to an FZ waypoint after it (a larger sort order) in the same segment.'),
      (38, 'waypoints_zone_order', 'waypoints',
          'trigger AFTER UPDATE OF sort_order, type ON waypoints|trm_waypoints_zone_order',
          'This waypoint starts or ends a speed zone: the zone''s DZ must stay a DZ, its FZ an FZ, and the DZ must come before the FZ.')
    ) AS t(ord, name, tbl, def, message) ORDER BY ord
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = c.name AND conrelid = to_regclass(c.tbl)) THEN
      IF c.def LIKE 'trigger %' THEN
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I %s DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %I()',
                       c.name, split_part(substr(c.def, 9), '|', 1), split_part(c.def, '|', 2));
      ELSE
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.tbl, c.name, c.def);
      END IF;
    END IF;
    EXECUTE format('COMMENT ON CONSTRAINT %I ON %I IS %L', c.name, c.tbl, c.message);
  END LOOP;
END
$$;

-- GiST indexes, each led by the parent's key (see the header).
CREATE INDEX IF NOT EXISTS geofences_event_geometry_gist ON geofences USING gist (event_id, geometry);
CREATE INDEX IF NOT EXISTS speed_limit_zones_segment_area_gist ON speed_limit_zones USING gist (segment_id, area);
CREATE INDEX IF NOT EXISTS waypoints_segment_location_gist ON waypoints USING gist (segment_id, location);
CREATE INDEX IF NOT EXISTS segments_stage_route_gist ON segments USING gist (stage_id, route);

-- Assert the result, loudly: each rule on its table, of its kind, on its
-- columns, with its message; the deferrable ones deferred; the composite
-- foreign keys' targets and delete rules; the constraint triggers on their
-- functions; each enumeration's exact values; the GiST indexes.
DO $$
DECLARE
  want record;
  got record;
  vals text[];
BEGIN
  FOR want IN SELECT * FROM (VALUES
      ('stages_code_unique_per_event', 'stages', 'u', 'code,event_id', true, NULL::text[]),
      ('stages_sort_order_unique_per_event', 'stages', 'u', 'event_id,sort_order', true, NULL),
      ('stages_id_event_key', 'stages', 'u', 'event_id,id', false, NULL),
      ('stages_input_stage_of_same_event', 'stages', 'f', 'event_id,start_order_input_stage_id', true, NULL),
      ('stages_role_allowed', 'stages', 'c', 'role', false, ARRAY['prologue', 'stage', 'marathon', 'super-special']),
      ('stages_status_allowed', 'stages', 'c', 'status', false, ARRAY['draft', 'published', 'open', 'closed', 'cancelled']),
      ('stages_start_order_strategy_allowed', 'stages', 'c', 'start_order_strategy', false,
        ARRAY['manual', 'previous_stage_clean_result', 'inverse_top_n_then_natural', 'inverse_of_overall']),
      ('stages_start_order_input_needed', 'stages', 'c', 'start_order_input_stage_id,start_order_strategy', false, NULL),
      ('stages_start_order_params_valid', 'stages', 'c', 'start_order_strategy,start_order_strategy_params', false, NULL),
      ('stages_start_interval_not_negative', 'stages', 'c', 'start_interval_seconds', false, NULL),
      ('segments_code_unique_per_stage', 'segments', 'u', 'code,stage_id', true, NULL),
      ('segments_sort_order_unique_per_stage', 'segments', 'u', 'sort_order,stage_id', true, NULL),
      ('segments_type_allowed', 'segments', 'c', 'type', false, ARRAY['liaison', 'special-stage', 'parc-ferme', 'neutralisation']),
      ('segments_durations_valid', 'segments', 'c', 'allowed_lateness_seconds,target_duration_seconds', false, NULL),
      ('segments_length_not_negative', 'segments', 'c', 'length_km', false, NULL),
      ('segments_route_valid', 'segments', 'c', 'route', false, NULL),
      ('geofences_name_unique_per_event', 'geofences', 'u', 'event_id,name', true, NULL),
      ('geofences_kind_allowed', 'geofences', 'c', 'kind', false,
        ARRAY['start', 'finish', 'time-control', 'checkpoint', 'passage-control', 'parc-ferme', 'refuel', 'neutralisation', 'bivouac']),
      ('geofences_geometry_valid', 'geofences', 'c', 'geometry', false, NULL),
      ('waypoints_name_unique_per_segment', 'waypoints', 'u', 'name,segment_id', true, NULL),
      ('waypoints_sort_order_unique_per_segment', 'waypoints', 'u', 'segment_id,sort_order', true, NULL),
      ('waypoints_id_segment_key', 'waypoints', 'u', 'id,segment_id', false, NULL),
      ('waypoints_type_allowed', 'waypoints', 'c', 'type', false,
        ARRAY['WPV', 'WPM', 'WPE', 'WPS', 'WPC', 'WPN', 'WPP', 'DSS', 'ASS', 'DZ', 'FZ', 'TC', 'CP', 'PC', 'SC', 'DT', 'FT', 'SN', 'FN']),
      ('waypoints_location_valid', 'waypoints', 'c', 'location', false, NULL),
      ('waypoints_radii_in_order', 'waypoints', 'c', 'open_radius_meters,tolerance_meters', false, NULL),
      ('waypoints_distance_not_negative', 'waypoints', 'c', 'distance_km', false, NULL),
      ('speed_limit_zones_name_unique_per_segment', 'speed_limit_zones', 'u', 'name,segment_id', true, NULL),
      ('speed_limit_zones_dz_of_segment', 'speed_limit_zones', 'f', 'segment_id,start_waypoint_id', false, NULL),
      ('speed_limit_zones_fz_of_segment', 'speed_limit_zones', 'f', 'end_waypoint_id,segment_id', false, NULL),
      ('speed_limit_zones_area_xor_waypoints', 'speed_limit_zones', 'c', 'area,end_waypoint_id,start_waypoint_id', false, NULL),
      ('speed_limit_zones_limit_valid', 'speed_limit_zones', 'c', 'limit_kmh', false, NULL),
      ('speed_limit_zones_area_valid', 'speed_limit_zones', 'c', 'area', false, NULL),
      ('stages_input_stage_earlier', 'stages', 't', NULL, true, NULL),
      ('segments_geofences_of_stage_event', 'segments', 't', NULL, true, NULL),
      ('geofences_event_of_its_segments', 'geofences', 't', NULL, true, NULL),
      ('stages_event_of_its_geofences', 'stages', 't', NULL, true, NULL),
      ('speed_limit_zones_dz_before_fz', 'speed_limit_zones', 't', NULL, true, NULL),
      ('waypoints_zone_order', 'waypoints', 't', NULL, true, NULL)
    ) AS t(name, tbl, kind, cols, deferred, enum_values)
  LOOP
    SELECT con.contype::text AS kind, pg_get_constraintdef(con.oid) AS def, con.confdeltype, con.condeferred,
           obj_description(con.oid, 'pg_constraint') AS message,
           (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) AS cols,
           (SELECT p.proname::text FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
             WHERE tg.tgconstraint = con.oid AND con.contype = 't') AS func
      INTO got
      FROM pg_constraint con
     WHERE con.conname = want.name AND con.conrelid = to_regclass(want.tbl);
    IF NOT FOUND THEN
      RAISE EXCEPTION '002_phase2_course: constraint % on % is missing', want.name, want.tbl;
    END IF;
    IF got.kind <> want.kind
       OR (want.cols IS NOT NULL AND got.cols IS DISTINCT FROM want.cols)
       OR got.condeferred <> want.deferred THEN
      RAISE EXCEPTION '002_phase2_course: constraint % on % is [%] of kind % on columns %, deferred %; expected kind % on %, deferred %',
        want.name, want.tbl, got.def, got.kind, got.cols, got.condeferred, want.kind, want.cols, want.deferred
        USING HINT = 'a constraint of that name was made by hand: drop it and rerun the file by hand, or reconcile';
    END IF;
    IF got.message IS NULL THEN
      RAISE EXCEPTION '002_phase2_course: constraint % has no comment (the message users read)', want.name;
    END IF;
    IF want.kind = 't' AND got.func IS DISTINCT FROM 'trm_' || want.name THEN
      RAISE EXCEPTION '002_phase2_course: constraint trigger % runs %, expected trm_%', want.name, got.func, want.name;
    END IF;
    IF want.name = 'stages_input_stage_of_same_event' AND got.def NOT LIKE '%REFERENCES stages(id, event_id)%' THEN
      RAISE EXCEPTION '002_phase2_course: % is [%], expected a reference to stages (id, event_id)', want.name, got.def;
    END IF;
    IF want.kind = 'f' AND want.tbl = 'speed_limit_zones'
       AND (got.confdeltype <> 'c' OR got.def NOT LIKE '%REFERENCES waypoints(id, segment_id)%') THEN
      RAISE EXCEPTION '002_phase2_course: % is [%], expected a reference to waypoints (id, segment_id) ON DELETE CASCADE', want.name, got.def;
    END IF;
    IF want.enum_values IS NOT NULL THEN
      SELECT array_agg(m[1] ORDER BY ord) INTO vals
        FROM regexp_matches(got.def, '''([^'']*)''', 'g') WITH ORDINALITY AS r(m, ord);
      IF vals IS DISTINCT FROM want.enum_values THEN
        RAISE EXCEPTION '002_phase2_course: % allows %, expected %', want.name, vals, want.enum_values;
      END IF;
    END IF;
  END LOOP;

  FOR want IN SELECT * FROM (VALUES
      ('geofences_event_geometry_gist', 'geofences', 'event_id,geometry'),
      ('speed_limit_zones_segment_area_gist', 'speed_limit_zones', 'segment_id,area'),
      ('waypoints_segment_location_gist', 'waypoints', 'segment_id,location'),
      ('segments_stage_route_gist', 'segments', 'stage_id,route')
    ) AS t(name, tbl, cols)
  LOOP
    SELECT am.amname::text AS method, ix.indrelid,
           (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS cols
      INTO got
      FROM pg_class c JOIN pg_index ix ON ix.indexrelid = c.oid JOIN pg_am am ON am.oid = c.relam
     WHERE c.oid = to_regclass(want.name);
    IF NOT FOUND OR got.method <> 'gist' OR got.indrelid <> to_regclass(want.tbl) OR got.cols <> want.cols THEN
      RAISE EXCEPTION '002_phase2_course: index % is missing or not a GiST index of % on (%)', want.name, want.tbl, want.cols;
    END IF;
  END LOOP;
END
$$;
