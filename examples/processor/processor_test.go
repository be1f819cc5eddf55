package processor_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/processor"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// databaseEnv names the database the tests migrate: a fresh, empty one.
const databaseEnv = "TRM_EXAMPLE_DATABASE_URL"

// database returns the URL of the test database, through the processor's
// own configuration path (Directus's DB_* variables). It fails, never
// skips, when none is given.
func database(t *testing.T) string {
	t.Helper()
	u := os.Getenv(databaseEnv)
	if u == "" {
		t.Fatalf(`%s is not set: these tests migrate a real, empty PostgreSQL database. Either
  - from the repository root, run make test (tests/examples creates a database and runs this module's tests), or
  - createdb processor_example && %s=postgres://USER:PASSWORD@HOST:5432/processor_example GOWORK=off go test ./...`, databaseEnv, databaseEnv)
	}
	env := map[string]string{"DB_CLIENT": "pg", "DB_CONNECTION_STRING": u}
	got, err := processor.DatabaseURL(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || got != u {
		t.Fatalf("DatabaseURL from DB_CONNECTION_STRING: %q, %v", directusctl.Redact(got), err)
	}
	return u
}

func TestMigrateAppliesTheProcessorsOwnFilesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	log := slog.New(slog.DiscardHandler)

	res, err := processor.Migrate(ctx, pool, log)
	if err != nil {
		t.Fatal(err)
	}
	var applied []string
	for _, a := range res.Applied {
		applied = append(applied, a.Migration.ID())
	}
	if strings.Join(applied, ",") != "pre/001_checkpoints,pre/002_penalties" {
		t.Fatalf("applied %v, want the two embedded files", applied)
	}

	res, err = processor.Migrate(ctx, pool, log)
	if err != nil || len(res.Applied) != 0 || res.UpToDate != 2 {
		t.Fatalf("a second run: %+v, %v; want nothing applied, 2 up to date", res, err)
	}

	var tables []string
	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tables, ","); got != "processor_checkpoints,processor_migrations,processor_penalties" {
		t.Errorf("tables %s; want the processor's two and its own ledger (not migrations_applied)", got)
	}
	// What the library writes into an importer's database speaks to any
	// importer, never of the tools of the repository it came from.
	var comment string
	if err := pool.QueryRow(ctx, `SELECT coalesce(obj_description($1::regclass, 'pg_class'), '')`, processor.LedgerTable).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"trmctl", "make ", "db-init/"} {
		if strings.Contains(comment, word) {
			t.Errorf("the ledger's comment names %q: %s", word, comment)
		}
	}
}

func TestSchemaImpactReportsChangesToWhatTheProcessorReads(t *testing.T) {
	built, err := os.ReadFile("testdata/built.yaml")
	if err != nil {
		t.Fatal(err)
	}
	deployed, err := os.ReadFile("testdata/deployed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changes, err := processor.SchemaImpact(built, deployed)
	if err != nil {
		t.Fatal(err)
	}
	// vehicles.vin was added too, but the processor does not read vehicles.
	if len(changes) != 1 {
		t.Fatalf("changes %+v; want entry_devices.valid_until only", changes)
	}
	c := changes[0]
	if c.Key.String() != "entry_devices.valid_until" || c.Op != snapshot.OpDelete || c.Severity != snapshot.SeverityDestructive {
		t.Errorf("change %s %s %s; want the destructive delete of entry_devices.valid_until", c.Op, c.Key, c.Severity)
	}
	if none, err := processor.SchemaImpact(built, built); err != nil || len(none) != 0 {
		t.Errorf("a schema against itself: %v, %v", none, err)
	}
	if _, err := processor.SchemaImpact(built, []byte("version: [")); err == nil {
		t.Error("a malformed snapshot was accepted")
	}
}

const rulebook = `event: demo-rally
rules:
  - key: speeding
    type: speeding
    contiguous: true
    pulse: {seconds: 10, metres: 150}
    brackets:
      - {above: 0, up_to: 20, per_pulse: 1m}
      - {above: 20, up_to: 40, per_pulse: 2m}
      - {above: 40, per_pulse: 3m}
`

func TestSpeedingIsPricedByTheRulebook(t *testing.T) {
	book, err := rules.Parse("rules.yaml", []byte(rulebook))
	if err != nil {
		t.Fatal(err)
	}
	// 28 km/h over for 25 s over 300 m: 3 pulses in the 2m bracket.
	res, err := processor.Speeding(book, rules.Where{Category: "car"}, 28, 25, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Seconds != 360 || res.Rule != "speeding" {
		t.Errorf("%d s by %s; want 360 s by speeding: %v", res.Seconds, res.Rule, res)
	}
}

func TestDatabaseURLSaysWhichSettingIsWrong(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "no database settings"},
		{map[string]string{"DB_CLIENT": "mysql"}, "database setting DB_CLIENT"},
		{map[string]string{"DB_HOST": "db"}, "database setting DB_DATABASE"},
	}
	for _, c := range cases {
		_, err := processor.DatabaseURL(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.env, err, c.want)
		}
	}
	u, err := processor.DatabaseURL(func(k string) (string, bool) {
		v, ok := map[string]string{"DB_HOST": "db", "DB_DATABASE": "trm", "DB_USER": "processor", "DB_PASSWORD": "s3cret"}[k]
		return v, ok
	})
	if err != nil || u != "postgres://processor:s3cret@db:5432/trm" || strings.Contains(directusctl.Redact(u), "s3cret") {
		t.Errorf("%q, %v", directusctl.Redact(u), err)
	}
}
