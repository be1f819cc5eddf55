package trmctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// A bad setting is a usage error for every command, whether it uses the
// setting or not, wherever it comes from: flag, variable or config file.
func TestABadSettingIsAUsageErrorForEveryCommand(t *testing.T) {
	commands := [][]string{
		{"migrate", "status"}, {"migrate", "up"}, {"migrate", "new", "x"},
		{"snapshot", "diff", "a.yaml", "b.yaml"}, {"snapshot", "pull"}, {"snapshot", "check"},
		{"boot", "plan"}, {"seed", "apply", "seed.yaml"}, {"seed", "check", "seed.yaml"},
		{"access", "diff"}, {"access", "apply"}, {"access", "matrix"},
	}
	// The commands without --json, for which TRM_JSON means nothing.
	noJSON := map[string]bool{"snapshot": true, "seed check": true, "access matrix": true}
	config := filepath.Join(t.TempDir(), "trmctl.yaml")
	if err := os.WriteFile(config, []byte("timeout: abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sources := []struct {
		name  string
		env   map[string]string
		extra []string
		want  string
	}{
		{"TRM_TIMEOUT=abc", map[string]string{"TRM_TIMEOUT": "abc"}, nil, `TRM_TIMEOUT="abc": not a duration`},
		{"TRM_TIMEOUT=-1s", map[string]string{"TRM_TIMEOUT": "-1s"}, nil, "TRM_TIMEOUT"},
		{"TRM_DB_WAIT_TIMEOUT=-5s", map[string]string{"TRM_DB_WAIT_TIMEOUT": "-5s"}, nil, "TRM_DB_WAIT_TIMEOUT"},
		{"TRM_SNAPSHOT_EXCLUDE=[", map[string]string{"TRM_SNAPSHOT_EXCLUDE": "["}, nil, "TRM_SNAPSHOT_EXCLUDE"},
		{"TRM_TIMESCALEDB=maybe", map[string]string{"TRM_TIMESCALEDB": "maybe"}, nil, "TRM_TIMESCALEDB"},
		{"TRM_JSON=perhaps", map[string]string{"TRM_JSON": "perhaps"}, nil, "TRM_JSON"},
		{"TRM_DB_INIT_LOCK_TIMEOUT=soon", map[string]string{"TRM_DB_INIT_LOCK_TIMEOUT": "soon"}, nil, `TRM_DB_INIT_LOCK_TIMEOUT="soon"`},
		{"TRM_ALLOW_ACCESS_REMOVAL=role", map[string]string{"TRM_ALLOW_ACCESS_REMOVAL": "role"}, nil, `"role" is not an allowance`},
		{"timeout in the config file", nil, []string{"--config", config}, config + ": key timeout"},
	}
	for _, s := range sources {
		for _, c := range commands {
			args := append(append([]string{}, c...), s.extra...)
			code, out, errOut := trmctl(t, s.env, args...)
			if s.name == "TRM_JSON=perhaps" && (noJSON[c[0]] || noJSON[strings.Join(c[:2], " ")]) {
				continue
			}
			if code != 2 || out != "" || !strings.Contains(errOut, s.want) {
				t.Errorf("%s trmctl %s: exit %d, want 2 naming %q\nstdout %q\nstderr %s", s.name, strings.Join(args, " "), code, s.want, out, errOut)
			}
		}
	}
	if code, _, errOut := trmctl(t, nil, "migrate", "status", "--timeout", "abc", "--dir", "../../db-init"); code != 2 || !strings.Contains(errOut, `--timeout="abc"`) {
		t.Errorf("--timeout abc: exit %d\n%s", code, errOut)
	}
}

// The database URL is checked before the Directus CLI runs: a
// non-numeric port is a usage error that names it, never Node's stack
// trace.
func TestSnapshotCheckWithANonNumericPortSaysSoWithoutAStackTrace(t *testing.T) {
	node, script, err := testdirectus.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	runtime := map[string]string{"TRM_NODE": node, "TRM_DIRECTUS_CLI": script}
	for name, env := range map[string]map[string]string{
		"--database-url":       {},
		"DB_PORT":              {"DB_HOST": "127.0.0.1", "DB_PORT": "abc", "DB_DATABASE": "d", "DB_USER": "u", "DB_PASSWORD": "S3cret-port"},
		"DB_CONNECTION_STRING": {"DB_CONNECTION_STRING": "postgres://u:S3cret-port@127.0.0.1:abc/d"},
	} {
		for k, v := range runtime {
			env[k] = v
		}
		args := []string{"snapshot", "check", "--snapshot", committedSchema}
		if name == "--database-url" {
			args = append(args, "--database-url", "postgres://u:S3cret-port@127.0.0.1:abc/d")
		}
		code, out, errOut := trmctl(t, env, args...)
		if code != 2 || !strings.Contains(errOut, name) || !strings.Contains(errOut, "port") {
			t.Errorf("%s: exit %d, want 2 naming the port\n%s%s", name, code, out, errOut)
		}
		if strings.Contains(out+errOut, "    at ") || strings.Contains(out+errOut, "S3cret-port") || strings.Contains(out+errOut, "<nil>") {
			t.Errorf("%s: a stack trace, the password or <nil> in the output:\n%s%s", name, out, errOut)
		}
	}
}
