package course

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// addCourseSeeds gives a fuzzer real files: the OpenRally stage of
// testdata, random courses written by writer, and a few odd shapes.
func addCourseSeeds(f *testing.F, writer func(*bytes.Buffer, *Course) error, extra ...string) {
	if data, err := os.ReadFile("testdata/openrally-stage.gpx"); err == nil {
		f.Add(data)
	}
	for seed := uint64(0); seed < 4; seed++ {
		var b bytes.Buffer
		if err := writer(&b, genCourse(rand.New(rand.NewPCG(seed, 9)))); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkDecoded is the property both fuzzers assert: Decode never panics and
// returns only its two error types; a *DecodeError comes alone, a
// *ValidationError with the course; an accepted course is valid and comes
// back equal through both writers.
func checkDecoded(t *testing.T, data []byte) {
	c, rep, err := Decode(bytes.NewReader(data), DecodeOptions{Name: "fuzz"})
	if err != nil {
		var de *DecodeError
		var ve *ValidationError
		switch {
		case errors.As(err, &de):
			if c != nil || rep != nil {
				t.Fatal("a *DecodeError came with a course")
			}
		case errors.As(err, &ve):
			if c == nil || rep == nil || len(ve.Problems) == 0 {
				t.Fatal("a *ValidationError without its course or problems")
			}
		default:
			t.Fatalf("error of type %T: %v", err, err)
		}
		return
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("accepted an invalid course: %v", err)
	}
	clearSources(c)
	for _, w := range []func(*bytes.Buffer, *Course) error{
		func(b *bytes.Buffer, c *Course) error { return WriteGPX(b, c) },
		func(b *bytes.Buffer, c *Course) error { return WriteGeoJSON(b, c) },
	} {
		var b bytes.Buffer
		if err := w(&b, c); err != nil {
			t.Fatalf("cannot write an accepted course: %v", err)
		}
		again, _, err := Decode(&b, DecodeOptions{})
		if err != nil {
			t.Fatalf("cannot read back an accepted course: %v", err)
		}
		clearSources(again)
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("an accepted course changed through a write and read")
		}
	}
}

func FuzzDecodeGPX(f *testing.F) {
	addCourseSeeds(f, func(b *bytes.Buffer, c *Course) error { return WriteGPX(b, c) },
		stageGPX(orWpt("41.1", "20.1", "TC1", `<openrally:timecontrol allowed="20"/><openrally:dss/>`), orWpt("41.2", "20.2", "ASS", `<openrally:ass/><openrally:dt/>`)),
		`<gpx xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="41" lon="20"><name>DZ1 50 km/h</name></wpt><wpt lat="41.1" lon="20"><name>FZ1</name></wpt><rte><rtept lat="41" lon="20"/></rte></gpx>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><gpx xmlns="http://www.topografix.com/GPX/1/0"><wpt lat="41" lon="20"><name>CP1</name></wpt></gpx>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) { checkDecoded(t, data) })
}

func FuzzDecodeGeoJSON(f *testing.F) {
	addCourseSeeds(f, func(b *bytes.Buffer, c *Course) error { return WriteGeoJSON(b, c) },
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"layer":"stages","code":"S1","name":"S","sort_order":1}}]}`,
		`{"type":"FeatureCollection","trm_course":"v1","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[20,41,3]},"properties":{"layer":"waypoints","stage":"S1","segment":"L1","sort_order":1,"name":"W","type":"WPM"}}]}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) { checkDecoded(t, data) })
}

// TestMutatedInputsKeepTheDecodeProperty runs the fuzzers' property on
// deterministic mutations of their seeds (bytes flipped, cut, repeated,
// markup inserted), so that every `go test` covers what the fuzzers guard.
func TestMutatedInputsKeepTheDecodeProperty(t *testing.T) {
	var seeds [][]byte
	for seed := uint64(0); seed < 3; seed++ {
		c := genCourse(rand.New(rand.NewPCG(seed, 11)))
		var g, j bytes.Buffer
		if err := WriteGPX(&g, c); err != nil {
			t.Fatal(err)
		}
		if err := WriteGeoJSON(&j, c); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, g.Bytes(), j.Bytes())
	}
	if data, err := os.ReadFile("testdata/openrally-stage.gpx"); err == nil {
		seeds = append(seeds, data)
	}
	tokens := [][]byte{[]byte("<"), []byte(">"), []byte("\""), []byte("{"), []byte("]"), []byte(","), []byte("0"), []byte("-"),
		[]byte("<openrally:fz/>"), []byte("<openrally:dss/>"), []byte("NaN"), []byte("1e999"), []byte("&amp;"), []byte("\x00"), []byte("null")}
	r := rand.New(rand.NewPCG(42, 42))
	for i := 0; i < 1500; i++ {
		data := append([]byte(nil), seeds[r.IntN(len(seeds))]...)
		for m, n := 0, 1+r.IntN(4); m < n && len(data) > 0; m++ {
			at := r.IntN(len(data))
			switch r.IntN(4) {
			case 0:
				data[at] ^= byte(1 << r.IntN(8))
			case 1:
				data = data[:at]
			case 2:
				end := min(len(data), at+r.IntN(64))
				data = append(data[:end:end], data[at:]...)
			case 3:
				tok := tokens[r.IntN(len(tokens))]
				data = append(data[:at:at], append(tok, data[at:]...)...)
			}
		}
		checkDecoded(t, data)
	}
}
