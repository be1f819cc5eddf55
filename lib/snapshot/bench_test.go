package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot/snapshottest"
)

// The benchmark schemas: 200 and 1,000 collections of 20 fields, as in
// the speed goals (3.4 and 17 MB of compact JSON, 4.2 and 21 MB of YAML).
var benchSizes = []int{200, 1000}

func benchInputs(b *testing.B, collections int) (js, yaml []byte) {
	b.Helper()
	s := snapshottest.Generate(collections, 20)
	js, err := s.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	yaml, err = s.YAML()
	if err != nil {
		b.Fatal(err)
	}
	return js, yaml
}

// BenchmarkParse reads each benchmark schema as the REST API sends it
// (compact JSON) and as the CLI writes it (YAML). yaml-general is the
// same YAML behind a comment line, which the block reader leaves to the
// YAML library: what any YAML that is not Directus's own costs.
func BenchmarkParse(b *testing.B) {
	for _, n := range benchSizes {
		js, yaml := benchInputs(b, n)
		general := append([]byte("# not as Directus writes it\n"), yaml...)
		for _, tc := range []struct {
			format string
			data   []byte
		}{{"json", js}, {"yaml", yaml}, {"yaml-general", general}} {
			b.Run(fmt.Sprintf("%s/%dx20", tc.format, n), func(b *testing.B) {
				b.SetBytes(int64(len(tc.data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := snapshot.Parse("bench", tc.data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkReadFile is what a program pays per snapshot file: open, a
// bounded read, parse.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	for _, n := range benchSizes {
		js, yaml := benchInputs(b, n)
		for _, tc := range []struct {
			format string
			data   []byte
		}{{"json", js}, {"yaml", yaml}} {
			path := filepath.Join(dir, fmt.Sprintf("%d.%s", n, tc.format))
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%dx20", tc.format, n), func(b *testing.B) {
				b.SetBytes(int64(len(tc.data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := snapshot.ReadFile(path); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDiff(b *testing.B) {
	for _, n := range benchSizes {
		from := snapshottest.Generate(n, 20)
		to := snapshottest.Change(from, 0.05, 1)
		if c := len(snapshot.Diff(from, to).Changes); c < n {
			b.Fatalf("only %d changes", c)
		}
		b.Run(fmt.Sprintf("%dx20", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				snapshot.Diff(from, to)
			}
		})
	}
}

func BenchmarkWriteYAML(b *testing.B) {
	s := snapshottest.Generate(1000, 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.YAML(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseWithBase reads the second snapshot of a pair (5% changed)
// with the first as its base, as trmctl snapshot diff does, and without:
// B/op is what the read allocates, text excluded.
func BenchmarkParseWithBase(b *testing.B) {
	for _, n := range benchSizes {
		from := snapshottest.Generate(n, 20)
		to := snapshottest.Change(from, 0.05, 1)
		for _, format := range []string{"json", "yaml"} {
			text := func(s *snapshot.Snapshot) []byte {
				data, err := s.MarshalJSON()
				if format == "yaml" {
					data, err = s.YAML()
				}
				if err != nil {
					b.Fatal(err)
				}
				return data
			}
			base, err := snapshot.Parse("from", text(from))
			if err != nil {
				b.Fatal(err)
			}
			data := text(to)
			for _, mode := range []string{"without", "with"} {
				opts := []snapshot.Option{}
				if mode == "with" {
					opts = append(opts, snapshot.WithBase(base))
				}
				b.Run(fmt.Sprintf("%s/%dx20/%s", format, n, mode), func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := snapshot.Parse("to", data, opts...); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkMarshalJSON writes a snapshot read from its compact JSON, as the
// boot sends the committed one to Directus: B/op is the output alone.
func BenchmarkMarshalJSON(b *testing.B) {
	js, _ := benchInputs(b, 1000)
	s, err := snapshot.Parse("bench", js)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
