package schema

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// processorRole is the processor's login role this test provisions: a
// name of its own per run (roles belong to the whole server, which other
// test databases may share) and a password.
type processorRole struct{ user, password string }

func newProcessorRole() processorRole {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return processorRole{user: "trm_processor_" + hex.EncodeToString(b), password: "Pw-" + hex.EncodeToString(b) + "-proc"}
}

func (r processorRole) env() []string {
	return []string{"TRM_PROCESSOR_DB_USER=" + r.user, "TRM_PROCESSOR_DB_PASSWORD=" + r.password}
}

// url is dbURL as the processor connects: its role and password.
func (r processorRole) url(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(r.user, r.password)
	return u.String()
}

// The processor's role, connected as the processor connects, runs each
// statement it needs and is refused each one it must not run: it reads
// the course, the entries with their devices, the formulas and the
// positions; writes crossings, computed penalties and provisional
// results; reaches no Directus system table, cannot flag a position
// faulty, and cannot touch a decided penalty or an official result.
func (a *api) processorRoleMatrix(t *testing.T, dbURL string, role processorRole) {
	f := a.timingFixture(t)
	admin := connect(t, dbURL)
	var stored, login string
	var super, inherit bool
	if err := admin.QueryRow(ctx, `SELECT coalesce(rolpassword, ''), rolcanlogin::text, rolsuper, rolinherit FROM pg_authid WHERE rolname = $1`, role.user).
		Scan(&stored, &login, &super, &inherit); err != nil {
		t.Fatalf("the processor's role %s: %v", role.user, err)
	}
	if !strings.HasPrefix(stored, "SCRAM-SHA-256$4096:") || strings.Contains(stored, role.password) || login != "true" || super || inherit {
		t.Errorf("role %s: password %.20q…, login %s, superuser %v, inherit %v; want a SCRAM verifier, login, no superuser, no inherit", role.user, stored, login, super, inherit)
	}

	// What the processor works on: a position, a decided penalty, an
	// official result of another stage.
	if _, err := admin.Exec(ctx, `INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, priority, codec, attributes)
		VALUES ('356307042441013', '2026-06-07T10:00:00Z', 41.0, 19.8, 100, 90, 80, 9, 0, '8E', '{}')`); err != nil {
		t.Fatal(err)
	}
	overridden := a.create(t, "entry_penalties", a.penalty(f, f.speeding, "decided", map[string]any{
		"status": "overridden", "override_seconds": 0, "override_reason": "marshal's report"}))
	official := a.create(t, "stage_results", map[string]any{"entry_id": f.entry, "stage_id": f.p, "elapsed_seconds": 100, "penalty_seconds": 0, "total_seconds": 100})
	if err := a.c.UpdateItem(ctx, "stage_results", official, map[string]any{"status": "official"}, nil); err != nil {
		t.Fatal(err)
	}

	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proc, err := pgx.Connect(c, role.url(t, dbURL))
	if err != nil {
		t.Fatalf("connecting as %s: %v", role.user, err)
	}
	defer proc.Close(context.Background())

	ts := time.Date(2026, 6, 7, 10, 0, 0, 0, time.UTC)
	penaltyInsert := `INSERT INTO entry_penalties (id, entry_id, segment_id, type, offence_key, formula_id, formula_snapshot, inputs, seconds, status)
		VALUES (gen_random_uuid(), $1, $2, 'speeding', $3, $4, '{"rule_key": "speeding"}', '{"value": 12}', 60, $5)`
	allowed := []struct {
		name, sql string
		args      []any
		rows      int64 // -1: any
	}{
		{"read events", `SELECT * FROM events`, nil, -1},
		{"read classes", `SELECT * FROM classes`, nil, -1},
		{"read entries", `SELECT * FROM entries`, nil, -1},
		{"read entry devices", `SELECT * FROM entry_devices`, nil, -1},
		{"read devices", `SELECT * FROM devices`, nil, -1},
		{"read stages", `SELECT * FROM stages`, nil, -1},
		{"read segments", `SELECT * FROM segments`, nil, -1},
		{"read geofences", `SELECT * FROM geofences`, nil, -1},
		{"read waypoints", `SELECT * FROM waypoints`, nil, -1},
		{"read speed zones", `SELECT * FROM speed_limit_zones`, nil, -1},
		{"read formulas", `SELECT * FROM penalty_formulas`, nil, -1},
		{"read starts", `SELECT * FROM entry_segment_starts`, nil, -1},
		{"read control closing times (db-init/post/007)", `SELECT * FROM control_closing_times`, nil, -1},
		{"read positions that are not faulty", `SELECT * FROM positions WHERE faulty = false`, nil, -1},
		{"read crossings, penalties and results", `SELECT (SELECT count(*) FROM entry_crossings) + (SELECT count(*) FROM entry_penalties) + (SELECT count(*) FROM stage_results)`, nil, -1},
		{"record a crossing", `INSERT INTO entry_crossings (id, entry_id, geofence_id, ts, kind, position_device_id, position_ts)
			VALUES (gen_random_uuid(), $1, $2, $3, 'entered', '356307042441013', $3) ON CONFLICT DO NOTHING`, []any{f.entry, f.geofence, ts}, 1},
		{"replay it: nothing new", `INSERT INTO entry_crossings (id, entry_id, geofence_id, ts, kind, position_device_id, position_ts)
			VALUES (gen_random_uuid(), $1, $2, $3, 'entered', '356307042441013', $3) ON CONFLICT DO NOTHING`, []any{f.entry, f.geofence, ts}, 0},
		{"record a validation", `INSERT INTO entry_crossings (id, entry_id, waypoint_id, ts, kind) VALUES (gen_random_uuid(), $1, $2, $3, 'validated')`,
			[]any{f.entry, f.wp, ts.Add(time.Minute)}, 1},
		{"delete a crossing (a retroactive replay)", `DELETE FROM entry_crossings WHERE entry_id = $1 AND kind = 'validated'`, []any{f.entry}, 1},
		{"insert a computed penalty", penaltyInsert, []any{f.entry, f.ss1, "zone1@10:00", f.speeding, "computed"}, 1},
		// The recompute of a segment: the computed penalties go, the new
		// ones come; the decided one stays and its offence is skipped.
		{"recompute: delete the segment's computed penalties", `DELETE FROM entry_penalties WHERE entry_id = $1 AND segment_id = $2 AND status = 'computed'`, []any{f.entry, f.ss1}, 1},
		{"recompute: insert the new ones", penaltyInsert + ` ON CONFLICT (entry_id, segment_id, offence_key) DO NOTHING`, []any{f.entry, f.ss1, "zone1@10:00", f.speeding, "computed"}, 1},
		{"recompute: a decided offence is skipped", penaltyInsert + ` ON CONFLICT (entry_id, segment_id, offence_key) DO NOTHING`, []any{f.entry, f.ss1, "decided", f.speeding, "computed"}, 0},
		{"write a provisional result", `INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds, position_overall, status)
			VALUES (gen_random_uuid(), $1, $2, 3600, 60, 3660, 1, 'provisional')
			ON CONFLICT (stage_id, entry_id) DO UPDATE SET elapsed_seconds = EXCLUDED.elapsed_seconds, penalty_seconds = EXCLUDED.penalty_seconds,
			  total_seconds = EXCLUDED.total_seconds, position_overall = EXCLUDED.position_overall`, []any{f.entry, f.s1}, 1},
		{"write it again (upsert)", `INSERT INTO stage_results (id, entry_id, stage_id, elapsed_seconds, penalty_seconds, total_seconds, status)
			VALUES (gen_random_uuid(), $1, $2, 3500, 60, 3560, 'provisional')
			ON CONFLICT (stage_id, entry_id) DO UPDATE SET elapsed_seconds = EXCLUDED.elapsed_seconds, total_seconds = EXCLUDED.total_seconds`, []any{f.entry, f.s1}, 1},
		{"update a provisional result's positions", `UPDATE stage_results SET position_overall = 2, position_class = 1 WHERE stage_id = $1 AND entry_id = $2`, []any{f.s1, f.entry}, 1},
	}
	for _, s := range allowed {
		tag, err := proc.Exec(c, s.sql, s.args...)
		switch {
		case err != nil:
			t.Errorf("allowed: %s: %v", s.name, err)
		case s.rows >= 0 && tag.RowsAffected() != s.rows:
			t.Errorf("allowed: %s: %d rows, want %d", s.name, tag.RowsAffected(), s.rows)
		}
	}

	refused := []struct{ name, sql string }{
		{"read Directus's users", `SELECT * FROM directus_users`},
		{"read Directus's settings", `SELECT * FROM directus_settings`},
		{"read Directus's permissions", `SELECT * FROM directus_permissions`},
		{"read Directus's sessions", `SELECT * FROM directus_sessions`},
		{"read the db-init ledger", `SELECT * FROM migrations_applied`},
		{"read the boot state", `SELECT * FROM trm_boot_state`},
		{"read organizations", `SELECT * FROM organizations`},
		{"read crews (people)", `SELECT * FROM entry_crew`},
		{"flag a position faulty", `UPDATE positions SET faulty = true`},
		{"write a position", `INSERT INTO positions (device_id, ts, latitude, longitude, altitude, angle, speed, satellites, priority, codec, attributes)
			VALUES ('1', now(), 0, 0, 0, 0, 0, 0, 0, '8E', '{}')`},
		{"delete positions", `DELETE FROM positions`},
		{"change a formula", `UPDATE penalty_formulas SET penalty = 0`},
		{"add a formula", `INSERT INTO penalty_formulas (id, event_id, rule_key, version, supersedes, type, belongs_to_type, offence_min, operator, penalty)
			SELECT gen_random_uuid(), event_id, 'x', 1, 0, 'speeding', 'event', 0, 'flat', 0 FROM entries LIMIT 1`},
		{"change a start", `UPDATE entry_segment_starts SET start_position = 1`},
		{"add a start", `INSERT INTO entry_segment_starts (id, entry_id, segment_id, start_position) SELECT gen_random_uuid(), id, id, 1 FROM entries LIMIT 1`},
		{"change a crossing", `UPDATE entry_crossings SET kind = 'left'`},
		{"change a closing time (computed by extensions/trm)", `UPDATE control_closing_times SET allowed_lateness_seconds = 0`},
		{"delete closing times", `DELETE FROM control_closing_times`},
		{"change a penalty", `UPDATE entry_penalties SET seconds = 0`},
		{"insert a confirmed penalty", strings.Replace(penaltyInsert, "$5", "'confirmed'", 1)},
		{"insert a penalty with a decider", `INSERT INTO entry_penalties (id, entry_id, segment_id, type, offence_key, formula_id, formula_snapshot, inputs, seconds, decided_by)
			SELECT gen_random_uuid(), entry_id, segment_id, type, 'x', formula_id, formula_snapshot, inputs, 0, NULL FROM entry_penalties LIMIT 1`},
		{"publish a result", `UPDATE stage_results SET status = 'official'`},
		{"name a publisher", `UPDATE stage_results SET published_by = NULL`},
		{"empty the crossings", `TRUNCATE entry_crossings`},
		{"create a table", `CREATE TABLE processor_scratch (x int)`},
		{"make itself the owner", `SET ROLE postgres`},
		{"sync its own role", `SELECT trm_processor_role_sync('` + role.user + `', 'x')`},
		{"change the course", `UPDATE segments SET name = 'x'`},
		{"change an entry", `UPDATE entries SET race_number = 1`},
	}
	for _, s := range refused {
		args := []any{}
		if strings.Contains(s.sql, "$4") {
			args = []any{f.entry, f.ss1, "o-refused", f.speeding}
		}
		_, err := proc.Exec(c, s.sql, args...)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("refused: %s: %v, want insufficient privilege (42501)", s.name, err)
		}
	}
	// An official insert is refused by row-level security (42501 too).
	if _, err := proc.Exec(c, `INSERT INTO stage_results (id, entry_id, stage_id, penalty_seconds, status) VALUES (gen_random_uuid(), $1, $2, 0, 'official')`,
		f.entry2, f.s1); !isInsufficientPrivilege(err) {
		t.Errorf("refused: insert an official result: %v", err)
	}

	// What row-level security hides rather than refuses: a decided
	// penalty and an official result are out of the processor's reach.
	for _, s := range []struct{ name, sql, id string }{
		{"delete a decided penalty", `DELETE FROM entry_penalties WHERE id = $1`, overridden},
		{"change an official result", `UPDATE stage_results SET elapsed_seconds = 1, total_seconds = 1 WHERE id = $1`, official},
		{"delete an official result", `DELETE FROM stage_results WHERE id = $1`, official},
	} {
		tag, err := proc.Exec(c, s.sql, s.id)
		if err != nil || tag.RowsAffected() != 0 {
			t.Errorf("out of reach: %s: %v, %d rows", s.name, err, tag.RowsAffected())
		}
	}
	var status string
	var seconds, elapsed int
	if err := admin.QueryRow(ctx, `SELECT p.status, p.override_seconds, r.elapsed_seconds FROM entry_penalties p, stage_results r WHERE p.id = $1 AND r.id = $2`,
		overridden, official).Scan(&status, &seconds, &elapsed); err != nil || status != "overridden" || seconds != 0 || elapsed != 100 {
		t.Errorf("after the processor: the decided penalty %s (%d s), the official result %d s: %v", status, seconds, elapsed, err)
	}
	var penalties int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM entry_penalties WHERE entry_id = $1 AND segment_id = $2`, f.entry, f.ss1).Scan(&penalties); err != nil || penalties != 2 {
		t.Errorf("after the recompute: %d penalties (the decided one and the recomputed one), want 2: %v", penalties, err)
	}
}

func isInsufficientPrivilege(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501"
}
