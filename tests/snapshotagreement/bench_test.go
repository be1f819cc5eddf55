package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// The benchmark pair: a generated schema of benchCollections collections
// of benchFields fields each (an m2o to the previous collection among
// them), applied by Directus, against the same with benchChangedEvery-th
// field changed (5%).
const (
	benchCollections  = 200
	benchFields       = 20
	benchChangedEvery = 20
)

// benchFixture is one Directus with the generated schema applied, shared
// by both benchmarks and stopped by TestMain: a benchmark function runs
// several times and runs its cleanups after each run, so a fixture owned
// by one would be set up again for every run.
var benchFixture struct {
	once                  sync.Once
	err                   error
	setup                 time.Duration
	cmd                   *exec.Cmd
	exited                chan struct{}
	dbName                string
	client                *directusctl.Client
	live                  *snapshot.Snapshot // GET /schema/snapshot after the apply
	changed               *snapshot.Snapshot
	liveJSON, changedJSON []byte
	changes               int
}

func fixture(b *testing.B) {
	b.Helper()
	f := &benchFixture
	f.once.Do(func() { f.err = setupBenchFixture() })
	if f.err != nil {
		b.Fatal(f.err)
	}
}

func setupBenchFixture() error {
	f := &benchFixture
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f.dbName = fmt.Sprintf("trm_bench_%d", os.Getpid())
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{f.dbName}.Sanitize()); err != nil {
		return fmt.Errorf("create the benchmark database: %w", err)
	}
	u, err := url.Parse(pg.AdminURL)
	if err != nil {
		return err
	}
	u.Path = "/" + f.dbName
	port, err := testenv.FreePort()
	if err != nil {
		return err
	}
	// Back-to-back diffs of a large schema keep Node's event loop busy
	// enough for Directus's pressure limiter to answer 503.
	env := testdirectus.Env(u.String(), port)
	cli := testdirectus.CLI(env)
	if _, err := cli.Bootstrap(ctx); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "trm-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gen, err := generatedSchema().YAML()
	if err != nil {
		return err
	}
	path := dir + "/generated.yaml"
	if err := os.WriteFile(path, gen, 0o644); err != nil {
		return err
	}
	if _, err := cli.Apply(ctx, path); err != nil {
		return fmt.Errorf("apply the generated schema: %w", err)
	}
	cmd, err := cli.Command(context.Background(), "start")
	if err != nil {
		return err
	}
	testenv.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	f.cmd, f.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(f.exited) }()
	if f.client, err = directusctl.NewClient(fmt.Sprintf("http://127.0.0.1:%d", port), directusctl.WithToken(testdirectus.AdminToken)); err != nil {
		return err
	}
	hctx, hcancel := context.WithTimeout(ctx, 90*time.Second)
	defer hcancel()
	if err := f.client.WaitHealthy(hctx); err != nil {
		return err
	}
	raw, err := f.client.Snapshot(ctx)
	if err != nil {
		return err
	}
	if f.live, err = snapshot.Parse("live", raw); err != nil {
		return err
	}
	if len(f.live.Collections) != benchCollections || len(f.live.Fields) != benchCollections*benchFields {
		return fmt.Errorf("the live schema has %d collections and %d fields, want %d and %d",
			len(f.live.Collections), len(f.live.Fields), benchCollections, benchCollections*benchFields)
	}
	f.changed = f.live.Clone()
	for i, fld := range f.changed.Fields {
		if i%benchChangedEvery == benchChangedEvery-1 {
			m, _ := fld.Raw.Get("meta")
			m.(*snapshot.Map).Set("note", fmt.Sprintf("changed %d", i))
			f.changes++
		}
	}
	if f.liveJSON, err = f.live.MarshalJSON(); err != nil {
		return err
	}
	if f.changedJSON, err = f.changed.MarshalJSON(); err != nil {
		return err
	}
	f.setup = time.Since(start)
	return nil
}

