package snapshot

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		line, col  int
		path       string
		msgContain string
	}{
		{"empty", "", 0, 0, "", "empty input"},
		{"blank", "  \n\n", 0, 0, "", "empty input"},
		{"yaml syntax", "version: 1\ncollections:\n  - a: b\n   c: d\n", 3, 0, "", "invalid YAML"},
		{"yaml flow syntax", "a: 1\nb: 2\nc: [1, 2\nd: 4\n", 3, 0, "", "did not find expected ',' or ']'"},
		{"yaml scanner", "a: 1\nb: c: d\n", 2, 0, "", "mapping values are not allowed"},
		{"yaml tab indent", "version: 1\n\tcollections: []\n", 2, 0, "", "invalid YAML"},
		{"json syntax", "{\n  \"version\": 1,\n  \"collections\": [,]\n}", 3, 19, "", "invalid JSON"},
		{"json truncated", "{\"version\": 1, \"collections\": [", 1, 32, "", "unexpected end"},
		{"json trailing", "{\"version\": 1, \"directus\": \"x\", \"collections\": [], \"fields\": [], \"relations\": []} {}", 1, 0, "", "after the snapshot"},
		{"top level list", "- a\n- b\n", 1, 1, "", "top level is a list"},
		{"top level string", "hello\n", 1, 1, "", "top level is a string"},
		{"no version", "directus: 11.0.0\ncollections: []\n", 1, 1, "", "no version key"},
		{"bad version", "version: 3\ndirectus: x\ncollections: []\nfields: []\nrelations: []\n", 1, 10, "version", "unsupported snapshot version 3"},
		{"version string", "version: '1'\ndirectus: x\n", 1, 10, "version", "unsupported snapshot version"},
		{"missing fields", "version: 1\ndirectus: x\ncollections: []\nrelations: []\n", 1, 1, "", "no fields key"},
		{"collections not a list", "version: 1\ndirectus: x\ncollections: {}\nfields: []\nrelations: []\n", 3, 14, "collections", "must be a list"},
		{"item not a map", "version: 1\ndirectus: x\ncollections:\n  - devices\nfields: []\nrelations: []\n", 4, 5, "collections[0]", "must be a map"},
		{"field without key", "version: 1\ndirectus: x\ncollections: []\nfields:\n  - collection: a\n    type: string\nrelations: []\n", 5, 5, "fields[0]", "no field key"},
		{"field key not string", "version: 1\ndirectus: x\ncollections: []\nfields:\n  - collection: a\n    field: 12\nrelations: []\n", 6, 12, "fields[0].field", "non-empty string"},
		{"duplicate field", "version: 1\ndirectus: x\ncollections: []\nfields:\n  - collection: a\n    field: b\n  - collection: a\n    field: b\nrelations: []\n", 8, 12, "fields[1].field", "listed twice"},
		{"duplicate key", "version: 1\nversion: 1\n", 2, 1, "", "duplicate key"},
		{"json duplicate key", "{\"version\": 1,\n \"version\": 1}", 2, 2, "", "duplicate key"},
		{"json semantic", "{\"version\": 1, \"directus\": \"x\", \"collections\": [], \"fields\": [{\"collection\": \"a\", \"field\": null}], \"relations\": []}", 1, 92, "fields[0].field", "non-empty string"},
		{"two documents", "version: 1\n---\nversion: 1\n", 2, 1, "", "more than one YAML document"},
		{"infinity", "version: 1\ndirectus: x\ncollections: []\nfields: []\nrelations: []\nx: .inf\n", 6, 4, "", "cannot be represented"},
		{"complex key", "? [a]\n: b\n", 1, 3, "", "mapping keys"},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n", 0, 0, "", "too many values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("in.yaml", []byte(tt.input))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Source != "in.yaml" || !strings.HasPrefix(err.Error(), "in.yaml") {
				t.Errorf("error does not name the source: %v", err)
			}
			if !strings.Contains(pe.Msg, tt.msgContain) {
				t.Errorf("message %q lacks %q", pe.Msg, tt.msgContain)
			}
			if tt.line != 0 && pe.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tt.line, err)
			}
			if tt.col != 0 && pe.Column != tt.col {
				t.Errorf("column %d, want %d (%v)", pe.Column, tt.col, err)
			}
			if pe.Path != tt.path {
				t.Errorf("path %q, want %q", pe.Path, tt.path)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	_, err := ReadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(p, []byte("version: 1\n  collections: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(p)
	if !errors.As(err, &pe) || pe.Source != p || pe.Line == 0 {
		t.Fatalf("malformed file: %#v", err)
	}
}

func TestParseKeepsUnknownKeys(t *testing.T) {
	in := `version: 1
directus: 11.17.4
vendor: postgres
collections:
  - collection: a
    future: 1
    meta:
      collection: a
      zz_new: true
    schema:
      name: a
      owner: me
fields: []
systemFields: []
relations: []
later: [1, 2]
`
	s := mustParse(t, "in.yaml", []byte(in))
	if v, _ := s.Collections[0].Raw.Get("future"); !Equal(v, num("1")) {
		t.Fatalf("unknown item key lost: %v", s.Collections[0].Raw.Keys())
	}
	out := string(yamlOf(t, s))
	for _, want := range []string{"    future: 1\n", "      zz_new: true\n", "      owner: me\n", "later:\n  - 1\n  - 2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("written snapshot lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "version: 1\ndirectus: 11.17.4\nvendor: postgres\ncollections:") {
		t.Errorf("top-level order:\n%s", out)
	}
}

func TestSystemFieldsAlwaysWritten(t *testing.T) {
	s := mustParse(t, "old.yaml", []byte("version: 1\ndirectus: 9.22.4\ncollections: []\nfields: []\nrelations: []\n"))
	got := string(yamlOf(t, s))
	want := "version: 1\ndirectus: 9.22.4\ncollections: []\nfields: []\nsystemFields: []\nrelations: []\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	js, _ := s.MarshalJSON()
	if !bytes.Contains(js, []byte(`"systemFields":[]`)) {
		t.Fatalf("JSON lacks systemFields: %s", js)
	}
}

func TestParseEnvelopeAndFormats(t *testing.T) {
	envelope := `{"data":{"version":1,"directus":"11.17.4","vendor":"postgres","collections":[{"collection":"a","meta":null,"schema":{"name":"a"}}],"fields":[],"systemFields":[],"relations":[]}}`
	s := mustParse(t, "rest.json", []byte(envelope))
	if len(s.Collections) != 1 || s.Vendor != "postgres" {
		t.Fatalf("envelope not unwrapped: %+v", s)
	}
	// Flow-style YAML starts with a brace but is not JSON.
	flow := mustParse(t, "flow.yaml", []byte("{version: 1, directus: x, collections: [], fields: [], relations: []}\n"))
	if flow.Version != 1 {
		t.Fatal("flow YAML not read")
	}
	// BOM, CRLF, four-space indent, anchors and merge keys.
	odd := "\xef\xbb\xbfversion: 1\r\ndirectus: '9.0.0'\r\ncollections:\r\n    -   collection: a\r\n        meta: &m\r\n            icon: box\r\n    -   collection: b\r\n        meta:\r\n            <<: *m\r\n            note: hi\r\nfields: []\r\nrelations: []\r\n"
	s = mustParse(t, "odd.yaml", []byte(odd))
	if getString(s.Collections[1].Meta(), "icon") != "box" || getString(s.Collections[1].Meta(), "note") != "hi" {
		t.Fatalf("merge key: %v", s.Collections[1].Meta().Keys())
	}
	// YAML number spellings become JSON numbers.
	nums := mustParse(t, "n.yaml", []byte("version: 1\ndirectus: x\ncollections: []\nfields: []\nrelations: []\nx: [0x1F, 1_000, +5, .5, 1e3, 0o17]\n"))
	js, err := nums.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"x":[31,1000,5,0.5,1e3,15]`)) {
		t.Fatalf("numbers: %s", js)
	}
}

func TestParseNeverPanicsOnOddInput(t *testing.T) {
	inputs := []string{
		"{", "[", "}", "\x00", "version: 1\ncollections: [[[[[[[[[[[[", "- - - - -", "? ? ?", "&a *a", "*x",
		"version: !!binary aGk=", "version: 1\ndirectus: [1]\n", "%YAML 1.1\n---\n", "---\n...\n", "'", "\"\\u00\"",
		strings.Repeat("[", 5000), strings.Repeat("{\"a\":", 5000),
	}
	for _, in := range inputs {
		if _, err := Parse("odd", []byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte(baseYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	limit := int64(len(baseYAML)) - 1

	t.Run("a file over the limit is refused by its size, naming it", func(t *testing.T) {
		big := filepath.Join(dir, "big.yaml")
		if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 3000), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(big, WithMaxSize(2048))
		var se *SizeError
		if !errors.As(err, &se) || se.Source != big || se.Size != 3000 || se.Limit != 2048 {
			t.Fatalf("got %#v", err)
		}
		want := big + ": 3000 bytes (2.9 KiB) is over the snapshot size limit of 2048 bytes (2 KiB)"
		if err.Error() != want {
			t.Fatalf("message %q, want %q", err, want)
		}
	})
	t.Run("at the limit it is read", func(t *testing.T) {
		if _, err := ReadFile(small, WithMaxSize(limit+1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a huge sparse file is refused without being read", func(t *testing.T) {
		huge := filepath.Join(dir, "huge.yaml")
		f, err := os.Create(huge)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 40); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = ReadFile(huge)
		var se *SizeError
		if !errors.As(err, &se) || se.Size != 1<<40 || se.Limit != DefaultMaxSize {
			t.Fatalf("got %#v", err)
		}
		if !strings.Contains(err.Error(), "1099511627776 bytes (1 TiB) is over the snapshot size limit of 67108864 bytes (64 MiB)") {
			t.Fatalf("message %q", err)
		}
	})
	t.Run("an endless file that is not regular stops one byte past the limit", func(t *testing.T) {
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero on this system")
		}
		_, err := ReadFile("/dev/zero", WithMaxSize(1<<20))
		var se *SizeError
		if !errors.As(err, &se) || se.Size != 0 || se.Limit != 1<<20 {
			t.Fatalf("got %#v", err)
		}
		if err.Error() != "/dev/zero: more than the snapshot size limit of 1048576 bytes (1 MiB)" {
			t.Fatalf("message %q", err)
		}
	})
	t.Run("an endless stream stops one byte past the limit", func(t *testing.T) {
		r := &countingReader{}
		_, err := Read("<stdin>", r, WithMaxSize(1<<20))
		var se *SizeError
		if !errors.As(err, &se) || se.Source != "<stdin>" {
			t.Fatalf("got %#v", err)
		}
		if r.n > 1<<20+64<<10 {
			t.Fatalf("read %d bytes for a limit of %d", r.n, 1<<20)
		}
	})
	t.Run("Parse applies the limit to what it is given", func(t *testing.T) {
		_, err := Parse("mem", []byte(baseYAML), WithMaxSize(limit))
		var se *SizeError
		if !errors.As(err, &se) || se.Size != int64(len(baseYAML)) {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("zero or less keeps the default", func(t *testing.T) {
		for _, n := range []int64{0, -5} {
			if _, err := ReadFile(small, WithMaxSize(n)); err != nil {
				t.Fatalf("WithMaxSize(%d): %v", n, err)
			}
		}
	})
}

// countingReader yields 'a' forever and counts what it gave.
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	r.n += len(p)
	return len(p), nil
}

func TestReadFileOfADirectoryNamesIt(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(dir)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Source != dir || !strings.Contains(err.Error(), "cannot read file: is a directory") {
		t.Fatalf("got %v", err)
	}
}
