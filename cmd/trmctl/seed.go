package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Seeds write reference data through Directus's REST API, so that every
// write passes Directus's validation, hooks and activity log exactly as a
// person's would. Each record is looked up by its natural key first and
// created only when it is missing: a seed can run any number of times.

const seedAuthHelp = `Directus is reached at --directus-url (TRM_DIRECTUS_URL, default
http://localhost:8055). Authenticate with a static or access token
(--token, or TRM_DIRECTUS_TOKEN), or with a user's e-mail and password
(--email and --password, or TRM_DIRECTUS_EMAIL and TRM_DIRECTUS_PASSWORD;
prefer the environment for the password: flags show in the process list).
Neither the token nor the password is ever printed.`

const seedJSONHelp = `JSON shape (--json):
  {"seed": "rally-albania-2026", "directus_url": "...",
   "created": n, "present": n, "duration_ms": n,
   "kinds": [{"kind", "created", "present"}],
   "records": [{"kind", "key", "id", "state"}]}
kind is the collection written (directus_users for users); key is the
record's natural key as text; state is "created" or "present". kinds and
records are in the order of writing.`

func newSeedCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed <dataset>",
		Short: "Load reference data through Directus, idempotently",
		Long: `Load a data set through Directus's REST API. Every record is looked up by
its natural key and created only when it is missing, so a second run
creates nothing ("0 created, N already present"). Records that are present
are left as they are, even where their other fields differ.

` + seedAuthHelp + `

Progress (one line per record) goes to standard error; the summary table
per collection to standard output.`,
	}
	f := cmd.PersistentFlags()
	f.String("directus-url", "http://localhost:8055", "the Directus instance at `URL` (TRM_DIRECTUS_URL)")
	f.String("token", "", "static or access `token` (TRM_DIRECTUS_TOKEN)")
	f.String("email", "", "log in as this user (TRM_DIRECTUS_EMAIL); needs --password")
	f.String("password", "", "the user's password (TRM_DIRECTUS_PASSWORD; prefer the environment)")
	f.Bool("json", false, "print JSON for machines instead of text")
	f.Duration("timeout", 5*time.Minute, "give up after this long")
	cmd.AddCommand(newSeedRallyAlbaniaCmd(a))
	return cmd
}

// seedCredentials says how to authenticate; exactly one of token and
// email is set.
type seedCredentials struct {
	token           string
	email, password string
}

// seedTarget resolves the instance and the credentials, refusing
// contradictions before anything is sent. Flags win over the
// environment.
func (a *app) seedTarget() (string, seedCredentials, error) {
	var cr seedCredentials
	base := strings.TrimSpace(a.cfg.GetString("directus-url"))
	if base == "" {
		return "", cr, usageErrorf("--directus-url is empty: name the Directus instance, e.g. http://localhost:8055")
	}
	token, email, password := a.cfg.GetString("token"), a.cfg.GetString("email"), a.cfg.GetString("password")
	env := func(k string) string { v, _ := a.getenv(k); return v }
	switch {
	case token != "" && email != "":
		return "", cr, usageErrorf("--token and --email both authenticate: choose one")
	case token == "" && email == "" && password != "" && env("TRM_DIRECTUS_EMAIL") == "":
		return "", cr, usageErrorf("--password needs --email (or TRM_DIRECTUS_EMAIL)")
	case token != "":
		cr.token = token
	case email != "":
		cr.email, cr.password = email, password
	case env("TRM_DIRECTUS_TOKEN") != "":
		cr.token = env("TRM_DIRECTUS_TOKEN")
	case env("TRM_DIRECTUS_EMAIL") != "":
		cr.email, cr.password = env("TRM_DIRECTUS_EMAIL"), password
	default:
		return "", cr, usageErrorf("no credentials: pass --token (or set TRM_DIRECTUS_TOKEN), or --email with TRM_DIRECTUS_PASSWORD")
	}
	if cr.email != "" && cr.password == "" {
		cr.password = env("TRM_DIRECTUS_PASSWORD")
		if cr.password == "" {
			return "", cr, usageErrorf("no password for %s: set TRM_DIRECTUS_PASSWORD (or pass --password)", cr.email)
		}
	}
	var opts []directusctl.ClientOption
	if cr.token != "" {
		opts = append(opts, directusctl.WithToken(cr.token))
	}
	// Checks the URL (scheme, host, no credentials) and the token's shape
	// without sending anything.
	if _, err := directusctl.NewClient(base, opts...); err != nil {
		return "", cr, usageErrorf("%v", err)
	}
	return base, cr, nil
}

