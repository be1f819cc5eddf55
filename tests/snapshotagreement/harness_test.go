package agreement

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var pg *testdb.Server

// TestMain is testdb.Main, plus stopping the benchmarks' shared Directus
// before the database server goes away.
func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := testdb.Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		os.Exit(1)
	}
	pg = s
	code := m.Run()
	if err := stopBenchFixture(); err != nil {
		fmt.Fprintf(os.Stderr, "benchmark fixture: %v\n", err)
		code = max(code, 1)
	}
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: stop %s server: %v\n", s.Kind, err)
	}
	os.Exit(code)
}

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.CorpusDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// enablePostGIS installs PostGIS in a fresh database: Directus does not,
// and geometry fields need it.
func enablePostGIS(t testing.TB, dbURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		t.Fatalf("PostGIS: %v (the test database server needs the postgis extension)", err)
	}
}

// writeTemp writes data to a file in a test's temporary folder.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// serveApplied bootstraps a fresh database, applies first through the
// Directus CLI (as the entrypoint does) and starts a server on it.
func serveApplied(t *testing.T, first []byte) *testdirectus.Instance {
	t.Helper()
	inst, _ := serveAppliedURL(t, first)
	return inst
}

// serveAppliedURL is serveApplied, also returning the database's URL.
func serveAppliedURL(t *testing.T, first []byte) (*testdirectus.Instance, string) {
	t.Helper()
	dbURL := pg.New(t)
	enablePostGIS(t, dbURL)
	cli := testdirectus.CLI(testdirectus.Env(dbURL, 8055))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := cli.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Apply(ctx, writeTemp(t, "first.yaml", first)); err != nil {
		t.Fatalf("directus schema apply of the first snapshot: %v", err)
	}
	return testdirectus.Start(t, dbURL, testdirectus.WithoutBootstrap()), dbURL
}

// liveSnapshot is GET /schema/snapshot: the schema as Directus sees it,
// which is what its diff starts from.
func liveSnapshot(t testing.TB, c *directusctl.Client) *snapshot.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Parse("GET /schema/snapshot", raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// directusDiff posts a snapshot file, as it is, to POST /schema/diff?force
// (YAML or JSON, as the file is: Directus parses it itself). nil means no
// difference.
func directusDiff(t testing.TB, inst *testdirectus.Instance, doc []byte) *directusctl.SchemaDiff {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	ct, name := "application/yaml", "schema.yaml"
	if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '{' {
		ct, name = "application/json", "schema.json"
	}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", ct)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(doc); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inst.URL+"/schema/diff?"+url.Values{"force": {"true"}}.Encode(), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+inst.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusOK:
	default:
		t.Fatalf("POST /schema/diff: HTTP %d: %.2000s", resp.StatusCode, b)
	}
	var env struct{ Data directusctl.SchemaDiff }
	if err := json.Unmarshal(b, &env); err != nil || env.Data.Hash == "" {
		t.Fatalf("POST /schema/diff: not a diff (%v): %.500s", err, b)
	}
	return &env.Data
}

// A change as both sides can name it: "kind op key".
type changeSet map[string]bool

func (s changeSet) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func item(kind snapshot.Kind, op snapshot.Op, key snapshot.Key) string {
	return fmt.Sprintf("%s %s %s", kind, op, key)
}

// deepDiffRecord is one record of Directus's diff (the deep-diff library's
// format).
type deepDiffRecord struct {
	Kind string `json:"kind"`
	Path []any  `json:"path"`
}

