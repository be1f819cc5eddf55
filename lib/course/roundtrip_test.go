package course

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// roundTrip writes c with write, reads it back with read and fails unless
// the course read equals c.
func roundTrip(t *testing.T, seed uint64, c *Course, write func(*bytes.Buffer, *Course) error, read func([]byte) (*Course, error)) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("seed %d: the generator made an invalid course: %v", seed, err)
	}
	var buf bytes.Buffer
	if err := write(&buf, c); err != nil {
		t.Fatalf("seed %d: write: %v", seed, err)
	}
	got, err := read(buf.Bytes())
	if err != nil {
		t.Fatalf("seed %d: read back: %v\n%s", seed, err, buf.String())
	}
	clearSources(got)
	if !reflect.DeepEqual(got, c) {
		want, _ := json.MarshalIndent(c, "", " ")
		have, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("seed %d: the course read back differs from the one written\nwritten: %s\nread: %s\nfile:\n%s", seed, want, have, buf.String())
	}
}

func TestGPXRoundTripKeepsEveryRandomCourse(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		c := genCourse(rand.New(rand.NewPCG(seed, 1)))
		roundTrip(t, seed, c, func(b *bytes.Buffer, c *Course) error { return WriteGPX(b, c) },
			func(data []byte) (*Course, error) {
				c, rep, err := Decode(bytes.NewReader(data), DecodeOptions{Name: "rt.gpx"})
				if err == nil && rep.Format != FormatTRMGPX {
					t.Fatalf("seed %d: read as %s, want %s", seed, rep.Format, FormatTRMGPX)
				}
				return c, err
			})
	}
}

func TestGeoJSONRoundTripKeepsEveryRandomCourse(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		c := genCourse(rand.New(rand.NewPCG(seed, 2)))
		roundTrip(t, seed, c, func(b *bytes.Buffer, c *Course) error { return WriteGeoJSON(b, c) },
			func(data []byte) (*Course, error) {
				c, rep, err := Decode(bytes.NewReader(data), DecodeOptions{Name: "rt.geojson"})
				if err == nil && rep.Format != FormatGeoJSON {
					t.Fatalf("seed %d: read as %s, want %s", seed, rep.Format, FormatGeoJSON)
				}
				return c, err
			})
	}
}
