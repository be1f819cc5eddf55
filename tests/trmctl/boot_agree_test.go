package trmctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/internal/boot"
	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// planView is what a plan decides, as `trmctl boot plan --json` prints it.
type planView struct {
	FastPath        bool   `json:"fast_path"`
	Reason          string `json:"reason"`
	Bootstrap       bool   `json:"bootstrap"`
	BootstrapReason string `json:"bootstrap_reason"`
	Pending         []struct {
		Phase string `json:"phase"`
		Path  string `json:"path"`
	} `json:"pending"`
	// Schema is the whole schema plan, as generic JSON.
	Schema  any      `json:"schema"`
	Refused []string `json:"refused"`
}

// viewOf is the same view of the plan a boot decided.
func viewOf(t *testing.T, p *boot.Plan) planView {
	t.Helper()
	var v planView
	v.FastPath, v.Reason, v.Bootstrap, v.BootstrapReason = p.FastPath, p.Reason, p.Bootstrap, p.BootstrapReason
	v.Pending = []struct {
		Phase string `json:"phase"`
		Path  string `json:"path"`
	}{}
	for _, m := range p.Pending {
		v.Pending = append(v.Pending, struct {
			Phase string `json:"phase"`
			Path  string `json:"path"`
		}{string(m.Phase), m.Path})
	}
	if p.Schema != nil {
		var buf bytes.Buffer
		if err := p.Schema.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(buf.Bytes(), &v.Schema); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range p.Refused {
		v.Refused = append(v.Refused, settings.AllowKey(c))
	}
	if v.Refused == nil {
		v.Refused = []string{}
	}
	return v
}

// bootNow runs the entrypoint's boot on env (the settings trmctl got,
// plus what only the entrypoint reads).
func bootNow(t *testing.T, env map[string]string) (*boot.Outcome, error) {
	t.Helper()
	vars := map[string]string{"SECRET": strings.Repeat("s", 32), "TRM_START_COMMAND": "true", "TRM_DB_WAIT_TIMEOUT": "20s"}
	for k, v := range env {
		vars[k] = v
	}
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	s, err := settings.Load(settings.FromEnv(directusctl.Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, ReadFile: os.ReadFile}, environ), settings.Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	environ = append(environ, "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"), "TELEMETRY=false", "FORCE_COLOR=0",
		"PACKAGE_FILE_LOCATION="+s.DirectusDir, "KEY=k", "ADMIN_EMAIL=admin@example.com", "ADMIN_PASSWORD=pw-agree")
	b, err := boot.New(boot.NewConfig(s, environ), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return b.Run(ctx)
}

// On the same database, the plan `trmctl boot plan` prints is the plan the
// boot then decides, and the boot does what it says: the db-init files it
// lists and no other, bootstrap when it says so, the schema apply when it
// plans changes, and a stop, changing nothing, on what it refuses.
func TestBootPlanIsWhatTheBootThenDoes(t *testing.T) {
	dbURL := pg.New(t)
	env := bootPlanEnv(t, dbURL)
	env["TRM_DB_INIT_DIR"] = testenv.CopyTree(t, testenv.Path(t, "db-init"))
	states := []struct {
		name    string
		prepare func(t *testing.T)
		check   func(t *testing.T, plan planView, out *boot.Outcome, err error)
	}{
		{"fresh database", nil, func(t *testing.T, plan planView, out *boot.Outcome, err error) {
			if err != nil || plan.FastPath || !plan.Bootstrap || len(plan.Pending) == 0 || plan.Schema == nil {
				t.Fatalf("plan %+v, boot %v", plan, err)
			}
			if !out.Bootstrapped || !out.Applied {
				t.Errorf("bootstrapped %v, applied %v", out.Bootstrapped, out.Applied)
			}
		}},
		{"warm reboot", nil, func(t *testing.T, plan planView, out *boot.Outcome, err error) {
			if err != nil || !plan.FastPath || !out.FastPath {
				t.Fatalf("plan %+v, outcome %+v, %v", plan, out, err)
			}
		}},
		{"pending db-init file", func(t *testing.T) {
			f := filepath.Join(env["TRM_DB_INIT_DIR"], "900_agree.sql")
			if err := os.WriteFile(f, []byte("CREATE TABLE IF NOT EXISTS trm_agree (id int);\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, plan planView, out *boot.Outcome, err error) {
			if err != nil || plan.Bootstrap || len(plan.Pending) != 1 || plan.Pending[0].Path != "900_agree.sql" || plan.Reason != "1 db-init file(s) pending" {
				t.Fatalf("plan %+v, %v", plan, err)
			}
			if out.Bootstrapped || out.Applied {
				t.Errorf("bootstrapped %v, applied %v: the plan said neither", out.Bootstrapped, out.Applied)
			}
		}},
		{"stale committed snapshot", func(t *testing.T) {
			env["TRM_SNAPSHOT"] = "testdata/empty-11.17.4.yaml"
			env["TRM_ACCESS_APPLY"] = "skip"
		}, func(t *testing.T, plan planView, out *boot.Outcome, err error) {
			var de *boot.DestructiveError
			if !errors.As(err, &de) || len(plan.Refused) == 0 || len(de.Changes) != len(plan.Refused) {
				t.Fatalf("plan refuses %v, the boot: %v", plan.Refused, err)
			}
			if out.Bootstrapped || out.Applied || len(out.DBInit) != 0 {
				t.Errorf("the boot changed something before refusing: %+v", out)
			}
		}},
	}
	for _, s := range states {
		t.Run(s.name, func(t *testing.T) {
			if s.prepare != nil {
				s.prepare(t)
			}
			code, stdout, stderr := trmctl(t, env, "boot", "plan", "--json")
			var plan planView
			if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", code, err, stdout, stderr)
			}
			if wantCode := map[bool]int{true: 1, false: 0}[len(plan.Refused) > 0]; code != wantCode {
				t.Errorf("boot plan exit %d, want %d\n%s", code, wantCode, stderr)
			}
			out, err := bootNow(t, env)
			if out == nil || out.Plan == nil {
				t.Fatalf("the boot decided nothing: %v", err)
			}
			if decided := viewOf(t, out.Plan); !reflect.DeepEqual(plan, decided) {
				a, _ := json.MarshalIndent(plan, "", " ")
				b, _ := json.MarshalIndent(decided, "", " ")
				t.Fatalf("trmctl boot plan:\n%s\nthe boot decided:\n%s", a, b)
			}
			var applied []string
			for _, f := range out.DBInit {
				applied = append(applied, f.Migration.Path)
			}
			var pending []string
			for _, p := range plan.Pending {
				pending = append(pending, p.Path)
			}
			if err == nil && !reflect.DeepEqual(applied, pending) {
				t.Errorf("the boot applied %v, the plan listed %v", applied, pending)
			}
			s.check(t, plan, out, err)
		})
	}
}
