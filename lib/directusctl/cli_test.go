package directusctl

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// A CLI without an installed Directus fails before starting anything,
// with a *NotInstalledError naming the file, and no remedy of a
// particular repository's tooling.
func TestCLIWithoutDirectusIsNotInstalled(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "node_modules", "@directus", "api", "dist", "cli", "run.js")
	cases := []struct {
		name       string
		cli        CLI
		call       func(c *CLI) error
		script     string
		path       string
		notExisted bool
	}{
		{"no script, Run", CLI{Node: "node"}, func(c *CLI) error { _, err := c.Run(context.Background(), "bootstrap"); return err }, "", "", false},
		{"no script, Version", CLI{Node: "node"}, func(c *CLI) error { _, err := c.Version(); return err }, "", "", false},
		{"missing script, Command", CLI{Node: "node", Script: missing}, func(c *CLI) error { _, err := c.Command(context.Background(), "start"); return err }, missing, missing, true},
		{"missing package, Version", CLI{Node: "node", Script: missing}, func(c *CLI) error { _, err := c.Version(); return err }, missing,
			filepath.Join(filepath.Dir(missing), "..", "..", "package.json"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(&tc.cli)
			var ni *NotInstalledError
			if !errors.As(err, &ni) {
				t.Fatalf("got %v, want a *NotInstalledError", err)
			}
			if ni.Script != tc.script || ni.Path != tc.path || errors.Is(err, fs.ErrNotExist) != tc.notExisted {
				t.Errorf("got %+v", ni)
			}
			if strings.Contains(err.Error(), "make ") || strings.Contains(err.Error(), "trmctl") {
				t.Errorf("a library names a repository's tooling: %v", err)
			}
		})
	}
}
