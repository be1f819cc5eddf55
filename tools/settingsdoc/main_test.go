package main

import (
	"os"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
)

func TestTheReadmeHoldsTheGeneratedTable(t *testing.T) {
	if err := run("../../README.md", true); err != nil {
		t.Fatal(err)
	}
}

func TestReplaceWritesBetweenTheMarkersOnly(t *testing.T) {
	doc := "# title\n" + begin + "stale\n" + end + "after\n"
	got, err := replace([]byte(doc), "| new |\n")
	if err != nil || string(got) != "# title\n"+begin+"| new |\n"+end+"after\n" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := replace([]byte("no markers\n"), "x"); err == nil {
		t.Error("a file without markers was accepted")
	}
}

func TestCheckFailsOnAStaleTableAndChangesNothing(t *testing.T) {
	path := t.TempDir() + "/README.md"
	stale := begin + "| old |\n" + end
	if err := os.WriteFile(path, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(path, true); err == nil || !strings.Contains(err.Error(), "go run ./tools/settingsdoc") {
		t.Fatalf("check passed on a stale table: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != stale {
		t.Fatal("check changed the file")
	}
	if err := run(path, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), settings.Markdown()) {
		t.Fatal("the table was not written")
	}
}
