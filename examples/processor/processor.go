// Package processor is how another TRM service, the processor first,
// imports this repository's libraries: a module of its own, outside the
// repository's workspace, that requires each library as a consumer does
// (here through local replace directives; a real service requires their
// tags, README "Versions").
//
// It uses each library for what the processor needs of it:
//
//   - lib/directusctl reads the database settings as Directus does (DB_*
//     variables and their *_FILE forms), so that the processor deployed
//     beside Directus is configured the same way;
//   - lib/migrations applies the processor's own db-init files, embedded
//     in its binary, with a ledger of its own;
//   - lib/snapshot compares the business plane's schema the processor was
//     built against with the one deployed, and reports the changes to the
//     collections it reads;
//   - lib/rules prices an offence with the event's rulebook.
package processor

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/migrations"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

// The processor's own schema: its tables, beside the business plane's in
// the same database.
//
//go:embed db-init/*.sql
var dbInit embed.FS

// LedgerTable records the processor's db-init files apart from the
// business plane's ledger (migrations_applied), so that each side's
// guards see only its own files.
const LedgerTable = "processor_migrations"

// DatabaseURL reads the database settings from the DB_* variables, as
// Directus does; lookup is os.LookupEnv or a replacement.
func DatabaseURL(lookup func(string) (string, bool)) (string, error) {
	u, ok, err := directusctl.Env{Lookup: lookup, ReadFile: os.ReadFile}.DatabaseURL()
	var ee *directusctl.EnvError
	switch {
	case errors.As(err, &ee):
		return "", fmt.Errorf("database setting %s: %s", ee.Name, ee.Reason)
	case err != nil:
		return "", err
	case !ok:
		return "", errors.New("no database settings: set DB_CONNECTION_STRING, or DB_HOST, DB_DATABASE and DB_USER")
	}
	return u, nil
}

// Migrate applies the processor's pending db-init files. Replicas may run
// it at once: one applies, the others wait and find nothing to do.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*migrations.Result, error) {
	src, err := fs.Sub(dbInit, "db-init")
	if err != nil {
		return nil, err
	}
	p, err := migrations.New(pool, src,
		migrations.WithLedgerTable("public", LedgerTable),
		migrations.WithAppliedBy("processor"),
		migrations.WithLogger(log))
	if err != nil {
		return nil, err
	}
	res, err := p.Apply(ctx, migrations.PhasePre)
	var guard *migrations.GuardError
	if errors.As(err, &guard) {
		// The processor's remedy, not the library's: its files ship in
		// its binary, so a changed applied file is a build mistake.
		return nil, fmt.Errorf("%w\nthe processor's embedded db-init files disagree with its ledger (%s): restore the released files and add changes as new files", err, LedgerTable)
	}
	return res, err
}

// Reads are the business-plane collections the processor reads.
func Reads() []string {
	return []string{"classes", "devices", "entries", "entry_devices", "events"}
}

// SchemaImpact compares the business plane's schema the processor was
// built against with the one deployed (both Directus snapshots) and
// returns the changes to the collections it reads, in lib/snapshot's
// order; a destructive one means the processor must be rebuilt first.
func SchemaImpact(built, deployed []byte) ([]snapshot.Change, error) {
	from, err := snapshot.Parse("built", built)
	if err != nil {
		return nil, err
	}
	to, err := snapshot.Parse("deployed", deployed)
	if err != nil {
		return nil, err
	}
	var out []snapshot.Change
	for _, c := range snapshot.Diff(from, to).Changes {
		if slices.Contains(Reads(), c.Key.Collection) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Speeding prices a speeding infringement measured by the processor:
// speed over the limit in km/h, for a duration in seconds over a distance
// in metres, the entry's repeat-th of the event.
func Speeding(book *rules.Rulebook, where rules.Where, over, seconds, metres float64, repeat int) (rules.Result, error) {
	rule, ok := book.Select(rules.TypeSpeeding, "", where)
	if !ok {
		return rules.Result{}, fmt.Errorf("the rulebook of %s has no speeding rule for %+v", book.Event, where)
	}
	return book.Evaluate(rule.Key, rules.Offence{Value: over, Pulses: rule.Pulse.Count(seconds, metres), Repeat: repeat})
}
