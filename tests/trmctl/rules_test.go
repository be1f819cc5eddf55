package trmctl

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// rulesDigest is a fingerprint of every formula row and the event's
// rulebook marker, so that "nothing changed" is proven row for row.
func rulesDigest(t *testing.T, ctx context.Context, db *pgx.Conn) string {
	t.Helper()
	var d string
	if err := db.QueryRow(ctx, `SELECT coalesce((SELECT md5(string_agg(f::text, '|' ORDER BY f.id)) FROM penalty_formulas f), 'empty')
		|| ' ' || (SELECT string_agg(slug || ':' || rules_placeholder || ':' || coalesce(rules_note, ''), ',' ORDER BY slug) FROM events)`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// rulesJSON is the documented --json shape of rules import.
type rulesJSON struct {
	Event struct {
		ID, Slug, Organization, Name string
	} `json:"event"`
	File     string `json:"file"`
	DryRun   bool   `json:"dry_run"`
	Applied  bool   `json:"applied"`
	Rulebook struct {
		Changed     bool `json:"changed"`
		Placeholder struct {
			Old bool `json:"old"`
			New bool `json:"new"`
		} `json:"placeholder"`
		Note struct {
			Old string `json:"old"`
			New string `json:"new"`
		} `json:"note"`
	} `json:"rulebook"`
	Summary struct {
		Add      int `json:"add"`
		Change   int `json:"change"`
		Retire   int `json:"retire"`
		Formulas int `json:"formulas"`
	} `json:"summary"`
	Changes []struct {
		Action      string `json:"action"`
		Key         string `json:"key"`
		FromVersion int    `json:"from_version"`
		ToVersion   int    `json:"to_version"`
		Fields      []struct {
			Field, Old, New string
		} `json:"fields"`
	} `json:"changes"`
	DurationMS *float64 `json:"duration_ms"`
}

func decodeRulesJSON(t *testing.T, out string) rulesJSON {
	t.Helper()
	var got rulesJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	return got
}

// One Directus serves the whole scenario: each start costs seconds.
func TestRulesImportAndExportAgainstAProvisionedDirectus(t *testing.T) {
	dbURL := pg.New(t)
	inst := testdirectus.StartProvisioned(t, dbURL, testdirectus.WithEnv("EXTENSIONS_PATH="+testenv.Path(t, "extensions")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	env := map[string]string{"TRM_DIRECTUS_TOKEN": inst.Token, "TRM_DIRECTUS_URL": inst.URL}
	for _, args := range [][]string{
		{"seed", "apply", testenv.Path(t, "seed/rally-albania-2026/seed.yaml")},
		{"course", "import", "--event", "rally-albania-2026", testenv.Path(t, "seed/rally-albania-2026/roadbook.gpx")},
	} {
		if code, out, errOut := trmctl(t, env, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	placeholder := testenv.Path(t, "seed/rally-albania-2026/rules.yaml")
	placeholderBytes, err := os.ReadFile(placeholder)
	if err != nil {
		t.Fatal(err)
	}
	importArgs := func(file string, more ...string) []string {
		return append([]string{"rules", "import", "--event", "rally-albania-2026", file}, more...)
	}
	dir := t.TempDir()

	t.Run("bad input is refused with the problem and its line, and nothing changes", func(t *testing.T) {
		before := rulesDigest(t, ctx, db)
		overlap := strings.Replace(string(placeholderBytes), "{above: 20, up_to: 40, per_pulse: 2m}", "{above: 15, up_to: 40, per_pulse: 2m}", 1)
		for _, c := range []struct {
			name, content string
			code          int
			words         []string
		}{
			{"not YAML", "event: [\n", 1, []string{"is not a rulebook"}},
			{"an unknown key", "event: rally-albania-2026\nrules:\n  - {key: a, type: speeding, penalty: 1m}\n", 1, []string{"is not a rulebook", ":3:", "penalty"}},
			{"overlapping brackets", overlap, 1, []string{"rule speeding, bracket", "overlap", "fix the file; nothing was changed"}},
			{"an unknown type", "event: rally-albania-2026\nrules:\n  - key: litter\n    type: littering\n    brackets:\n      - {above: 0, flat: 1m}\n", 1, []string{":3:", "rule litter", `unknown type "littering"`}},
			{"a class the event does not have", "event: rally-albania-2026\nrules:\n  - key: late-z\n    type: late_time_control\n    scope: {class: Z-9}\n    brackets:\n      - {above: 0s, flat: 1m}\n", 1,
				[]string{`belongs to class "Z-9", which the event does not have`, "C-1", "nothing was changed"}},
			{"a speed zone the event does not have", "event: rally-albania-2026\nrules:\n  - key: zone\n    type: speeding\n    scope: {speed_zone: S1/SS1/Nowhere}\n    pulse: {seconds: 10}\n    brackets:\n      - {above: 0, per_pulse: 1m}\n", 1,
				[]string{`speed_zone "S1/SS1/Nowhere"`, "S1/L1/DZ1–FZ1"}},
			{"more decimals than the table keeps", "event: rally-albania-2026\nrules:\n  - key: fast\n    type: speeding\n    pulse: {seconds: 10}\n    brackets:\n      - {above: 0.1234567, per_pulse: 1m}\n", 1,
				[]string{"more than 6 decimals"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "rules.yaml", c.content))...)
				if code != c.code {
					t.Fatalf("exit %d, want %d\n%s\n%s", code, c.code, out, errOut)
				}
				for _, w := range c.words {
					if !strings.Contains(errOut, w) {
						t.Errorf("stderr does not say %q:\n%s", w, errOut)
					}
				}
			})
		}
		if code, _, errOut := trmctl(t, env, "rules", "import", "--event", "rally-albania-2027", placeholder); code != 2 || !strings.Contains(errOut, "the file is the rulebook of rally-albania-2026") {
			t.Errorf("--event of another event: exit %d\n%s", code, errOut)
		}
		if code, _, errOut := trmctl(t, env, "rules", "export"); code != 2 || !strings.Contains(errOut, "--event is required") {
			t.Errorf("export without --event: exit %d\n%s", code, errOut)
		}
		if code, _, errOut := trmctl(t, env, "rules", "export", "--event", "rally-albania-2026"); code != 1 || !strings.Contains(errOut, "has no rules in Directus") {
			t.Errorf("export before any import: exit %d\n%s", code, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != before {
			t.Errorf("the rules changed:\n%s\n%s", before, after)
		}
	})

	var afterImport string
	t.Run("the placeholder rulebook imports as version 1 of every rule, marked placeholder; a dry run before changes nothing", func(t *testing.T) {
		before := rulesDigest(t, ctx, db)
		code, out, errOut := trmctl(t, env, importArgs(placeholder, "--dry-run")...)
		if code != 0 || !strings.Contains(out, "Dry run: 17 added, 0 changed, 0 retired: 22 new formula rows; nothing was changed") ||
			!strings.Contains(out, "placeholder false → true") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != before {
			t.Fatal("the dry run wrote")
		}
		code, out, errOut = trmctl(t, env, importArgs(placeholder, "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		got := decodeRulesJSON(t, out)
		if !got.Applied || got.Summary.Add != 17 || got.Summary.Formulas != 22 || len(got.Changes) != 17 || got.Changes[0].Action != "add" ||
			got.Changes[0].ToVersion != 1 || !got.Rulebook.Changed || !got.Rulebook.Placeholder.New || got.Rulebook.Placeholder.Old ||
			!strings.HasPrefix(got.Rulebook.Note.New, "PLACEHOLDER") || got.Event.Slug != "rally-albania-2026" || got.DurationMS == nil {
			t.Errorf("--json %+v", got)
		}
		var rows, versions int
		var marked bool
		if err := db.QueryRow(ctx, `SELECT count(*), max(version), bool_and(e.rules_placeholder) FROM penalty_formulas f JOIN events e ON e.id = f.event_id`).
			Scan(&rows, &versions, &marked); err != nil || rows != 22 || versions != 1 || !marked {
			t.Errorf("%d rows, versions up to %d, placeholder %v (%v); want 22 rows of version 1 of an event marked placeholder", rows, versions, marked, err)
		}
		if strings.Contains(out+errOut, inst.Token) {
			t.Error("the token was printed")
		}
		afterImport = rulesDigest(t, ctx, db)
	})

	t.Run("importing the placeholder again changes nothing and says so", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, importArgs(placeholder)...)
		if code != 0 || !strings.Contains(out, "No changes: the rules of rally-albania-2026 already match") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut = trmctl(t, env, importArgs(placeholder, "--json")...)
		got := decodeRulesJSON(t, out)
		if code != 0 || got.Applied || len(got.Changes) != 0 || got.Changes == nil || got.Rulebook.Changed || got.Summary.Formulas != 0 {
			t.Errorf("exit %d: --json %+v\n%s", code, got, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != afterImport {
			t.Error("a no-op import changed rows")
		}
	})

	var exported string
	t.Run("export writes the rules with their versions, and importing the export changes nothing", func(t *testing.T) {
		code, out, errOut := trmctl(t, env, "rules", "export", "--event", "rally-albania-2026")
		if code != 0 || !strings.Contains(errOut, "17 rules, 22 brackets") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, w := range []string{"event: rally-albania-2026\nplaceholder: true\n", "  - key: speeding\n    version: 1\n", "{above: 40, per_pulse: 3m}"} {
			if !strings.Contains(out, w) {
				t.Errorf("the export lacks %q:\n%s", w, out)
			}
		}
		exported = filepath.Join(dir, "exported.yaml")
		if err := os.WriteFile(exported, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut = trmctl(t, env, importArgs(exported)...)
		if code != 0 || !strings.Contains(out, "No changes") {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != afterImport {
			t.Error("importing the export changed rows")
		}
	})

	t.Run("the regulations replace the placeholder: new versions, a retirement, the marker removed; old rows stay", func(t *testing.T) {
		regs := strings.Replace(string(placeholderBytes), "placeholder: true\n", "", 1)
		regs = strings.Replace(regs, "{above: 40, per_pulse: 3m}", "{above: 40, per_pulse: 5m}", 1)
		start := strings.Index(regs, "  - key: missed-wpp")
		end := strings.Index(regs, "  # Fewer than 70 %")
		regs = regs[:start] + regs[end:]
		regs += "  - key: late-time-control-moto\n    type: late_time_control\n    scope: {category: moto}\n    brackets:\n      - {above: 0s, per_unit_over: 30s, per: 1m}\n" +
			"  - key: speeding-kavaje\n    type: speeding\n    scope: {speed_zone: S1/L1/DZ1–FZ1}\n    pulse: {seconds: 10, metres: 150}\n    brackets:\n      - {above: 0, per_pulse: 2m}\n"
		code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "regs.yaml", regs), "--json")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		got := decodeRulesJSON(t, out)
		var lines []string
		for _, c := range got.Changes {
			var fields []string
			for _, f := range c.Fields {
				fields = append(fields, f.Field+" "+f.Old+" → "+f.New)
			}
			lines = append(lines, c.Action+" "+c.Key+" "+strings.Join(fields, ", "))
		}
		want := "change speeding brackets[3].per_pulse 3m → 5m|add late-time-control-moto |add speeding-kavaje |retire missed-wpp enabled true → false"
		if strings.Join(lines, "|") != want || !got.Applied || got.Rulebook.Placeholder.New || !got.Rulebook.Changed {
			t.Errorf("changes %q (applied %v, rulebook %+v), want %q", lines, got.Applied, got.Rulebook, want)
		}
		var rows, speeding int
		var zone string
		if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM penalty_formulas), (SELECT count(*) FROM penalty_formulas WHERE rule_key = 'speeding'),
			(SELECT z.name FROM penalty_formulas f JOIN speed_limit_zones z ON z.id::text = f.belongs_to_id WHERE f.rule_key = 'speeding-kavaje')`).
			Scan(&rows, &speeding, &zone); err != nil || rows != 22+3+1+1+1 || speeding != 6 || zone != "DZ1–FZ1" {
			t.Errorf("%d rows (speeding %d), the zone rule on %q: %v; want 28 rows, speeding 6, DZ1–FZ1", rows, speeding, zone, err)
		}
		// The export of that state round-trips, and an old export is now a
		// conflict.
		code, out, errOut = trmctl(t, env, "rules", "export", "--event", "rally-albania-2026")
		if code != 0 || strings.Contains(out, "placeholder: true") || !strings.Contains(out, "speed_zone: S1/L1/DZ1–FZ1") || !strings.Contains(out, "key: missed-wpp\n    version: 2\n") || !strings.Contains(out, "enabled: false") {
			t.Errorf("export: exit %d\n%s\n%s", code, out, errOut)
		}
		before := rulesDigest(t, ctx, db)
		if code, out, errOut := trmctl(t, env, importArgs(writeTemp(t, "again.yaml", out))...); code != 0 || !strings.Contains(out, "No changes") {
			t.Errorf("re-import of the export: exit %d\n%s\n%s", code, out, errOut)
		}
		code, _, errOut = trmctl(t, env, importArgs(exported)...)
		if code != 1 || !strings.Contains(errOut, "the file was made from version 1 but version 2 is stored") || !strings.Contains(errOut, "export again") {
			t.Errorf("an export older than the store: exit %d\n%s", code, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != before {
			t.Error("a refused import changed rows")
		}
	})

	t.Run("all or nothing: a refusal after the new rows were inserted leaves none of them", func(t *testing.T) {
		// A user who may add formulas but not change the event: the
		// endpoint inserts the new versions, then Directus refuses the
		// rulebook's marker on the event, and the transaction takes the
		// rows back with it.
		admin := inst.Client()
		pol, err := admin.CreatePolicy(ctx, directusctl.Policy{Name: "rules writer", AppAccess: false})
		if err != nil {
			t.Fatal(err)
		}
		var perms []directusctl.Permission
		for _, coll := range []string{"organizations", "events", "classes", "stages", "segments", "speed_limit_zones", "penalty_formulas"} {
			perms = append(perms, directusctl.Permission{Policy: pol.ID, Collection: coll, Action: directusctl.ActionRead, Fields: []string{"*"}})
		}
		perms = append(perms, directusctl.Permission{Policy: pol.ID, Collection: "penalty_formulas", Action: directusctl.ActionCreate, Fields: []string{"*"}})
		if err := admin.CreatePermissions(ctx, perms); err != nil {
			t.Fatal(err)
		}
		var user struct {
			ID string `json:"id"`
		}
		if err := admin.Do(ctx, http.MethodPost, "/users", nil, map[string]any{"email": "rules-writer@example.com", "token": "rules-writer-token"}, &user); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateAccess(ctx, directusctl.Access{User: user.ID, Policy: pol.ID}); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := trmctl(t, env, "rules", "export", "--event", "rally-albania-2026")
		if code != 0 {
			t.Fatalf("export: exit %d\n%s", code, errOut)
		}
		file := strings.Replace(out, "event: rally-albania-2026\n", "event: rally-albania-2026\nplaceholder: true\n", 1)
		file = strings.Replace(file, "{above: 40, per_pulse: 5m}", "{above: 40, per_pulse: 6m}", 1)
		before := rulesDigest(t, ctx, db)
		writer := map[string]string{"TRM_DIRECTUS_TOKEN": "rules-writer-token", "TRM_DIRECTUS_URL": inst.URL}
		code, out, errOut = trmctl(t, writer, importArgs(writeTemp(t, "refused.yaml", file))...)
		if code != 1 || !strings.Contains(errOut, "the import was refused, and nothing was changed") || !strings.Contains(errOut, "403") ||
			!strings.Contains(out, "speeding  v2 → v3") {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
		if after := rulesDigest(t, ctx, db); after != before {
			t.Error("a refused import left rows behind")
		}
		// Without the marker's change, the same user's import goes through.
		file = strings.Replace(file, "placeholder: true\n", "", 1)
		if code, out, errOut := trmctl(t, writer, importArgs(writeTemp(t, "allowed.yaml", file))...); code != 0 || !strings.Contains(out, "Applied: 0 added, 1 changed, 0 retired: 3 new formula rows") {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
}
