package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// Load validates a source without a database: the names, phases and
// directives that Apply would use.
func ExampleLoad() {
	src := fstest.MapFS{
		"001_extensions.sql":      {Data: []byte("CREATE EXTENSION IF NOT EXISTS postgis;")},
		"002_positions.sql":       {Data: []byte("CREATE TABLE IF NOT EXISTS positions (ts timestamptz);")},
		"post/001_gist_index.sql": {Data: []byte("-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS g ON t USING gist (geom);")},
		"README.md":               {Data: []byte("ignored")},
	}
	ms, err := migrations.Load(src, migrations.DefaultLayout())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Println(m.ID(), "no-transaction:", m.NoTransaction)
	}
	// Output:
	// pre/001_extensions no-transaction: false
	// pre/002_positions no-transaction: false
	// post/001_gist_index no-transaction: true
}

// A malformed source is refused as a whole, each problem naming its file.
func ExampleSourceError() {
	src := fstest.MapFS{
		"001_a.sql":  {Data: []byte("SELECT 1;")},
		"001_b.sql":  {Data: []byte("SELECT 1;")},
		"2_Bad.sql":  {Data: []byte("SELECT 1;")},
		"README.txt": {Data: []byte("ignored")},
	}
	_, err := migrations.Load(src, migrations.DefaultLayout())
	var se *migrations.SourceError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p.Path)
		}
	}
	// Output:
	// 2_Bad.sql
	// 001_b.sql
}

// Apply at service start-up: a no-op costs one query when nothing is
// pending; several replicas may run it at once. Failures are typed, so
// the service chooses what to tell its operator.
func ExampleProvider_Apply() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	p, err := migrations.New(pool, os.DirFS("db-init"),
		migrations.WithSetting("trm.timescaledb", "optional"),
		migrations.WithFileTimeout(30*time.Minute))
	if err != nil {
		fmt.Println(err) // a *SourceError lists every file to fix, with its line
		return
	}
	res, err := p.Apply(ctx, migrations.PhasePre)
	var (
		guard *migrations.GuardError
		file  *migrations.FileError
	)
	switch {
	case errors.As(err, &guard):
		for _, v := range guard.Violations {
			fmt.Println(v.Kind, v.ID(), v.Fix)
		}
	case migrations.CauseOf(err) == migrations.CauseReadOnly:
		fmt.Println("connect to the primary: this database refuses writes")
	case errors.As(err, &file):
		fmt.Printf("%s line %d: %v (left started: %v)\n", file.Migration.Path, file.Line, file.Err, file.Started)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Printf("applied %d, up to date %d\n", len(res.Applied), res.UpToDate)
	}
}

// SplitStatements is how no-transaction files are sent, one statement at
// a time.
func ExampleSplitStatements() {
	for _, s := range migrations.SplitStatements("CREATE INDEX CONCURRENTLY i ON t (a);\nDO $$ BEGIN PERFORM 1; END $$;") {
		fmt.Printf("%d: %q\n", s.Offset, s.SQL)
	}
	// Output:
	// 0: "CREATE INDEX CONCURRENTLY i ON t (a);"
	// 37: "\nDO $$ BEGIN PERFORM 1; END $$;"
}
