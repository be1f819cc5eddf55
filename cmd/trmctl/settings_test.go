package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
)

// A setting comes from its flag, else its variable, else the config file,
// else its default; `migrate new` shows where, writing into --dir.
func TestASettingComesFromFlagThenVariableThenConfigFileThenDefault(t *testing.T) {
	folder := func() string {
		d := t.TempDir()
		if err := os.Mkdir(filepath.Join(d, "post"), 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	flagDir, envDir, fileDir := folder(), folder(), folder()
	config := filepath.Join(t.TempDir(), "trmctl.yaml")
	if err := os.WriteFile(config, []byte("dir: "+fileDir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRM_DB_INIT_DIR": envDir}
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env, []string{"--dir", flagDir, "--config", config}, flagDir},
		{env, []string{"--config", config}, envDir},
		{nil, []string{"--config", config}, fileDir},
		{map[string]string{"TRM_CONFIG": config}, nil, fileDir},
	}
	for i, c := range cases {
		r := runCLI(t, "", c.env, false, append([]string{"migrate", "new", "step_" + string(rune('a'+i))}, c.args...)...)
		if r.code != 0 || !strings.Contains(r.out, c.want) {
			t.Errorf("case %d: exit %d, want a file in %s\n%s%s", i, r.code, c.want, r.out, r.err)
		}
	}
}

func TestABadValueIsAUsageErrorEvenForACommandThatDoesNotUseIt(t *testing.T) {
	a, b := snapshotFile("base.yaml"), snapshotFile("reordered.yaml")
	for _, env := range []map[string]string{{"TRM_TIMEOUT": "abc"}, {"TRM_TIMESCALEDB": "maybe"}, {"TRM_EXIT_CODE": "perhaps"}, {"DB_HOST": "db", "DB_PORT": "x", "DB_DATABASE": "d", "DB_USER": "u"}} {
		r := runCLI(t, "", env, false, "snapshot", "diff", a, b)
		if r.code != 2 || r.out != "" {
			t.Errorf("%v: exit %d, want 2\n%s", env, r.code, r.err)
		}
	}
}

func TestStandardErrorNeverShowsASecret(t *testing.T) {
	const secret = "S3cret-stderr"
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"migrate", "up", "postgres://u:" + secret + "@h/d"}},
		{nil, []string{"migrate", "up", "--database-url", "postgres://u:" + secret + "%zz@h/d"}},
		{map[string]string{"TRM_DIRECTUS_TOKEN": secret}, []string{"snapshot", "diff", "postgres://x/" + secret, "b"}},
		{map[string]string{"DB_PASSWORD": secret, "DB_HOST": "h", "DB_PORT": "abc", "DB_DATABASE": "d", "DB_USER": "u"}, []string{"migrate", "status"}},
	} {
		r := runCLI(t, "", c.env, false, c.args...)
		if r.code == 0 || strings.Contains(r.out+r.err, secret) {
			t.Errorf("%v %v: exit %d\n%s%s", c.env, c.args, r.code, r.out, r.err)
		}
	}
}

// A command that declared a setting's flag itself would document another
// default and meaning than the table, and its TRM_ variable would not be
// the table's: every flag named as a setting's is the table's.
func TestEveryFlagNamedAsASettingIsTheTables(t *testing.T) {
	settingFlags := map[string]string{}
	for _, s := range settings.Table() {
		if s.Flag != "" {
			settingFlags[s.Flag] = s.Env
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if env, ok := settingFlags[f.Name]; ok {
					if _, table := f.Value.(*settingValue); !table {
						t.Errorf("%s --%s is declared by the command, not by settingFlag(f, %q)", c.CommandPath(), f.Name, env)
					}
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&app{}))
}
