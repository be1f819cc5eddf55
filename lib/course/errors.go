package course

import (
	"strconv"
	"strings"
)

// Code classifies a problem so that callers can act on it without parsing
// messages. Codes are stable; new ones may be added.
type Code string

// Problems of the input itself (DecodeError).
const (
	CodeTooLarge         Code = "too-large"         // input beyond DecodeOptions.MaxBytes
	CodeSyntax           Code = "syntax"            // not well-formed XML or JSON
	CodeNotGPX           Code = "not-gpx"           // XML, but not GPX 1.0 or 1.1
	CodeNotGeoJSON       Code = "not-geojson"       // JSON, but not a course FeatureCollection
	CodeUnknownFormat    Code = "unknown-format"    // neither XML nor JSON
	CodeNamespaceVersion Code = "namespace-version" // an OpenRally or TRM namespace of a version this package does not read
	CodeEncoding         Code = "encoding"          // a character encoding other than UTF-8 or ISO-8859-1
	CodeValue            Code = "value"             // a value not of its type or form (a number, a date, a code)
	CodeUnits            Code = "units"             // OpenRally units neither metric nor statute
	CodeStructure        Code = "structure"         // elements where they cannot be (nesting too deep, a track of no segment)
)

// Problems of the course (Problem, in a ValidationError).
const (
	CodeCoordinates     Code = "coordinates"      // a latitude or longitude out of range, or not a number
	CodeNullIsland      Code = "null-island"      // a location at (0, 0)
	CodePolygon         Code = "polygon"          // a polygon that is not valid
	CodeRoute           Code = "route"            // a route of fewer than two points
	CodeRadius          Code = "radius"           // a radius that is not positive
	CodeRadiiOrder      Code = "radii-order"      // a validation radius larger than the open radius
	CodeDistance        Code = "distance"         // a negative or decreasing roadbook distance
	CodeDuplicate       Code = "duplicate"        // a code, name or sort order used twice under one parent
	CodeMissing         Code = "missing"          // a required value is empty
	CodeEnum            Code = "enum"             // a value outside its enumeration
	CodeReference       Code = "reference"        // a name that refers to nothing (geofence, waypoint, stage)
	CodeStartOrder      Code = "start-order"      // a start-order strategy with wrong parameters or input stage
	CodeDSSWithoutASS   Code = "dss-without-ass"  // a special's DSS with no ASS after it
	CodeASSWithoutDSS   Code = "ass-without-dss"  // an ASS with no DSS before it
	CodeDZWithoutFZ     Code = "dz-without-fz"    // a DZ that starts no zone ending at an FZ
	CodeFZWithoutDZ     Code = "fz-without-dz"    // an FZ that ends no zone started at a DZ
	CodeZoneShape       Code = "zone-shape"       // a zone with both an area and waypoints, or neither
	CodeZoneOrder       Code = "zone-order"       // a zone whose FZ comes before its DZ
	CodeMarkerPlacement Code = "marker-placement" // a DSS/ASS outside a special, a marker twice in a segment
	CodeNumber          Code = "number"           // a number out of its range (a limit, a duration, a sort order)
)

// DecodeError reports input that could not be read as a course at all: not
// XML or JSON, an unknown OpenRally version, too large. Use errors.As.
type DecodeError struct {
	// Src locates the problem; Line is 0 when unknown.
	Src Source
	// Column is 1-based, 0 when unknown.
	Column int
	Code   Code
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if s := e.Src.String(); s != "" {
		b.WriteString(s)
		if e.Column > 0 && e.Src.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Path names an element of a course; empty fields are above or beside it.
type Path struct {
	Stage, Segment, Waypoint, Zone, Geofence string
}

// String is e.g. "stage S1, segment SS1, waypoint WP12".
func (p Path) String() string {
	var parts []string
	add := func(what, v string) {
		if v != "" {
			parts = append(parts, what+" "+quote(v))
		}
	}
	add("stage", p.Stage)
	add("segment", p.Segment)
	add("waypoint", p.Waypoint)
	add("speed zone", p.Zone)
	add("geofence", p.Geofence)
	return strings.Join(parts, ", ")
}

// Problem is one thing wrong with a course, where it is (file and line when
// the course came from a file, and its path in the course), and what.
type Problem struct {
	Src  Source
	Path Path
	Code Code
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	if s := p.Src.String(); s != "" {
		b.WriteString(s + ": ")
	}
	if s := p.Path.String(); s != "" {
		b.WriteString(s + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem of a course, in course order. Use
// errors.As.
type ValidationError struct {
	Problems []Problem
}

// maxListed bounds the problems Error lists; Problems has all of them.
const maxListed = 50

func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	if n == 1 {
		return "invalid course: " + e.Problems[0].String()
	}
	b.WriteString("invalid course: " + strconv.Itoa(n) + " problems:")
	for i, p := range e.Problems {
		if i == maxListed {
			b.WriteString("\n  … and " + strconv.Itoa(n-maxListed) + " more")
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Has reports whether some problem has code c.
func (e *ValidationError) Has(c Code) bool {
	for _, p := range e.Problems {
		if p.Code == c {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func fmtPoint(p Point) string { return "(" + fmtFloat(p.Lat) + ", " + fmtFloat(p.Lon) + ")" }
