package boot

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

func env(vars map[string]string) directusctl.Env {
	return directusctl.Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func TestNewConfigExcludesTheOwnedTablesAndRunsTheCLIInTheDirectusFolder(t *testing.T) {
	s, err := settings.Load(settings.FromEnv(env(map[string]string{
		"TRM_DATABASE_URL": "postgres://trm:pw@db/directus", "TRM_SNAPSHOT_EXCLUDE": "audit_*", "TRM_START_COMMAND": "true", "SECRET": strings.Repeat("s", 32),
	}), nil), settings.Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConfig(s, []string{"PATH=/bin", "DB_HOST=elsewhere"})
	if want := append(append([]string{}, OwnedTables...), "audit_*"); !reflect.DeepEqual(c.Exclude, want) {
		t.Errorf("exclude %v, want %v", c.Exclude, want)
	}
	if c.CLI.Dir != "/directus" || c.CLI.Node != "node" || !strings.HasSuffix(c.CLI.Script, "/cli/run.js") {
		t.Errorf("CLI %+v", c.CLI)
	}
	// Directus gets the database the settings named, not DB_HOST.
	if !slices.Contains(c.Environ, "DB_CONNECTION_STRING=postgres://trm:pw@db/directus") || slices.Contains(c.Environ, "DB_HOST=elsewhere") {
		t.Errorf("environ %v", c.Environ)
	}
	if !reflect.DeepEqual(c.CLI.Env, c.Environ) {
		t.Error("the CLI and the start command see different environments")
	}
}

func change(kind snapshot.Kind, coll, field string, op snapshot.Op) snapshot.Change {
	return snapshot.Change{Kind: kind, Key: snapshot.Key{Collection: coll, Field: field}, Op: op, Severity: snapshot.SeverityDestructive}
}

func TestDescribeSaysWhatIsLost(t *testing.T) {
	got := Describe(change(snapshot.KindCollection, "crews", "", snapshot.OpDelete))
	if got != "delete collection crews (drops the table and every row in it)" {
		t.Fatal(got)
	}
}

// lib/snapshot names the key a hand-written snapshot lacks; the remedy,
// this repository's command, is added here.
func TestDescribeNamesTheRemedyForAnIncompleteSnapshot(t *testing.T) {
	c := change(snapshot.KindCollection, "crews", "", snapshot.OpUpdate)
	c.MissingKey = "meta.versioning"
	if got := Describe(c); !strings.HasSuffix(got, "rewrite the committed snapshot with `trmctl snapshot pull` from a running Directus") {
		t.Fatal(got)
	}
}

// TRM_SERVE=auto serves from the provisioning process only when the start
// command is Directus's own start, and PM2 would do nothing more.
func TestServesItselfOnlyWhenTheStartCommandIsDirectussOwnStart(t *testing.T) {
	pm2 := strings.Fields(settings.DefaultStartCommand)
	cli := []string{"/opt/node", "/directus/cli/run.js", "start"}
	cases := []struct {
		name    string
		start   []string
		exec    bool
		environ []string
		want    bool
	}{
		{"the image's pm2-runtime", pm2, false, []string{"PATH=/bin"}, true},
		{"one PM2 instance", pm2, false, []string{"PM2_INSTANCES=1"}, true},
		{"PM2 instances", pm2, false, []string{"PM2_INSTANCES=4"}, false},
		{"a PM2 setting", pm2, false, []string{"PM2_MAX_MEMORY_RESTART=1G"}, false},
		{"Directus's CLI start", cli, false, []string{"PM2_INSTANCES=4"}, true},
		{"another command", []string{"/usr/bin/env", "directus", "start"}, false, nil, false},
		{"provision only", []string{"true"}, false, nil, false},
		{"TRM_SERVE=exec", pm2, true, nil, false},
	}
	for _, c := range cases {
		s := &settings.Config{StartCommand: c.start, ServeExec: c.exec, Node: "/opt/node", DirectusCLI: "/directus/cli/run.js"}
		if got := servesItself(s, c.environ); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
