package directusctl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// A failed call is an *APIError with Directus's error code. The server here
// gives a canned Directus answer so that the example runs anywhere; the
// integration tests meet the same answer from a real Directus.
func ExampleAPIError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}`)
	}))
	defer srv.Close()

	c, err := directusctl.NewClient(srv.URL, directusctl.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = c.Login(context.Background(), "admin@example.com", "wrong")
	var ae *directusctl.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.Method, ae.Path, ae.Status, ae.Code)
		fmt.Println(ae.Message)
	}
	// Output:
	// POST /auth/login 401 INVALID_CREDENTIALS
	// Invalid user credentials.
}

// Options are checked when the client is built, not at the first call.
func ExampleNewClient() {
	_, err := directusctl.NewClient("http://admin:secret@127.0.0.1:8055")
	fmt.Println(err)
	_, err = directusctl.NewClient("http://127.0.0.1:8055", directusctl.WithToken(""))
	fmt.Println(err)
	c, err := directusctl.NewClient("http://127.0.0.1:8055/directus/", directusctl.WithToken("static-token"))
	fmt.Println(c.BaseURL(), err)
	// Output:
	// directus base URL: must not contain credentials; use WithToken or Login
	// WithToken: the token is empty
	// http://127.0.0.1:8055/directus <nil>
}

func ExampleEnv_DatabaseURL() {
	vars := map[string]string{
		"DB_CLIENT": "pg", "DB_HOST": "db", "DB_DATABASE": "directus",
		"DB_USER": "trm", "DB_PASSWORD_FILE": "/run/secrets/db-password",
	}
	env := directusctl.Env{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		ReadFile: func(string) ([]byte, error) {
			return []byte("s3cret\n"), nil
		},
	}
	u, ok, err := env.DatabaseURL()
	fmt.Println(directusctl.Redact(u), ok, err)
	// Output:
	// postgres://trm:xxxxx@db:5432/directus true <nil>
}

func ExampleRedact() {
	fmt.Println(directusctl.Redact("postgres://trm:s3cret@db:5432/directus?sslmode=disable"))
	fmt.Println(directusctl.Redact("host=db user=trm password=s3cret dbname=directus"))
	// Output:
	// postgres://trm:xxxxx@db:5432/directus?sslmode=disable
	// host=db user=trm password=xxxxx dbname=directus
}

// A boot that bootstraps Directus, plans against the live schema and
// applies the plan in one Node process. It needs an installed Directus and
// a database, so it is compiled but not run here; tests/directusctl runs
// the same sequence against Directus 11.17.4.
func ExampleCLI_StartProvisioner() {
	ctx := context.Background()
	cli := &directusctl.CLI{
		Node:   "node",
		Script: "/directus/node_modules/@directus/api/dist/cli/run.js",
		Dir:    "/directus",
		Env:    []string{"DB_CLIENT=pg", "DB_HOST=127.0.0.1", "DB_DATABASE=directus", "DB_USER=directus"},
	}
	p, err := cli.StartProvisioner(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	if _, err := p.Bootstrap(ctx); err != nil {
		fmt.Println(err)
		return
	}
	committed := []byte(`{"version":1,"directus":"11.17.4","vendor":"postgres","collections":[],"fields":[],"systemFields":[],"relations":[]}`)
	d, err := p.Diff(ctx, committed, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Here the caller plans from d.Live and refuses what it must, before
	// anything changes.
	pending, err := p.ApplyDiff(ctx, &d.SchemaDiff)
	var pe *directusctl.ProvisionError
	if errors.As(err, &pe) && pe.Kind == directusctl.ProvisionStale {
		fmt.Println("the schema changed since the plan: plan again")
		return
	}
	if err != nil || pending == nil {
		fmt.Println(err)
		return
	}
	// Here the caller compares pending.Live with what it planned; nobody
	// else sees the change until the commit.
	fmt.Println(pending.Commit(ctx))
}
