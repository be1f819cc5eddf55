package boot

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
)

func env(vars map[string]string) directusctl.Env {
	return directusctl.Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, ReadFile: os.ReadFile}
}

var dbVars = map[string]string{"DB_HOST": "db", "DB_DATABASE": "directus", "DB_USER": "trm", "DB_PASSWORD": "pw"}

func TestConfigDefaultsMatchTheImage(t *testing.T) {
	c, err := ConfigFromEnv(env(dbVars), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://trm:pw@db:5432/directus" || c.ApplyMode != ApplyAuto || c.TimescaleDB != "required" ||
		c.DBWaitTimeout != time.Minute || c.SnapshotPath != "/directus/snapshots/schema.yaml" || c.DBInitDir != "/directus/db-init" ||
		!reflect.DeepEqual(c.StartCommand, []string{"pm2-runtime", "start", "ecosystem.config.cjs"}) ||
		c.CLI.Dir != "/directus" || c.CLI.Node != "node" || c.Allow.All || len(c.Allow.Keys) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if !reflect.DeepEqual(c.Exclude, OwnedTables) {
		t.Errorf("exclude %v", c.Exclude)
	}
}

func TestConfigRefusesBadSettingsNamingThem(t *testing.T) {
	cases := map[string]map[string]string{
		"TRM_SCHEMA_APPLY":      {"TRM_SCHEMA_APPLY": "yolo"},
		"TRM_TIMESCALEDB":       {"TRM_TIMESCALEDB": "maybe"},
		"TRM_DB_WAIT_TIMEOUT":   {"TRM_DB_WAIT_TIMEOUT": "soon"},
		"TRM_ALLOW_DESTRUCTIVE": {"TRM_ALLOW_DESTRUCTIVE": "table:foo"},
	}
	for setting, vars := range cases {
		for k, v := range dbVars {
			vars[k] = v
		}
		_, err := ConfigFromEnv(env(vars), nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Setting != setting {
			t.Errorf("%s: got %v", setting, err)
		}
	}
	if _, err := ConfigFromEnv(env(map[string]string{}), nil); err == nil {
		t.Error("no database settings accepted")
	}
}

func TestWaitTimeoutAcceptsPlainSeconds(t *testing.T) {
	vars := map[string]string{"TRM_DB_WAIT_TIMEOUT": "5", "TRM_DATABASE_URL": "postgres://x@y/z"}
	c, err := ConfigFromEnv(env(vars), nil)
	if err != nil || c.DBWaitTimeout != 5*time.Second {
		t.Fatalf("%v %v", c, err)
	}
}

func change(kind snapshot.Kind, coll, field string, op snapshot.Op) snapshot.Change {
	return snapshot.Change{Kind: kind, Key: snapshot.Key{Collection: coll, Field: field}, Op: op, Severity: snapshot.SeverityDestructive}
}

func TestAllowanceAllowsExactlyWhatWasNamed(t *testing.T) {
	a, err := ParseAllowance("collection:crews, field:entries.notes")
	if err != nil {
		t.Fatal(err)
	}
	allowed := []snapshot.Change{
		change(snapshot.KindCollection, "crews", "", snapshot.OpDelete),
		change(snapshot.KindField, "crews", "name", snapshot.OpDelete),        // goes with its collection
		change(snapshot.KindRelation, "crews", "entry_id", snapshot.OpDelete), // so does its relation
		change(snapshot.KindField, "entries", "notes", snapshot.OpUpdate),
	}
	for _, c := range allowed {
		if !a.Allows(c) {
			t.Errorf("%s %s refused", c.Op, AllowKey(c))
		}
	}
	refused := []snapshot.Change{
		change(snapshot.KindCollection, "crew", "", snapshot.OpDelete),
		change(snapshot.KindField, "entries", "race_number", snapshot.OpDelete),
		change(snapshot.KindField, "crews", "name", snapshot.OpUpdate), // a type change is not part of deleting crews
	}
	for _, c := range refused {
		if a.Allows(c) {
			t.Errorf("%s %s allowed", c.Op, AllowKey(c))
		}
	}
	all, _ := ParseAllowance("all")
	if !all.Allows(refused[0]) {
		t.Error("all does not allow everything")
	}
}

func TestParseAllowanceRejectsMalformedItems(t *testing.T) {
	for _, s := range []string{"crews", "collection:", "table:crews", "field:crews", "relation:crews"} {
		if _, err := ParseAllowance(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
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