// stopBenchFixture stops the benchmarks' Directus and drops its database,
// if a benchmark started them.
func stopBenchFixture() error {
	f := &benchFixture
	if f.cmd == nil {
		return nil
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(30 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{f.dbName}.Sanitize()+" WITH (FORCE)")
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, pg.AdminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// generatedSchema builds the benchmark schema as Directus 11.17.4 writes
// one: collections c000…, each with an auto-increment id, an m2o parent
// to the previous collection, and columns of common types.
func generatedSchema() *snapshot.Snapshot {
	s := &snapshot.Snapshot{Version: 1, Directus: "11.17.4", Vendor: "postgres"}
	obj := func(kv ...any) *snapshot.Map {
		m := snapshot.NewMap()
		for i := 0; i < len(kv); i += 2 {
			m.Set(kv[i].(string), kv[i+1])
		}
		return m
	}
	types := []struct{ typ, dataType, iface string }{
		{"string", "character varying", "input"}, {"integer", "integer", "input"}, {"text", "text", "input-multiline"},
		{"boolean", "boolean", "boolean"}, {"decimal", "numeric", "input"}, {"timestamp", "timestamp with time zone", "datetime"},
	}
	for c := range benchCollections {
		name := fmt.Sprintf("c%03d", c)
		s.Collections = append(s.Collections, &snapshot.Collection{Raw: obj(
			"collection", name,
			"meta", obj("accountability", "all", "archive_app_filter", true, "archive_field", nil, "archive_value", nil,
				"collapse", "open", "collection", name, "color", nil, "display_template", nil, "group", nil, "hidden", false,
				"icon", nil, "item_duplication_fields", nil, "note", nil, "preview_url", nil, "singleton", false, "sort", nil,
				"sort_field", nil, "translations", nil, "unarchive_value", nil, "versioning", false),
			"schema", obj("name", name))})
		for f := range benchFields {
			field, typ, dataType, iface := fmt.Sprintf("f%02d", f), "", "", ""
			var special any
			pk, maxLen, prec, scale, def := false, any(nil), any(nil), any(nil), any(nil)
			var fkTable, fkColumn any
			switch {
			case f == 0:
				field, typ, dataType, iface, pk, prec, scale = "id", "integer", "integer", "input", true, 32, 0
				def = "nextval('" + name + "_id_seq'::regclass)"
			case f == 1 && c > 0:
				field, typ, dataType, iface, prec, scale = "parent", "integer", "integer", "select-dropdown-m2o", 32, 0
				special = []any{"m2o"}
				fkTable, fkColumn = fmt.Sprintf("c%03d", c-1), "id"
			default:
				t := types[f%len(types)]
				typ, dataType, iface = t.typ, t.dataType, t.iface
				switch typ {
				case "string":
					maxLen = 255
				case "integer":
					prec, scale = 32, 0
				case "decimal":
					prec, scale = 10, 5
				case "boolean":
					special = []any{"cast-boolean"}
				}
			}
			s.Fields = append(s.Fields, &snapshot.Field{Raw: obj(
				"collection", name, "field", field, "type", typ,
				"meta", obj("collection", name, "conditions", nil, "display", nil, "display_options", nil, "field", field,
					"group", nil, "hidden", pk, "interface", iface, "note", nil, "options", nil, "readonly", pk, "required", false,
					"searchable", true, "sort", f+1, "special", special, "translations", nil, "validation", nil,
					"validation_message", nil, "width", "full"),
				"schema", obj("name", field, "table", name, "data_type", dataType, "default_value", def, "max_length", maxLen,
					"numeric_precision", prec, "numeric_scale", scale, "is_nullable", !pk, "is_unique", pk, "is_indexed", false,
					"is_primary_key", pk, "is_generated", false, "generation_expression", nil, "has_auto_increment", pk,
					"foreign_key_table", fkTable, "foreign_key_column", fkColumn))})
			if fkTable != nil {
				s.Relations = append(s.Relations, &snapshot.Relation{Raw: obj(
					"collection", name, "field", field, "related_collection", fkTable,
					"meta", obj("junction_field", nil, "many_collection", name, "many_field", field, "one_allowed_collections", nil,
						"one_collection", fkTable, "one_collection_field", nil, "one_deselect_action", "nullify", "one_field", nil,
						"sort_field", nil),
					"schema", obj("table", name, "column", field, "foreign_key_table", fkTable, "foreign_key_column", "id",
						"constraint_name", name+"_"+field+"_foreign", "on_update", "NO ACTION", "on_delete", "SET NULL"))})
			}
		}
	}
	for _, sf := range []string{"directus_activity.timestamp", "directus_revisions.activity", "directus_revisions.parent"} {
		coll, fld, _ := strings.Cut(sf, ".")
		s.SystemFields = append(s.SystemFields, &snapshot.SystemField{Raw: obj("collection", coll, "field", fld, "schema", obj("is_indexed", true))})
	}
	return s
}

// BenchmarkDirectusSchemaDiff is POST /schema/diff of the changed schema
// against the instance where the original was applied: Directus reads its
// live schema and diffs it with the upload on every call.
func BenchmarkDirectusSchemaDiff(b *testing.B) {
	fixture(b)
	f := &benchFixture
	b.Logf("fixture: %d collections, %d fields, %d relations, %d changed fields; set up in %s",
		len(f.live.Collections), len(f.live.Fields), len(f.live.Relations), f.changes, f.setup.Round(time.Millisecond))
	ctx := context.Background()
	b.SetBytes(int64(len(f.changedJSON)))
	for b.Loop() {
		d, err := f.client.Diff(ctx, f.changedJSON, true)
		if err != nil {
			b.Fatal(err)
		}
		if d == nil {
			b.Fatal("Directus found no difference")
		}
	}
	d, err := f.client.Diff(ctx, f.changedJSON, true)
	if err != nil {
		b.Fatal(err)
	}
	var parts struct{ Fields []json.RawMessage }
	if err := json.Unmarshal(d.Diff, &parts); err != nil || len(parts.Fields) != f.changes {
		b.Fatalf("Directus's diff names %d fields (%v), want %d", len(parts.Fields), err, f.changes)
	}
}

// BenchmarkLibSnapshotDiff is lib/snapshot's Diff of the same pair: diff
// alone, and parse of both JSON documents plus diff (closer to what
// Directus's endpoint does, short of reading the schema from the
// database).
func BenchmarkLibSnapshotDiff(b *testing.B) {
	fixture(b)
	f := &benchFixture
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			if r := snapshot.Diff(f.live, f.changed); len(r.Changes) != f.changes {
				b.Fatalf("%d changes, want %d", len(r.Changes), f.changes)
			}
		}
	})
	b.Run("parse+diff", func(b *testing.B) {
		b.SetBytes(int64(len(f.liveJSON) + len(f.changedJSON)))
		for b.Loop() {
			from, err := snapshot.Parse("live", f.liveJSON)
			if err != nil {
				b.Fatal(err)
			}
			to, err := snapshot.Parse("changed", f.changedJSON)
			if err != nil {
				b.Fatal(err)
			}
			if r := snapshot.Diff(from, to); len(r.Changes) != f.changes {
				b.Fatalf("%d changes, want %d", len(r.Changes), f.changes)
			}
		}
	})
}