// directusChanges reads Directus's diff: each entry is one object, and its
// first record says what happens to it. A record without a path is the
// whole object appearing (N: create) or disappearing (D: delete); a record
// with a path changes something inside it (update), whatever its kind.
//
// It also returns the collections and relations whose first record is a
// deletion inside them: Directus 11 applies those as deletes
// (directus/directus#27877).
func directusChanges(t testing.TB, d *directusctl.SchemaDiff) (changes, deletesOnUpdate changeSet) {
	t.Helper()
	out, dou := changeSet{}, changeSet{}
	if d == nil {
		return out, dou
	}
	var parts map[string][]struct {
		Collection string           `json:"collection"`
		Field      string           `json:"field"`
		Diff       []deepDiffRecord `json:"diff"`
	}
	if err := json.Unmarshal(d.Diff, &parts); err != nil {
		t.Fatalf("Directus's diff: %v", err)
	}
	kinds := map[string]snapshot.Kind{"collections": snapshot.KindCollection, "fields": snapshot.KindField, "relations": snapshot.KindRelation, "systemFields": snapshot.KindSystemField}
	for part, entries := range parts {
		kind, ok := kinds[part]
		if !ok {
			t.Fatalf("Directus's diff has an unknown part %q", part)
		}
		for _, e := range entries {
			if len(e.Diff) == 0 {
				t.Fatalf("Directus's diff: %s %s.%s has no records", part, e.Collection, e.Field)
			}
			op := snapshot.OpUpdate
			key := snapshot.Key{Collection: e.Collection, Field: e.Field}
			if r := e.Diff[0]; len(r.Path) == 0 {
				switch r.Kind {
				case "N":
					op = snapshot.OpCreate
				case "D":
					op = snapshot.OpDelete
				}
			} else if r.Kind == "D" && kind != snapshot.KindField {
				dou[string(kind)+" "+key.String()] = true
			}
			out[item(kind, op, key)] = true
		}
	}
	return out, dou
}

// libChanges is snapshot.Diff(from, to) as Directus reports the same
// changes. Directus's diff differs in form, not in substance, in three
// ways, each translated here rather than in lib/snapshot (whose report is
// meant for people and for the boot guard):
//
//  1. Deleting a collection: Directus drops its fields and relations from
//     the diff (dropping the table drops them); lib/snapshot lists each
//     one, so that a reader sees every column that goes.
//  2. System fields always exist; Directus diffs only their index, so
//     adding or removing a systemFields entry is an update of
//     schema.is_indexed there. lib/snapshot calls it a create or delete
//     of the entry, and an entry added with is_indexed false is no change
//     at all in Directus.
//  3. A field that turns from an alias into a column or back: Directus
//     deletes the field and creates it again; lib/snapshot reports one
//     destructive update.
//
// And in one way where Directus 11.17.4 is wrong (directus/directus#27877):
//
//  4. An update of a collection whose diff begins with a removed key is
//     taken for a deleted collection: Directus leaves its fields and
//     relations out of the diff (and its apply drops the table).
//     lib/snapshot reports the update as destructive, saying why, and the
//     field and relation changes as they are; they are left out here as
//     in rule 1.
func libChanges(r *snapshot.Result) changeSet {
	deleted := map[string]bool{}
	for _, c := range r.Changes {
		if c.Kind == snapshot.KindCollection && (c.Op == snapshot.OpDelete || directus11Deletes(c)) {
			deleted[c.Key.Collection] = true
		}
	}
	out := changeSet{}
	for _, c := range r.Changes {
		switch {
		case (c.Kind == snapshot.KindField || c.Kind == snapshot.KindRelation) && deleted[c.Key.Collection]:
			// rule 1
		case c.Kind == snapshot.KindSystemField && c.Op == snapshot.OpCreate && !isIndexed(c.To):
			// rule 2
		case c.Kind == snapshot.KindSystemField:
			out[item(c.Kind, snapshot.OpUpdate, c.Key)] = true
		case c.Kind == snapshot.KindField && c.Op == snapshot.OpUpdate && isAlias(c.From) != isAlias(c.To):
			out[item(c.Kind, snapshot.OpDelete, c.Key)] = true
			out[item(c.Kind, snapshot.OpCreate, c.Key)] = true
		default:
			out[item(c.Kind, c.Op, c.Key)] = true
		}
	}
	return out
}

// directus11Deletes: lib/snapshot says Directus 11 will apply this update
// as a delete.
func directus11Deletes(c snapshot.Change) bool {
	return c.Op == snapshot.OpUpdate && strings.Contains(strings.Join(c.Reasons, "\n"), "directus/directus#27877")
}

