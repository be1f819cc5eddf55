package trmctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// bootPlanEnv is what `trmctl boot plan` needs besides its flags: the
// database, the repository's files and the Directus CLI.
func bootPlanEnv(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	env := map[string]string{"TRM_DATABASE_URL": dbURL, "TRM_TIMESCALEDB": "optional", "TRM_SNAPSHOT": "../../snapshots/schema.yaml", "TRM_DB_INIT_DIR": "../../db-init", "TRM_ACCESS_DIR": "../../access"}
	node, script, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	env["TRM_NODE"], env["TRM_DIRECTUS_CLI"] = node, script
	return env
}

func TestBootPlanOnAFreshDatabaseListsTheWholeProvisioning(t *testing.T) {
	dbURL := pg.New(t)
	code, out, errOut := trmctl(t, bootPlanEnv(t, dbURL), "boot", "plan", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var plan struct {
		FastPath  bool   `json:"fast_path"`
		Reason    string `json:"reason"`
		Bootstrap bool   `json:"bootstrap"`
		Pending   []struct {
			Path string `json:"path"`
		} `json:"pending"`
		Schema struct {
			Summary struct {
				Create int `json:"create"`
			} `json:"summary"`
		} `json:"schema"`
		Refused []string `json:"refused"`
		Access  struct {
			Summary struct {
				Create int `json:"create"`
			} `json:"summary"`
		} `json:"access"`
		AccessRefused []json.RawMessage `json:"access_refused"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if plan.FastPath || !plan.Bootstrap || len(plan.Pending) < 4 || plan.Schema.Summary.Create == 0 || len(plan.Refused) != 0 {
		t.Fatalf("plan for a fresh database: %+v", plan)
	}
	// The access files are created too, and nobody holds anything yet.
	if plan.Access.Summary.Create == 0 || plan.AccessRefused == nil || len(plan.AccessRefused) != 0 {
		t.Fatalf("access plan for a fresh database: %+v", plan)
	}
	if code, out, _ := trmctl(t, bootPlanEnv(t, dbURL), "boot", "plan"); code != 0 || !strings.Contains(out, "access:\n") || !strings.Contains(out, "create policy viewer") {
		t.Fatalf("the text plan should list the access changes: exit %d\n%s", code, out)
	}
	if n := queryTables(t, dbURL); n != 0 {
		t.Errorf("boot plan created %d tables", n)
	}
}

func TestBootPlanAfterProvisioningTakesTheFastPathAndRefusesAStaleSnapshot(t *testing.T) {
	dbURL := pg.New(t)
	testdirectus.Provision(t, dbURL)
	env := bootPlanEnv(t, dbURL)
	code, out, errOut := trmctl(t, env, "boot", "plan")
	if code != 0 || !strings.Contains(out, "Fast path") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// The committed empty snapshot of an earlier day would drop every
	// Phase 1 collection: the boot would stop, and the plan says so.
	env["TRM_SNAPSHOT"] = "testdata/empty-11.17.4.yaml"
	// The access files describe the committed schema, not that one.
	env["TRM_ACCESS_APPLY"] = "skip"
	code, out, _ = trmctl(t, env, "boot", "plan")
	if code != 1 || !strings.Contains(out, "the boot would stop on") || !strings.Contains(out, "TRM_ALLOW_DESTRUCTIVE=collection:") {
		t.Fatalf("exit %d, want 1 with the refused changes:\n%s", code, out)
	}
}

func queryTables(t *testing.T, dbURL string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TRM_DB_INIT_DIR is the db-init folder of boot plan as of the entrypoint
// (it used to read TRM_DIR instead).
func TestBootPlanReadsTRMDBInitDir(t *testing.T) {
	dbURL := pg.New(t)
	env := bootPlanEnv(t, dbURL)
	dir := testenv.CopyTree(t, testenv.Path(t, "db-init"))
	if err := os.WriteFile(filepath.Join(dir, "900_only_here.sql"), []byte("SELECT 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env["TRM_DB_INIT_DIR"] = dir
	code, out, errOut := trmctl(t, env, "boot", "plan")
	if code != 0 || !strings.Contains(out, "900_only_here") {
		t.Fatalf("exit %d: the plan does not list the file of TRM_DB_INIT_DIR\n%s%s", code, out, errOut)
	}
	// The flag still wins over the variable.
	code, out, _ = trmctl(t, env, "boot", "plan", "--dir", "../../db-init")
	if code != 0 || strings.Contains(out, "900_only_here") {
		t.Fatalf("exit %d: --dir did not win\n%s", code, out)
	}
}
