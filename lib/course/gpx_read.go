package course

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// gpxFile is what the GPX reader keeps of a file.
type gpxFile struct {
	space     string // the GPX namespace of the file
	name      string // metadata name
	units     string // OpenRally units as written, "" when absent
	unitsLine int
	course    *xnode // trm:course in the metadata, nil when absent
	wpts      []*wpt
	tracks    []*track
}

type wpt struct {
	line      int
	loc       Point
	name      string
	desc, cmt string
	typ, sym  string
	ext       []*xnode // children of <extensions>
}

type track struct {
	line  int
	name  string
	route *xnode // trm:route, nil when absent
	pts   LineString
}

func decodeGPX(data []byte, opts DecodeOptions) (*Course, *Report, error) {
	x := newXReader(data, opts.Name)
	f, err := x.document()
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Namespace: x.openRally}
	for _, t := range f.tracks {
		rep.TrackPoints += len(t.pts)
	}
	if f.course != nil {
		rep.Format = FormatTRMGPX
		return readTRM(f, opts, rep)
	}
	return readRoadbook(f, opts, rep)
}

// file reads the whole GPX document.
func (x *xreader) document() (*gpxFile, error) {
	var root xml.StartElement
	for root.Name.Local == "" {
		tok, err := x.d.Token()
		if errors.Is(err, io.EOF) {
			return nil, x.fail(CodeSyntax, x.line(), "not XML: the file has no root element")
		}
		if err != nil {
			return nil, x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, x.fail(CodeSyntax, x.line(), "not XML: text before the root element")
			}
		case xml.StartElement:
			if err := x.checkNamespaces(t); err != nil {
				return nil, err
			}
			root = t
		}
	}
	switch {
	case root.Name.Local != "gpx":
		return nil, x.fail(CodeNotGPX, x.line(), "not GPX: the root element is "+quote(root.Name.Local)+", not gpx")
	case root.Name.Space != gpx11Namespace && root.Name.Space != gpx10Namespace && root.Name.Space != "":
		return nil, x.fail(CodeNotGPX, x.line(), "not GPX 1.1 or 1.0: the root element's namespace is "+quote(root.Name.Space))
	}
	f := &gpxFile{space: root.Name.Space}
	x.depth = 1
	for {
		tok, err := x.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return f, x.trailing()
		case xml.StartElement:
			if t.Name.Space != f.space {
				if err := x.skip(); err != nil {
					return nil, err
				}
				continue
			}
			switch t.Name.Local {
			case "metadata":
				n, err := x.node(t)
				if err != nil {
					return nil, err
				}
				if err := f.metadata(x, n); err != nil {
					return nil, err
				}
			case "wpt":
				n, err := x.node(t)
				if err != nil {
					return nil, err
				}
				w, err := f.wpt(x, n)
				if err != nil {
					return nil, err
				}
				f.wpts = append(f.wpts, w)
			case "trk", "rte":
				t, err := x.track(t, f.space)
				if err != nil {
					return nil, err
				}
				f.tracks = append(f.tracks, t)
			default:
				if err := x.skip(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// trailing refuses anything but comments and blanks after the root.
func (x *xreader) trailing() error {
	for {
		tok, err := x.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return x.fail(CodeSyntax, x.line(), "text after the root element")
			}
		case xml.StartElement:
			return x.fail(CodeSyntax, x.line(), "a second root element "+quote(t.Name.Local))
		}
	}
}

func (f *gpxFile) metadata(x *xreader, n *xnode) error {
	for _, k := range n.kids {
		switch {
		case k.name.Space == f.space && k.name.Local == "name":
			f.name = strings.TrimSpace(k.text)
		case k.name.Space == f.space && k.name.Local == "extensions":
			for _, e := range k.kids {
				switch {
				case isOpenRally(e.name.Space) && e.name.Local == "units":
					f.units = strings.TrimSpace(e.text)
					f.unitsLine = e.line
				case isTRM(e.name.Space) && e.name.Local == "course":
					if f.course != nil {
						return x.fail(CodeStructure, e.line, "a second trm:course in the metadata")
					}
					f.course = e
				}
			}
		}
	}
	return nil
}

func (f *gpxFile) wpt(x *xreader, n *xnode) (*wpt, error) {
	w := &wpt{line: n.line}
	var err error
	if w.loc, err = latLon(x, n.attr, n.line); err != nil {
		return nil, err
	}
	for _, k := range n.kids {
		if k.name.Space != f.space {
			continue
		}
		switch k.name.Local {
		case "name":
			w.name = strings.TrimSpace(k.text)
		case "desc":
			w.desc = k.text
		case "cmt":
			w.cmt = k.text
		case "type":
			w.typ = strings.TrimSpace(k.text)
		case "sym":
			w.sym = strings.TrimSpace(k.text)
		case "extensions":
			w.ext = k.kids
		}
	}
	return w, nil
}

func latLon(x *xreader, attrs []xml.Attr, line int) (Point, error) {
	var p Point
	var haveLat, haveLon bool
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "lat":
			v, ok := parseDecimal(a.Value)
			if !ok {
				return p, x.fail(CodeValue, line, "lat "+quote(a.Value)+" is not a decimal number")
			}
			p.Lat, haveLat = v, true
		case "lon":
			v, ok := parseDecimal(a.Value)
			if !ok {
				return p, x.fail(CodeValue, line, "lon "+quote(a.Value)+" is not a decimal number")
			}
			p.Lon, haveLon = v, true
		}
	}
	if !haveLat || !haveLon {
		return p, x.fail(CodeValue, line, "a point without lat and lon attributes")
	}
	return p, nil
}

// track reads a trk or rte: its points in order (all trkseg joined), its
// name and its trm:route. Points are read without building nodes: a track
// is most of a roadbook file.
func (x *xreader) track(se xml.StartElement, space string) (*track, error) {
	t := &track{line: x.line()}
	depth := 1
	for depth > 0 {
		tok, err := x.token()
		if err != nil {
			return nil, err
		}
		switch e := tok.(type) {
		case xml.EndElement:
			depth--
		case xml.StartElement:
			if e.Name.Space != space {
				if err := x.skip(); err != nil {
					return nil, err
				}
				continue
			}
			switch e.Name.Local {
			case "trkpt", "rtept":
				p, err := latLon(x, e.Attr, x.line())
				if err != nil {
					return nil, err
				}
				t.pts = append(t.pts, p)
				if err := x.skip(); err != nil {
					return nil, err
				}
			case "trkseg":
				if se.Name.Local != "trk" || depth != 1 {
					return nil, x.fail(CodeStructure, x.line(), "trkseg outside a trk")
				}
				depth++
				x.fastTrkseg(&t.pts)
			case "name":
				n, err := x.node(e)
				if err != nil {
					return nil, err
				}
				t.name = strings.TrimSpace(n.text)
			case "extensions":
				n, err := x.node(e)
				if err != nil {
					return nil, err
				}
				for _, k := range n.kids {
					if isTRM(k.name.Space) && k.name.Local == "route" {
						t.route = k
					}
				}
			default:
				if err := x.skip(); err != nil {
					return nil, err
				}
			}
		}
	}
	return t, nil
}

// parseDecimal reads an XML decimal ("-12.5", "+3", ".5"): digits with an
// optional sign, point and exponent; no NaN, infinity or hexadecimal, which
// strconv would take.
func parseDecimal(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return 0, false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
