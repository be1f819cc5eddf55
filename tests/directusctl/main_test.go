// Package integration proves lib/directusctl against a real Directus
// 11.17.4 (tests/internal/testdirectus) over a real PostgreSQL with PostGIS
// (tests/internal/testdb). It lives in the tests module so that the
// library's go.mod stays free of dependencies.
package integration

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
)

var pg *testdb.Server

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, &pg)) }

// directusVersion is the pinned release (directus/package.json).
const directusVersion = "11.17.4"

func timeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// queryRow reads one row straight from the database, to check what
// Directus stored rather than what it answers.
func queryRow(t testing.TB, dbURL, sql string, args []any, dest ...any) {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// collectionNames lists the collections of a JSON snapshot.
func collectionNames(t testing.TB, snap []byte) []string {
	t.Helper()
	var s struct {
		Collections []struct {
			Collection string `json:"collection"`
		} `json:"collections"`
	}
	if err := json.Unmarshal(snap, &s); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Collections {
		names = append(names, c.Collection)
	}
	return names
}

// withCollection returns the snapshot plus a user collection: an integer
// key, a name and a user_created uuid (what row-level permissions filter
// on).
func withCollection(t testing.TB, snap []byte, name string) json.RawMessage {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(snap, &s); err != nil {
		t.Fatal(err)
	}
	meta := func(field string, extra map[string]any) map[string]any {
		m := map[string]any{"collection": name, "field": field, "interface": "input", "hidden": false, "readonly": false}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	s["collections"] = append(s["collections"].([]any), map[string]any{
		"collection": name,
		"meta":       map[string]any{"collection": name, "hidden": false, "singleton": false},
		"schema":     map[string]any{"name": name},
	})
	s["fields"] = append(s["fields"].([]any),
		map[string]any{
			"collection": name, "field": "id", "type": "integer",
			"meta": meta("id", map[string]any{"hidden": true, "readonly": true}),
			"schema": map[string]any{"name": "id", "table": name, "data_type": "integer", "is_nullable": false,
				"is_unique": true, "is_primary_key": true, "has_auto_increment": true},
		},
		map[string]any{
			"collection": name, "field": "name", "type": "string", "meta": meta("name", nil),
			"schema": map[string]any{"name": "name", "table": name, "data_type": "character varying", "max_length": 255, "is_nullable": true},
		},
		map[string]any{
			"collection": name, "field": "user_created", "type": "uuid", "meta": meta("user_created", nil),
			"schema": map[string]any{"name": "user_created", "table": name, "data_type": "uuid", "is_nullable": true},
		},
	)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
