package snapshot_test

import (
	"bytes"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot"
	"git.dev.trmtracking.org/trm/directus/lib/snapshot/snapshottest"
)

// TestWithBaseOnALargePair: the second of a 300-collection pair (5%
// changed) reads the same with the first as its base as without, in YAML,
// JSON and JSON in the REST API's envelope, gives the same diff, and holds the first's own maps for the
// items it did not change — enough items for the slabs the reader cuts
// maps from to be given back across their boundaries many times.
func TestWithBaseOnALargePair(t *testing.T) {
	from := snapshottest.Generate(300, 20)
	to := snapshottest.Change(from, 0.05, 7)
	for _, format := range []string{"yaml", "json", "json in an envelope"} {
		t.Run(format, func(t *testing.T) {
			text := func(s *snapshot.Snapshot) []byte {
				b, err := s.YAML()
				if format != "yaml" {
					b, err = s.MarshalJSON()
				}
				if err != nil {
					t.Fatal(err)
				}
				if format == "json in an envelope" {
					// As GET /schema/snapshot returns it: items one level deeper.
					b = append(append([]byte(`{"data":`), b...), '}')
				}
				return b
			}
			base, err := snapshot.Parse("from", text(from))
			if err != nil {
				t.Fatal(err)
			}
			toText := text(to)
			plain, err := snapshot.Parse("to", toText)
			if err != nil {
				t.Fatal(err)
			}
			got, err := snapshot.Parse("to", toText, snapshot.WithBase(base))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(text(plain), text(got)) {
				t.Error("read with a base, the snapshot writes differently")
			}
			var want, have bytes.Buffer
			if err := snapshot.Diff(base, plain).WriteJSON(&want); err != nil {
				t.Fatal(err)
			}
			if err := snapshot.Diff(base, got).WriteJSON(&have); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want.Bytes(), have.Bytes()) {
				t.Error("read with a base, the diff differs")
			}
			own := map[*snapshot.Map]bool{}
			for _, f := range base.Fields {
				own[f.Raw] = true
			}
			shared, changed := 0, 0
			for _, f := range got.Fields {
				if own[f.Raw] {
					shared++
				}
			}
			for _, c := range snapshot.Diff(base, plain).Changes {
				if c.Kind == snapshot.KindField {
					changed++
				}
			}
			if shared+changed < len(got.Fields) || shared == 0 {
				t.Errorf("%d of %d fields shared, %d changed: every unchanged field should be shared", shared, len(got.Fields), changed)
			}
		})
	}
}
