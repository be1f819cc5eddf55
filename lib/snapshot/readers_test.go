package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// blockDeclines lists the corpus files the block reader leaves to the
// general one, with the reason; every other YAML file, and every file of
// this project's own runs, must be read by the block reader.
var blockDeclines = map[string]string{
	"DaniZGit__api.termini.si__snapshots__snapshot.yaml": "edited by hand: relations commented out",
}

// checkBlockReaderAgrees reads each YAML file with both readers: the block
// reader must read it (or be listed in blockDeclines) to the very tree the
// YAML library gives.
func checkBlockReaderAgrees(t *testing.T, files []corpusFile) {
	for _, cf := range files {
		if strings.HasSuffix(cf.name, ".json") {
			continue
		}
		data := bytes.TrimPrefix(cf.data, []byte("\xef\xbb\xbf"))
		general, _, err := readYAMLValue(cf.name, data)
		if err != nil {
			t.Fatalf("%s: %v", cf.name, err)
		}
		fast, ok := readBlockYAML(data, nil)
		if reason, listed := blockDeclines[cf.name]; listed {
			if ok {
				t.Errorf("%s: listed as declined (%s) but read", cf.name, reason)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: the block reader declined a file Directus wrote", cf.name)
			continue
		}
		if d := sameTree(fast, general); d != "" {
			t.Errorf("%s: the readers differ at %s", cf.name, d)
		}
	}
}

// checkJSONReaderAgrees reads each file's JSON forms (compact and indented
// as written here, and the file itself when it is JSON) with the JSON
// reader and with encoding/json.
func checkJSONReaderAgrees(t *testing.T, files []corpusFile) {
	for _, cf := range files {
		s := mustParse(t, cf.name, cf.data)
		inputs := [][]byte{mustJSON(t, s), jsonOf(t, s)}
		if strings.HasSuffix(cf.name, ".json") {
			inputs = append(inputs, cf.data)
		}
		for _, in := range inputs {
			got, err := readJSONValue(cf.name, in, nil)
			if err != nil {
				t.Fatalf("%s: %v", cf.name, err)
			}
			want, err := referenceJSON(in)
			if err != nil {
				t.Fatalf("%s: encoding/json: %v", cf.name, err)
			}
			if d := sameTree(got, want); d != "" {
				t.Errorf("%s: the readers differ at %s", cf.name, d)
			}
		}
	}
}

// referenceJSON reads data with encoding/json's Decoder, keeping key order:
// the oracle the JSON reader is proven against. It refuses what the JSON
// reader must refuse beyond JSON: duplicate keys and deep nesting.
func referenceJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := referenceValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

func referenceValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &Map{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := kt.(string)
				if m.Has(key) {
					return nil, fmt.Errorf("duplicate key %q", key)
				}
				v, err := referenceValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.members = append(m.members, Member{Key: key, Value: v})
			}
			_, err := dec.Token()
			return m, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := referenceValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// TestOwnSnapshotsAreDirectusBytes: what this package writes is what
// Directus 11.17.4 wrote, byte for byte, in YAML (the CLI) and in JSON
// (the REST API, inside its {"data": …} envelope).
func TestOwnSnapshotsAreDirectusBytes(t *testing.T) {
	for _, cf := range ownSnapshots(t) {
		s := mustParse(t, cf.name, cf.data)
		if strings.HasSuffix(cf.name, ".json") {
			want := []byte(`{"data":` + string(mustJSON(t, s)) + `}`)
			if !bytes.Equal(want, cf.data) {
				t.Errorf("%s: JSON written differs from Directus's at line %d", cf.name, firstDiffLine(want, cf.data))
			}
			continue
		}
		if out := yamlOf(t, s); !bytes.Equal(out, cf.data) {
			t.Errorf("%s: YAML written differs from Directus's at line %d", cf.name, firstDiffLine(out, cf.data))
		}
	}
	fromYAML := mustReadOwn(t, "11.17.4-phase1.yaml")
	fromJSON := mustReadOwn(t, "11.17.4-phase1.json")
	sameSnapshot(t, "the CLI's YAML and the REST API's JSON of one instance", fromYAML, fromJSON)
}

func mustReadOwn(t testing.TB, name string) *Snapshot {
	t.Helper()
	s, err := ReadFile(filepath.Join(ownDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBlockReaderReadsWhatTheWriterWrites is the property that matters
// for speed: whatever Directus (and so this package's writer) puts in a
// snapshot, the block reader reads without declining, back to the same
// tree, and so does the YAML library.
func TestBlockReaderReadsWhatTheWriterWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for i := 0; i < 5000; i++ {
		m := randomMap(rng, 0)
		e := &yamlEmitter{}
		if err := e.node(m, 0, true); err != nil {
			t.Fatal(err)
		}
		data := append(e.buf, '\n')
		fast, ok := readBlockYAML(data, nil)
		if !ok {
			t.Fatalf("declined what the writer wrote:\n%q", data)
		}
		if d := sameTree(fast, m); d != "" {
			t.Fatalf("read back differently at %s:\n%s", d, data)
		}
		general, _, err := readYAMLValue("random", data)
		if err != nil {
			t.Fatalf("YAML library: %v\n%s", err, data)
		}
		if d := sameTree(fast, general); d != "" {
			t.Fatalf("the readers differ at %s:\n%s", d, data)
		}
	}
}

// randomMap makes a map of the values a snapshot holds, with strings that
// exercise every scalar style js-yaml writes.
func randomMap(rng *rand.Rand, depth int) *Map {
	m := &Map{}
	n := rng.IntN(5)
	if depth == 0 {
		n++
	}
	for i := 0; i < n; i++ {
		key := randomString(rng)
		if len(key) > 1000 || m.Has(key) {
			continue
		}
		if depth == 0 && isDocumentMarker([]byte(key+"\n")) {
			// js-yaml writes such a key plain at the start of a line,
			// where every YAML reader, js-yaml's own included, sees the
			// end or start of a document: Directus cannot read it back.
			continue
		}
		m.members = append(m.members, Member{Key: key, Value: randomValue(rng, depth+1)})
	}
	if depth == 0 && m.Len() == 0 {
		m.members = append(m.members, Member{Key: "version", Value: json.Number("1")})
	}
	return m
}

func randomValue(rng *rand.Rand, depth int) any {
	k := rng.IntN(10)
	if depth > 4 && k >= 8 {
		k = rng.IntN(8)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return json.Number([]string{"0", "-1", "255", "3.25", "1e+21", "-0.5", "12345678901234567890"}[rng.IntN(7)])
	case 8:
		list := make([]any, rng.IntN(4))
		for i := range list {
			list[i] = randomValue(rng, depth+1)
		}
		return list
	case 9:
		return randomMap(rng, depth)
	}
	return randomString(rng)
}

// randomPieces are the parts random strings are made of: what changes a
// scalar's style or its reading.
var randomPieces = []string{
	"a", "Z", "name", "0", "12", " ", "  ", "\n", "\n\n", "\t", ":", ": ", " #", "#", "-", "- ", "'", "\"", "\\",
	"|", ">", "{", "}", "[", "]", ",", "&", "*", "!", "%", "@", "`", "?", "~", "=", "<<",
	"é", "—", "😀", "\u00a0", "\u2028", "\u0085", "\x00", "\x1b", "\x7f", "\ufeff", "\r",
	"null", "true", "False", "yes", "1_000", "0x1F", "017", "1e3", ".inf", "2024-01-31", "1:20", "---", "...",
	strings.Repeat("word ", 20), strings.Repeat("x", 90), " leading", "trailing ",
}

func randomString(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(6); n >= 0; n-- {
		b.WriteString(randomPieces[rng.IntN(len(randomPieces))])
	}
	return b.String()
}

// FuzzBlockReader: whatever the input, when the block reader reads it, the
// YAML library reads the same tree; when the library refuses it, the
// block reader has declined it.
func FuzzBlockReader(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("a: |2-\n    x\n   y\nb: >+\n  folded\n  line\n\n   more\n\n\nc: \"\\x41\\u00e9\\U0001F600\\L\"\nd: 'it''s'\n"))
	f.Add([]byte("a:\n- 1\n- - x\n  - y\n-\n  k: v\nb: []\nc: {}\n"))
	rng := rand.New(rand.NewPCG(13, 21))
	for i := 0; i < 8; i++ {
		e := &yamlEmitter{}
		if err := e.node(randomMap(rng, 0), 0, true); err == nil {
			f.Add(append(e.buf, '\n'))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := readBlockYAML(data, nil)
		if !ok {
			return
		}
		general, _, err := readYAMLValue("fuzz", data)
		if err != nil {
			t.Fatalf("the block reader read what the YAML library refuses (%v):\n%q", err, data)
		}
		if d := sameTree(fast, general); d != "" {
			t.Fatalf("the readers differ at %s:\n%q", d, data)
		}
	})
}

// FuzzJSONReader: the JSON reader accepts exactly what encoding/json
// accepts (less duplicate keys and deep nesting) and reads the same tree;
// its errors are *ParseError with a position.
func FuzzJSONReader(f *testing.F) {
	for _, data := range readSmallSnapshots(f) {
		s := mustParse(f, "seed", data)
		f.Add(mustJSON(f, s))
		f.Add(jsonOf(f, s))
	}
	for _, s := range []string{
		`{"a":"\ud83d\ude00\ud800x\udc00\u00e9\/\b\f\n\r\t\"\\","b":[1,-0.5e-3,0,true,false,null,{}],"c":{"d":[]}}`,
		"{\"a\":\"\xff\xfe\xc3\"}", `{"a":1,"a":2}`, `[1,2,]`, `{"a" 1}`, `-01`, `1.e5`, "\"\t\"", `{"a":tru}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readJSONValue("fuzz", data, nil)
		want, refErr := referenceJSON(data)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("JSON reader error %v, encoding/json error %v, on %q", err, refErr, data)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line == 0 || pe.Column == 0 {
				t.Fatalf("error without a position: %#v", err)
			}
			return
		}
		if d := sameTree(got, want); d != "" {
			t.Fatalf("the readers differ at %s on %q", d, data)
		}
	})
}

// TestBlockCharsAgreesWithByteByByte: the word-at-a-time test of the
// characters decides as a byte-by-byte one does, at every alignment.
func TestBlockCharsAgreesWithByteByByte(t *testing.T) {
	byteByByte := func(data []byte) bool {
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			switch {
			case r == utf8.RuneError && size == 1, r == 0x7f, r < 0x20 && r != '\n' && r != '\t',
				r >= 0x80 && r < 0xA0, r == 0x2028, r == 0x2029, r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
				return false
			}
			i += size
		}
		return true
	}
	alphabet := []string{"a", "Z", " ", "~", "\n", "\t", "\r", "\x00", "\x1f", "\x7f", "é", "\u0085", "\u00a0",
		"\u2028", "\ufeff", "\ufffd", "\uffff", "😀", "\xff", "\xc3"}
	rng := rand.New(rand.NewPCG(2, 3))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(20); n >= 0; n-- {
			if rng.IntN(4) == 0 {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			}
		}
		data := []byte(b.String())
		if got, want := blockChars(data), byteByByte(data); got != want {
			t.Fatalf("%q: blockChars %v, byte by byte %v", data, got, want)
		}
	}
}

// TestBlockReaderAgreesOnMutatedDocuments edits what the writer wrote at
// random (characters inserted, deleted or replaced, indentation changed,
// lines swapped), where most edits land near the edge of what the block
// reader accepts: whenever it still reads the text, the YAML library must
// read the same tree.
func TestBlockReaderAgreesOnMutatedDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 19))
	pieces := []string{" ", "  ", "\t", "\n", "-", "- ", ":", ": ", "#", " #", "'", "\"", "|", ">", "|-", ">+", "|2", "[]", "{}",
		"&a ", "*a", "!t ", "?", "---", "...", "\\", "\\n", "\\x4", "é", "\r", "null", "~", "<<", "1", "0x1F", "k: v", "\n- ", "\n  "}
	read := 0
	for i := 0; i < 20000; i++ {
		e := &yamlEmitter{}
		if err := e.node(randomMap(rng, 0), 0, true); err != nil {
			t.Fatal(err)
		}
		doc := append(e.buf, '\n')
		for n := rng.IntN(3) + 1; n > 0; n-- {
			doc = mutate(rng, doc, pieces)
		}
		fast, ok := readBlockYAML(doc, nil)
		if !ok {
			continue
		}
		read++
		general, _, err := readYAMLValue("mutated", doc)
		if err != nil {
			t.Fatalf("the block reader read what the YAML library refuses (%v):\n%q", err, doc)
		}
		if d := sameTree(fast, general); d != "" {
			t.Fatalf("the readers differ at %s:\n%q", d, doc)
		}
	}
	t.Logf("%d of 20000 mutated documents read by the block reader", read)
	if read < 2000 {
		t.Fatalf("only %d of the mutated documents were read: the test proves little", read)
	}
}

func mutate(rng *rand.Rand, doc []byte, pieces []string) []byte {
	at := rng.IntN(len(doc) + 1)
	switch rng.IntN(5) {
	case 0: // insert
		p := pieces[rng.IntN(len(pieces))]
		return append(doc[:at:at], append([]byte(p), doc[at:]...)...)
	case 1: // delete a few bytes
		end := min(len(doc), at+1+rng.IntN(3))
		return append(doc[:at:at], doc[end:]...)
	case 2: // replace a byte
		if at < len(doc) {
			p := pieces[rng.IntN(len(pieces))]
			return append(doc[:at:at], append([]byte(p), doc[at+1:]...)...)
		}
		return doc
	case 3: // indent or dedent a line
		lines := bytes.Split(doc, []byte("\n"))
		j := rng.IntN(len(lines))
		if rng.IntN(2) == 0 {
			lines[j] = append([]byte("  "), lines[j]...)
		} else {
			lines[j] = bytes.TrimPrefix(lines[j], []byte("  "))
		}
		return bytes.Join(lines, []byte("\n"))
	default: // swap two lines
		lines := bytes.Split(doc, []byte("\n"))
		j, k := rng.IntN(len(lines)), rng.IntN(len(lines))
		lines[j], lines[k] = lines[k], lines[j]
		return bytes.Join(lines, []byte("\n"))
	}
}
