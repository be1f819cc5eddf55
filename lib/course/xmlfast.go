package course

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// A track is most of a roadbook file (20,000 points of 100 bytes each), and
// encoding/xml spends about ten tokens on every point. The fast path below
// reads a trkseg's points straight from the input bytes when the trkseg is
// of the plain shape every GPX writer produces: trkpt elements with lat and
// lon and simple children (ele, time), ASCII only, no comments, CDATA,
// entities, namespace declarations or prefixed children. Anything else makes
// it give up before consuming a byte, and encoding/xml reads the trkseg as
// usual, so the fast path changes speed, never results.
//
// It works because encoding/xml reads an io.ByteReader directly, one byte
// at a time, without buffering: after the trkseg start tag the reader's
// position is just past its '>', and moving the reader to the '<' of the
// closing tag makes the decoder read on from there. Line numbers skipped
// this way are added back (xreader.lineAdj).

// posReader is the decoder's input: the whole document and a position.
type posReader struct {
	data []byte
	pos  int
}

func (r *posReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.pos:])
	r.pos += n
	return n, nil
}

func (r *posReader) ReadByte() (byte, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	b := r.data[r.pos]
	r.pos++
	return b, nil
}

// fastTrkseg reads the points of the trkseg whose start tag the decoder has
// just returned, if it has the plain shape; reports whether it did.
func (x *xreader) fastTrkseg(pts *LineString) bool {
	if x.converted || x.in == nil {
		return false
	}
	data, pos := x.in.data, x.in.pos
	if pos == 0 || data[pos-1] != '>' || (pos >= 2 && data[pos-2] == '/') {
		return false
	}
	open := bytes.LastIndexByte(data[:pos], '<')
	if open < 0 {
		return false
	}
	qname := data[open+1 : pos-1]
	if i := bytes.IndexAny(qname, " \t\r\n"); i >= 0 {
		qname = qname[:i]
	}
	var prefix []byte
	if i := bytes.IndexByte(qname, ':'); i >= 0 {
		prefix = qname[:i+1]
	}
	s := &fastScan{data: data, i: pos, prefix: prefix}
	got, end, ok := s.trkseg()
	if !ok {
		return false
	}
	*pts = append(*pts, got...)
	x.lineAdj += bytes.Count(data[pos:end], []byte{'\n'})
	x.in.pos = end
	return true
}

type fastScan struct {
	data   []byte
	i      int
	prefix []byte
}

func (s *fastScan) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
			continue
		}
		return
	}
}

func (s *fastScan) lit(parts ...[]byte) bool {
	j := s.i
	for _, p := range parts {
		if !bytes.HasPrefix(s.data[j:], p) {
			return false
		}
		j += len(p)
	}
	s.i = j
	return true
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.' || b == ':'
}

func (s *fastScan) name() []byte {
	j := s.i
	for j < len(s.data) && isNameByte(s.data[j]) {
		j++
	}
	n := s.data[s.i:j]
	s.i = j
	return n
}

// attrs reads attributes up to '>' or '/>' and reports whether the element
// was empty. Values are ASCII without '<' or '&'; an xmlns attribute (a
// namespace declaration) gives up.
func (s *fastScan) attrs(each func(name, value []byte) bool) (empty, ok bool) {
	for {
		start := s.i
		s.ws()
		if s.i >= len(s.data) {
			return false, false
		}
		switch s.data[s.i] {
		case '>':
			s.i++
			return false, true
		case '/':
			if s.i+1 < len(s.data) && s.data[s.i+1] == '>' {
				s.i += 2
				return true, true
			}
			return false, false
		}
		if s.i == start {
			return false, false // attributes must be separated by space
		}
		n := s.name()
		if len(n) == 0 || bytes.HasPrefix(n, []byte("xmlns")) {
			return false, false
		}
		s.ws()
		if !s.lit([]byte("=")) {
			return false, false
		}
		s.ws()
		if s.i >= len(s.data) || (s.data[s.i] != '"' && s.data[s.i] != '\'') {
			return false, false
		}
		q := s.data[s.i]
		end := bytes.IndexByte(s.data[s.i+1:], q)
		if end < 0 {
			return false, false
		}
		v := s.data[s.i+1 : s.i+1+end]
		if !plainASCII(v) || bytes.ContainsAny(v, "<&") {
			return false, false
		}
		s.i += end + 2
		if !each(n, v) {
			return false, false
		}
	}
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return false
		}
	}
	return true
}

// childName accepts a child element name of the trkpt's namespace: the
// trkseg's prefix, or no prefix when it has none.
func (s *fastScan) childName(n []byte) bool {
	if len(n) == 0 || !(n[0] >= 'a' && n[0] <= 'z' || n[0] >= 'A' && n[0] <= 'Z' || n[0] == '_') {
		return false
	}
	if len(s.prefix) == 0 {
		return bytes.IndexByte(n, ':') < 0
	}
	return bytes.HasPrefix(n, s.prefix) && bytes.IndexByte(n[len(s.prefix):], ':') < 0
}