// connectSeed checks that Directus answers, authenticates, and checks that
// the collections the seed writes exist, each failure with what to check.
func connectSeed(ctx context.Context, base string, cr seedCredentials, collections []string) (*directusctl.Client, error) {
	anon, err := directusctl.NewClient(base)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	where := "Directus at " + anon.BaseURL()
	// Unauthenticated: a bad token must not read as an unreachable server.
	if _, err := anon.Health(ctx); err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w\ncheck that Directus runs there and --directus-url (TRM_DIRECTUS_URL) is right", where, err)
	}
	var c *directusctl.Client
	if cr.token != "" {
		if c, err = directusctl.NewClient(base, directusctl.WithToken(cr.token)); err != nil {
			return nil, usageErrorf("%v", err)
		}
		var me struct {
			ID string `json:"id"`
		}
		if err := c.Do(ctx, http.MethodGet, "/users/me", url.Values{"fields": {"id"}}, nil, &me); err != nil {
			if isAuthError(err) {
				return nil, fmt.Errorf("%s refused the token: %w\ncheck --token or TRM_DIRECTUS_TOKEN", where, err)
			}
			return nil, fmt.Errorf("%s: checking the token: %w", where, err)
		}
	} else {
		if c, err = directusctl.NewClient(base); err != nil {
			return nil, usageErrorf("%v", err)
		}
		if err := c.Login(ctx, cr.email, cr.password); err != nil {
			if isAuthError(err) {
				return nil, fmt.Errorf("%s refused the login of %s: %w\ncheck --email/--password or TRM_DIRECTUS_EMAIL/TRM_DIRECTUS_PASSWORD", where, cr.email, err)
			}
			return nil, fmt.Errorf("%s: login of %s: %w", where, cr.email, err)
		}
	}
	// Every collection must be readable before anything is written, so
	// that a missing schema or permission stops the seed before it starts.
	// (GET /collections would need read access to directus_collections.)
	// Checked in parallel: each is a round trip, and none depends on another.
	found := make([]error, len(collections))
	var wg sync.WaitGroup
	for i, name := range collections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var none []json.RawMessage
			found[i] = c.Do(ctx, http.MethodGet, collectionPath(name), url.Values{"limit": {"0"}}, nil, &none)
		}()
	}
	wg.Wait()
	var missing []string
	for i, err := range found {
		var ae *directusctl.APIError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			missing = append(missing, collections[i])
		default:
			return nil, fmt.Errorf("%s: reading %s: %w", where, collections[i], err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: cannot read the collections %s: they are missing (apply the schema, snapshots/schema.yaml; the entrypoint applies it at boot) or this user may not read them", where, strings.Join(missing, ", "))
	}
	return c, nil
}

func isAuthError(err error) bool {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case directusctl.CodeInvalidCredentials, directusctl.CodeInvalidToken, directusctl.CodeTokenExpired:
		return true
	}
	return ae.Status == http.StatusUnauthorized
}

// seedState is what happened to one record.
type seedState string

const (
	seedCreated seedState = "created"
	seedPresent seedState = "present"
)

// seedRecord is one record the seed wrote or found.
type seedRecord struct {
	Kind  string    `json:"kind"`
	Key   string    `json:"key"`
	ID    string    `json:"id"`
	State seedState `json:"state"`
}

// seedKind counts the records of one collection.
type seedKind struct {
	Kind    string `json:"kind"`
	Created int    `json:"created"`
	Present int    `json:"present"`
}

// seedReport is the command's result; its JSON is documented in
// seedJSONHelp.
type seedReport struct {
	Seed        string       `json:"seed"`
	DirectusURL string       `json:"directus_url"`
	Created     int          `json:"created"`
	Present     int          `json:"present"`
	DurationMS  float64      `json:"duration_ms"`
	Kinds       []seedKind   `json:"kinds"`
	Records     []seedRecord `json:"records"`
}

// seeder ensures records exist, one at a time, and keeps the report.
type seeder struct {
	c        *directusctl.Client
	progress io.Writer
	report   *seedReport
}

// seedID is a primary key as Directus returned it (a JSON string for
// UUIDs); it is sent back verbatim in payloads.
type seedID = json.RawMessage

func idText(id seedID) string {
	var s string
	if json.Unmarshal(id, &s) == nil {
		return s
	}
	return string(id)
}

// collectionPath is the REST path of a collection: system collections
// have their own endpoints.
func collectionPath(collection string) string {
	if rest, ok := strings.CutPrefix(collection, "directus_"); ok {
		return "/" + rest
	}
	return "/items/" + url.PathEscape(collection)
}