func isIndexed(m *snapshot.Map) bool {
	s, _ := m.Get("schema")
	sm, _ := s.(*snapshot.Map)
	v, _ := sm.Get("is_indexed")
	return v == true
}

func isAlias(m *snapshot.Map) bool {
	v, _ := m.Get("type")
	return v == "alias"
}

// agree fails the test unless Directus's diff and lib/snapshot's name the
// same changes, and returns how many there were.
func agree(t *testing.T, label string, inst *testdirectus.Instance, live *snapshot.Snapshot, second []byte) int {
	t.Helper()
	to, err := snapshot.Parse(label, second)
	if err != nil {
		t.Fatal(err)
	}
	d := directusDiff(t, inst, second)
	// To investigate a disagreement: TRM_AGREEMENT_DUMP=<folder> keeps
	// Directus's diff and the live snapshot of every comparison.
	if dir := os.Getenv("TRM_AGREEMENT_DUMP"); dir != "" && d != nil {
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(label, " ", "_")+".diff.json"), d.Diff, 0o644)
		lj, _ := live.MarshalJSON()
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(label, " ", "_")+".live.json"), lj, 0o644)
	}
	want, directusDeletes := directusChanges(t, d)
	r := snapshot.Diff(live, to)
	got := libChanges(r)
	// lib/snapshot must foresee exactly the updates Directus 11 applies as
	// deletes.
	libDeletes := changeSet{}
	for _, c := range r.Changes {
		if directus11Deletes(c) {
			libDeletes[string(c.Kind)+" "+c.Key.String()] = true
		}
	}
	if a, b := directusDeletes.sorted(), libDeletes.sorted(); !slices.Equal(a, b) {
		t.Errorf("%s: updates Directus 11 applies as deletes:\n  Directus:    %v\n  lib/snapshot: %v", label, a, b)
	}
	var onlyDirectus, onlyLib []string
	for k := range want {
		if !got[k] {
			onlyDirectus = append(onlyDirectus, k)
		}
	}
	for k := range got {
		if !want[k] {
			onlyLib = append(onlyLib, k)
		}
	}
	slices.Sort(onlyDirectus)
	slices.Sort(onlyLib)
	if len(onlyDirectus)+len(onlyLib) > 0 {
		t.Errorf("%s: Directus and lib/snapshot disagree (%d vs %d changes)\nonly Directus:\n  %s\nonly lib/snapshot:\n  %s\n%s",
			label, len(want), len(got), strings.Join(onlyDirectus, "\n  "), strings.Join(onlyLib, "\n  "), explain(d, r, onlyDirectus, onlyLib))
	}
	t.Logf("%s: %d changes agree (%d that Directus 11 applies as deletes)", label, len(want), len(directusDeletes))
	if len(want) <= 20 {
		t.Logf("  %s", strings.Join(want.sorted(), "\n  "))
	}
	return len(want)
}

// explain shows, for the changes only one side names, what that side saw:
// Directus's records, or lib/snapshot's changed paths.
func explain(d *directusctl.SchemaDiff, r *snapshot.Result, onlyDirectus, onlyLib []string) string {
	var b strings.Builder
	if len(onlyDirectus) > 0 && d != nil {
		var parts map[string][]struct {
			Collection string          `json:"collection"`
			Field      string          `json:"field"`
			Diff       json.RawMessage `json:"diff"`
		}
		_ = json.Unmarshal(d.Diff, &parts)
		for _, entries := range parts {
			for _, e := range entries {
				key := snapshot.Key{Collection: e.Collection, Field: e.Field}.String()
				for _, o := range onlyDirectus {
					if strings.HasSuffix(o, " "+key) {
						fmt.Fprintf(&b, "Directus %s: %.600s\n", key, e.Diff)
						break
					}
				}
			}
		}
	}
	for _, c := range r.Changes {
		if slices.Contains(onlyLib, item(c.Kind, c.Op, c.Key)) {
			for _, p := range c.Paths {
				fmt.Fprintf(&b, "lib %s %s: %s: %#v -> %#v\n", c.Kind, c.Key, p.Path, p.Old, p.New)
			}
		}
	}
	return b.String()
}