func (s *fastScan) trkseg() (LineString, int, bool) {
	var pts LineString
	trkpt := append([]byte(nil), s.prefix...)
	trkpt = append(trkpt, "trkpt"...)
	trkseg := append([]byte(nil), s.prefix...)
	trkseg = append(trkseg, "trkseg"...)
	for {
		s.ws()
		end := s.i
		if s.lit([]byte("</"), trkseg) {
			s.ws()
			if !s.lit([]byte(">")) {
				return nil, 0, false
			}
			return pts, end, true
		}
		if !s.lit([]byte("<"), trkpt) || s.i >= len(s.data) || isNameByte(s.data[s.i]) {
			return nil, 0, false
		}
		var p Point
		var haveLat, haveLon bool
		empty, ok := s.attrs(func(n, v []byte) bool {
			var ok bool
			switch string(n) {
			case "lat":
				p.Lat, ok = parseDecimal(string(v))
				ok = ok && !haveLat
				haveLat = true
			case "lon":
				p.Lon, ok = parseDecimal(string(v))
				ok = ok && !haveLon
				haveLon = true
			}
			return ok
		})
		if !ok || !haveLat || !haveLon {
			return nil, 0, false
		}
		if !empty && !s.children(trkpt) {
			return nil, 0, false
		}
		pts = append(pts, p)
	}
}

// children skips the content of a trkpt up to and including its end tag,
// checking that it is well formed.
func (s *fastScan) children(trkpt []byte) bool {
	var stack [][]byte
	for {
		lt := bytes.IndexByte(s.data[s.i:], '<')
		if lt < 0 {
			return false
		}
		text := s.data[s.i : s.i+lt]
		if !plainASCII(text) || bytes.IndexByte(text, '&') >= 0 || bytes.Contains(text, []byte("]]>")) {
			return false
		}
		s.i += lt + 1
		if s.i >= len(s.data) {
			return false
		}
		if s.data[s.i] == '/' {
			s.i++
			n := s.name()
			s.ws()
			if !s.lit([]byte(">")) {
				return false
			}
			if len(stack) == 0 {
				return bytes.Equal(n, trkpt)
			}
			if !bytes.Equal(n, stack[len(stack)-1]) {
				return false
			}
			stack = stack[:len(stack)-1]
			continue
		}
		n := s.name()
		if !s.childName(n) || len(stack) >= 8 {
			return false
		}
		empty, ok := s.attrs(func(n, v []byte) bool { return bytes.IndexByte(n, ':') < 0 })
		if !ok {
			return false
		}
		if !empty {
			stack = append(stack, n)
		}
	}
}

// fastSkipText moves the decoder past the content of the element whose
// start tag it has just returned, when that content is one CDATA section or
// plain text (an OpenRally tulip or notes drawing, often a large base64
// image that encoding/xml would copy): the decoder then reads its end tag.
// It checks the content as encoding/xml would (valid UTF-8, no character
// XML forbids) and gives up on anything else.
func (x *xreader) fastSkipText() {
	if x.converted || x.in == nil {
		return
	}
	data, pos := x.in.data, x.in.pos
	if pos < 2 || data[pos-1] != '>' || data[pos-2] == '/' {
		return
	}
	open := bytes.LastIndexByte(data[:pos], '<')
	if open < 0 {
		return
	}
	qname := data[open+1 : pos-1]
	if i := bytes.IndexAny(qname, " \t\r\n"); i >= 0 {
		qname = qname[:i]
	}
	s := &fastScan{data: data, i: pos}
	s.ws()
	if s.lit([]byte("<![CDATA[")) {
		end := bytes.Index(data[s.i:], []byte("]]>"))
		if end < 0 || !xmlChars(data[s.i:s.i+end]) {
			return
		}
		s.i += end + 3
		s.ws()
	} else {
		lt := bytes.IndexByte(data[s.i:], '<')
		if lt < 0 || bytes.IndexByte(data[s.i:s.i+lt], '&') >= 0 || !xmlChars(data[s.i:s.i+lt]) {
			return
		}
		s.i += lt
	}
	end := s.i
	if !s.lit([]byte("</"), qname) {
		return
	}
	s.ws()
	if !s.lit([]byte(">")) {
		return
	}
	x.lineAdj += bytes.Count(data[pos:end], []byte{'\n'})
	x.in.pos = end
}

// xmlChars reports whether b is UTF-8 of characters XML allows: no control
// character but tab and line breaks, no U+FFFE or U+FFFF.
func xmlChars(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return utf8.Valid(b) && !bytes.Contains(b, []byte("\xef\xbf\xbe")) && !bytes.Contains(b, []byte("\xef\xbf\xbf"))
}
