package course

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// Namespaces this package reads and writes.
const (
	// OpenRallyNamespace is the OpenRally cross-country namespace the
	// writers use. The readers take v1.0, v1.0.0 … v1.0.3 and the
	// v1.0-Cross-Country-DRAFT of the OpenRally repository's example, which
	// share their elements; any other version of that namespace is refused
	// (CodeNamespaceVersion), since its elements may mean something else.
	OpenRallyNamespace = "http://www.openrally.org/xmlschemas/GpxExtensions/v1.0.3"
	// TRMNamespace is the TRM course extension: stages, segments, zones and
	// geofences, and each waypoint's place in them (see WriteGPX). Another
	// version of it is refused.
	TRMNamespace = "https://trmtracking.org/xmlschemas/course/v1"

	gpx11Namespace = "http://www.topografix.com/GPX/1/1"
	gpx10Namespace = "http://www.topografix.com/GPX/1/0"

	// maxXMLDepth bounds element nesting; GPX needs 6.
	maxXMLDepth = 64
)

var openRallyVersions = map[string]bool{
	"v1.0": true, "v1.0.0": true, "v1.0.1": true, "v1.0.2": true, "v1.0.3": true,
	"v1.0-Cross-Country-DRAFT": true,
}

// namespaceFamily tells a URI of the OpenRally or TRM families ("" for
// others) and whether this package reads that version.
func namespaceFamily(uri string) (family string, ok bool) {
	low := strings.ToLower(uri)
	switch {
	case strings.Contains(low, "openrally.org/xmlschemas/"):
		const base = "http://www.openrally.org/xmlschemas/GpxExtensions/"
		return "OpenRally", strings.HasPrefix(uri, base) && openRallyVersions[strings.TrimPrefix(uri, base)]
	case strings.Contains(low, "trmtracking.org/xmlschemas/course"):
		return "TRM course", uri == TRMNamespace
	}
	return "", false
}

// xnode is an element read whole: small parts of a GPX (a wpt, the
// metadata), never the track.
type xnode struct {
	name xml.Name
	attr []xml.Attr
	text string
	kids []*xnode
	line int
}

func (n *xnode) attrValue(local string) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

type xreader struct {
	d         *xml.Decoder
	in        *posReader
	srcName   string
	openRally string // the OpenRally namespace the file uses, "" if none
	depth     int
	converted bool // the decoder reads a converted copy, not in (no fast path)
	lineAdj   int  // lines the fast path skipped, which the decoder did not count
}

func newXReader(data []byte, file string) *xreader {
	x := &xreader{in: &posReader{data: data}, srcName: file}
	x.d = xml.NewDecoder(x.in)
	x.d.Strict = true
	x.d.CharsetReader = x.charsetReader
	return x
}

// charsetReader accepts UTF-8 (and its ASCII subset) and ISO-8859-1, which
// maps byte for byte onto the first 256 code points; anything else is
// refused rather than guessed.
func (x *xreader) charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "iso_8859-1", "l1":
		x.converted = true
		data, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(data)*2)
		for _, b := range data {
			out = utf8.AppendRune(out, rune(b))
		}
		return bytes.NewReader(out), nil
	}
	return nil, &DecodeError{Code: CodeEncoding, Msg: "character encoding " + quote(label) + " is not supported: save the file as UTF-8"}
}

func (x *xreader) line() int {
	l, _ := x.d.InputPos()
	return l + x.lineAdj
}

func (x *xreader) fail(code Code, line int, msg string) *DecodeError {
	return &DecodeError{Src: Source{File: x.srcName, Line: line}, Code: code, Msg: msg}
}

// token returns the next token, with namespaces resolved and checked.
func (x *xreader) token() (xml.Token, error) {
	tok, err := x.d.Token()
	if err != nil {
		return nil, x.wrap(err)
	}
	if se, ok := tok.(xml.StartElement); ok {
		if err := x.checkNamespaces(se); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

func (x *xreader) wrap(err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		if de.Src.File == "" {
			de.Src = Source{File: x.srcName, Line: x.line()}
		}
		return de
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &DecodeError{Src: Source{File: x.srcName, Line: se.Line + x.lineAdj}, Code: CodeSyntax, Msg: "not well-formed XML: " + se.Msg, Err: err}
	}
	if errors.Is(err, io.EOF) {
		return x.fail(CodeSyntax, x.line(), "the XML ends before its root element is closed")
	}
	return &DecodeError{Src: Source{File: x.srcName, Line: x.line()}, Code: CodeSyntax, Msg: "not readable XML: " + err.Error(), Err: err}
}

func (x *xreader) checkNamespaces(se xml.StartElement) error {
	if sp := se.Name.Space; sp != "" && !strings.ContainsAny(sp, ":/") {
		return x.fail(CodeStructure, x.line(), "element "+quote(sp+":"+se.Name.Local)+" uses the prefix "+quote(sp)+" without declaring its namespace (xmlns:"+sp+"=…)")
	}
	check := func(uri string) error {
		family, ok := namespaceFamily(uri)
		if family == "" {
			return nil
		}
		if !ok {
			want := "http://www.openrally.org/xmlschemas/GpxExtensions/v1.0 to v1.0.3"
			if family == "TRM course" {
				want = TRMNamespace
			}
			return x.fail(CodeNamespaceVersion, x.line(), "the file uses the "+family+" namespace "+quote(uri)+", a version this reader does not know; it reads "+want)
		}
		if family == "OpenRally" && x.openRally == "" {
			x.openRally = uri
		}
		return nil
	}
	if err := check(se.Name.Space); err != nil {
		return err
	}
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			if err := check(a.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// skip consumes the rest of the element whose start was just read.
func (x *xreader) skip() error {
	depth := 1
	for depth > 0 {
		tok, err := x.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if x.depth+depth > maxXMLDepth {
				return x.fail(CodeStructure, x.line(), "elements nested deeper than "+itoa(maxXMLDepth))
			}
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// node reads the element whose start was just read, whole. OpenRally
// drawings (tulip, notes), which can be large images, are skipped.
func (x *xreader) node(se xml.StartElement) (*xnode, error) {
	n := &xnode{name: se.Name, attr: se.Attr, line: x.line()}
	x.depth++
	defer func() { x.depth-- }()
	if x.depth > maxXMLDepth {
		return nil, x.fail(CodeStructure, n.line, "elements nested deeper than "+itoa(maxXMLDepth))
	}
	var text strings.Builder
	for {
		tok, err := x.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if isOpenRally(t.Name.Space) && (t.Name.Local == "tulip" || t.Name.Local == "notes") {
				x.fastSkipText()
				if err := x.skip(); err != nil {
					return nil, err
				}
				continue
			}
			kid, err := x.node(t)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			n.text = text.String()
			return n, nil
		}
	}
}

func isOpenRally(space string) bool {
	family, _ := namespaceFamily(space)
	return family == "OpenRally"
}

func isTRM(space string) bool { return space == TRMNamespace }
