package snapshot

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func sampleResult(t *testing.T) *Result {
	t.Helper()
	from := base(t)
	to := from.Clone()
	setPath(findField(to, "devices", "name").Raw, "schema.max_length", num("100"))
	setPath(findField(to, "devices", "name").Raw, "meta.note", "a | b `c`")
	to.Fields = slices.DeleteFunc(to.Fields, func(f *Field) bool { return f.Name() == "notes" })
	to.SystemFields = nil
	to.Collections = append(to.Collections, &Collection{Raw: NewMap(Member{"collection", "depots"})})
	return Diff(from, to)
}

func TestWriteText(t *testing.T) {
	r := sampleResult(t)
	var plain, color bytes.Buffer
	if err := r.WriteText(&plain, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&color, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	want := "  create  collection   depots\n" +
		"! update  field        devices.name\n" +
		"      ! shrinks schema.max_length 255 → 100: truncates or rejects longer values\n" +
		"      meta.note          null → \"a | b `c`\"\n" +
		"      schema.max_length  255 → 100\n" +
		"! delete  field        devices.notes\n" +
		"      ! drops column devices.notes and its data\n" +
		"* delete  systemField  directus_activity.timestamp\n" +
		"      * drops the index on directus_activity.timestamp\n" +
		"\n4 changes: 1 create, 1 update, 2 delete; 2 destructive, 1 warning\n"
	if plain.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", plain.String(), want)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour without Color")
	}
	if !strings.Contains(color.String(), "\x1b[1;31m!") {
		t.Error("no colour with Color")
	}
	var empty bytes.Buffer
	if err := (&Result{}).WriteText(&empty, TextOptions{}); err != nil || empty.String() != "No differences.\n" {
		t.Errorf("empty: %q %v", empty.String(), err)
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult(t).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"**Schema diff:** 4 changes (1 create, 1 update, 2 delete) — **2 destructive**, 1 warning\n\n",
		"| | Operation | Kind | Key | Details |\n|---|---|---|---|---|\n",
		"| 🛑 | delete | field | `devices.notes` | **drops column devices.notes and its data** |\n",
		"| ⚠️ | delete | systemField | `directus_activity.timestamp` | drops the index on directus_activity.timestamp |\n",
		"`meta.note`: `null` → `` \"a \\| b `c`\" ``<br>`schema.max_length`: `255` → `100`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	if err := (&Result{}).WriteMarkdown(&b); err != nil || b.String() != "**Schema diff:** no differences.\n" {
		t.Errorf("empty: %q", b.String())
	}
}

func TestWriteJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult(t).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary map[string]int   `json:"summary"`
		Changes []map[string]any `json:"changes"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary["create"] != 1 || doc.Summary["update"] != 1 || doc.Summary["delete"] != 2 || doc.Summary["destructive"] != 2 || doc.Summary["warnings"] != 1 {
		t.Errorf("summary %v", doc.Summary)
	}
	for _, c := range doc.Changes {
		var keys []string
		for k := range c {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"collection", "field", "key", "kind", "op", "paths", "reasons", "severity"}; !slices.Equal(keys, want) {
			t.Errorf("change keys %v, want %v", keys, want)
		}
		if c["reasons"] == nil || c["paths"] == nil {
			t.Errorf("null list in %v", c)
		}
	}
	if !bytes.Contains(b.Bytes(), []byte(`"path": "schema.max_length",
          "old": 255,
          "new": 100`)) {
		t.Errorf("paths:\n%s", b.String())
	}
	b.Reset()
	if err := (&Result{}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"summary\": {\n    \"create\": 0,\n    \"update\": 0,\n    \"delete\": 0,\n    \"destructive\": 0,\n    \"warnings\": 0\n  },\n  \"changes\": []\n}\n"
	if b.String() != want {
		t.Errorf("empty JSON:\n%s", b.String())
	}
}
