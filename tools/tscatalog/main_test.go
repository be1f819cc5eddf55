package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/catalog"
)

func TestRenderNamesEachEnumerationAfterItsField(t *testing.T) {
	got := string(Render([]catalog.Enum{
		catalog.Disciplines(),
		{Collection: "entry_crew", Field: "role", Constraint: "c", Choices: []catalog.Choice{{Value: "it's"}, {Value: `a\b`}, {Value: "x\ny"}}},
		{Collection: "devices", Field: "model", Open: true, Choices: []catalog.Choice{{Value: "FMB920"}}},
	}))
	for _, want := range []string{
		"export const EVENTS_DISCIPLINE = ['rally', 'time-trial', 'regatta', 'trail-run', 'hike'] as const;\n",
		"export type EventsDiscipline = (typeof EVENTS_DISCIPLINE)[number];\n",
		"/** events.discipline: the values the CHECK events_discipline_allowed allows. */",
		`export const ENTRY_CREW_ROLE = ['it\'s', 'a\\b', 'x\u000ay'] as const;`,
		"export type EntryCrewRole =",
		"/** devices.model: suggestions, other values are allowed. */",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the module lacks %q:\n%s", want, got)
		}
	}
}

// The committed module is what internal/catalog generates (make lint runs
// the same check through the command).
func TestCommittedModuleIsCurrent(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(target)))
	if err != nil {
		t.Fatal(err)
	}
	if want := Render(catalog.Phase1()); !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go run ./tools/tscatalog -w\n--- want ---\n%s", target, want)
	}
}

func TestRunChecksAndWrites(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, filepath.Dir(filepath.FromSlash(target))), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-root", root}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "make generate") {
		t.Fatalf("a missing file: exit %d, %q; want 2 naming make generate", code, errOut.String())
	}
	path := filepath.Join(root, filepath.FromSlash(target))
	if err := os.WriteFile(path, []byte("export const X = 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"-root", root}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "tools/tscatalog -w") {
		t.Fatalf("a stale file: exit %d, %q; want 1 naming the fix", code, errOut.String())
	}
	if code := run([]string{"-root", root, "-w"}, &out, &errOut); code != 0 {
		t.Fatalf("-w: exit %d, %s", code, errOut.String())
	}
	if code := run([]string{"-root", root}, &out, &errOut); code != 0 {
		t.Fatalf("after -w: exit %d, %s", code, errOut.String())
	}
	if code := run([]string{"extra"}, &out, &errOut); code != 2 {
		t.Fatalf("an argument: exit %d, want 2", code)
	}
}