// lookup finds the record of collection matching the natural key
// (field → value, all equal). More than one match is an error: the key
// would not identify what the seed means.
func (s *seeder) lookup(ctx context.Context, collection, key string, natural map[string]any) (seedID, bool, error) {
	filter := map[string]any{}
	for f, v := range natural {
		if v == nil {
			filter[f] = map[string]any{"_null": true}
		} else {
			filter[f] = map[string]any{"_eq": v}
		}
	}
	fb, err := json.Marshal(filter)
	if err != nil {
		return nil, false, err
	}
	q := url.Values{"filter": {string(fb)}, "fields": {"id"}, "limit": {"2"}}
	var found []struct {
		ID seedID `json:"id"`
	}
	if err := s.c.Do(ctx, http.MethodGet, collectionPath(collection), q, nil, &found); err != nil {
		return nil, false, fmt.Errorf("look up %s %s: %w", collection, key, explainAPIError(err))
	}
	switch len(found) {
	case 0:
		return nil, false, nil
	case 1:
		return found[0].ID, true, nil
	}
	return nil, false, fmt.Errorf("look up %s %s: more than one record has this key; remove the duplicates in Directus and run the seed again", collection, key)
}

// ensure returns the id of the record of collection with the natural key,
// creating it from payload (which must hold the natural key's fields too)
// when it is missing.
func (s *seeder) ensure(ctx context.Context, collection, key string, natural, payload map[string]any) (seedID, error) {
	id, ok, err := s.lookup(ctx, collection, key, natural)
	if err != nil {
		return nil, err
	}
	state := seedPresent
	if !ok {
		var created struct {
			ID seedID `json:"id"`
		}
		err := s.c.Do(ctx, http.MethodPost, collectionPath(collection), url.Values{"fields": {"id"}}, payload, &created)
		var ae *directusctl.APIError
		switch {
		case err == nil && len(created.ID) > 0:
			id, state = created.ID, seedCreated
		case err == nil:
			return nil, fmt.Errorf("create %s %s: Directus answered without the new record's id", collection, key)
		case errors.As(err, &ae) && ae.Code == directusctl.CodeRecordNotUnique:
			// Written meanwhile by someone else (another seed run): take it.
			if id, ok, err = s.lookup(ctx, collection, key, natural); err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("create %s %s: %w", collection, key, explainAPIError(ae))
			}
		default:
			return nil, fmt.Errorf("create %s %s: %w", collection, key, explainAPIError(err))
		}
	}
	s.record(collection, key, idText(id), state)
	return id, nil
}

func (s *seeder) record(kind, key, id string, state seedState) {
	r := s.report
	r.Records = append(r.Records, seedRecord{Kind: kind, Key: key, ID: id, State: state})
	i := len(r.Kinds) - 1
	if i < 0 || r.Kinds[i].Kind != kind {
		r.Kinds = append(r.Kinds, seedKind{Kind: kind})
		i++
	}
	if state == seedCreated {
		r.Kinds[i].Created++
		r.Created++
	} else {
		r.Kinds[i].Present++
		r.Present++
	}
	if s.progress != nil {
		fmt.Fprintf(s.progress, "seed: %-20s %-48s %s\n", kind, key, state)
	}
}

// explainAPIError spells out every error Directus returned (validation
// failures come one per field), not only the first.
func explainAPIError(err error) error {
	var ae *directusctl.APIError
	if !errors.As(err, &ae) || len(ae.Errors) < 2 {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "directus %s %s: HTTP %d:", ae.Method, ae.Path, ae.Status)
	for _, d := range ae.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", d.Code, d.Message)
	}
	return errors.New(b.String())
}

// runSeed connects, runs fn and prints the report.
func (a *app) runSeed(cmd *cobra.Command, name string, collections []string, fn func(ctx context.Context, s *seeder) error) error {
	base, cr, err := a.seedTarget()
	if err != nil {
		return err
	}
	ctx, cancel := a.withTimeout(cmd.Context())
	defer cancel()
	start := time.Now()
	c, err := connectSeed(ctx, base, cr, collections)
	if err != nil {
		return err
	}
	jsonOut := a.cfg.GetBool("json")
	rep := &seedReport{Seed: name, DirectusURL: c.BaseURL(), Kinds: []seedKind{}, Records: []seedRecord{}}
	s := &seeder{c: c, report: rep}
	if !jsonOut {
		s.progress = a.io.err
	}
	if err := fn(ctx, s); err != nil {
		if rep.Created > 0 {
			err = fmt.Errorf("%w\n%d record(s) were created before the failure; run the seed again once it is fixed: it creates only what is missing", err, rep.Created)
		}
		return err
	}
	rep.DurationMS = ms(time.Since(start))
	if jsonOut {
		return writeJSON(a.io.out, rep)
	}
	fmt.Fprintf(a.io.out, "Seed %s on %s\n\n", name, rep.DirectusURL)
	t := newTable(a.io.out, "KIND", "CREATED", "PRESENT")
	for _, k := range rep.Kinds {
		t.row(k.Kind, fmt.Sprint(k.Created), fmt.Sprint(k.Present))
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "\n%d created, %d already present (%s).\n", rep.Created, rep.Present, round(time.Since(start)))
	return nil
}
