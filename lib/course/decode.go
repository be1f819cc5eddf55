package course

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"sort"
)

// DefaultMaxBytes bounds the input of a decoder unless DecodeOptions says
// otherwise: 64 MiB holds a roadbook of thousands of waypoints with their
// tulip drawings and a track of a million points, and keeps a hostile input
// from exhausting memory (a decoder holds the whole input and the course).
const DefaultMaxBytes = 64 << 20

// Format is the kind of file a course was read from.
type Format string

const (
	// FormatOpenRally: GPX with OpenRally elements: one stage, segmented by
	// its dss/ass, dt/ft and neutralization/fn markers.
	FormatOpenRally Format = "openrally"
	// FormatPlainGPX: GPX without OpenRally elements, whose waypoint names
	// (or <type>) say what each is ("WP12", "DSS", "CP1"): one stage,
	// segmented like an OpenRally file.
	FormatPlainGPX Format = "gpx"
	// FormatTRMGPX: GPX with the TRM course extension: the whole course,
	// every stage (what WriteGPX writes).
	FormatTRMGPX Format = "trm-gpx"
	// FormatGeoJSON: a GeoJSON FeatureCollection in the shape WriteGeoJSON
	// writes: the whole course.
	FormatGeoJSON Format = "geojson"
)

// WholeCourse reports whether a file of this format describes the whole
// course, every stage with all its attributes (TRM GPX, GeoJSON), rather
// than the segments and waypoints of one stage (OpenRally, plain GPX),
// whose role, status, schedule and start order the file does not give.
func (f Format) WholeCourse() bool { return f == FormatTRMGPX || f == FormatGeoJSON }

// DecodeOptions tune a decoder. The zero value is usable.
type DecodeOptions struct {
	// Name names the input in messages and Source.File (a file name, or
	// "-" for standard input).
	Name string
	// MaxBytes bounds the input; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Stage describes the stage a one-stage file (OpenRally, plain GPX)
	// becomes. Ignored for whole-course formats.
	Stage StageOptions
}

// StageOptions describe the stage made from a one-stage file.
type StageOptions struct {
	// Code defaults to "S1".
	Code string
	// Name defaults to the GPX metadata name, else "Stage <code>".
	Name string
	// SortOrder defaults to 1.
	SortOrder int
	// Role defaults to RoleStage, Status to StatusDraft. The start order is
	// manual.
	Role   StageRole
	Status StageStatus
}

func (o StageOptions) withDefaults(metaName string) StageOptions {
	if o.Code == "" {
		o.Code = "S1"
	}
	if o.Name == "" {
		o.Name = metaName
	}
	if o.Name == "" {
		o.Name = "Stage " + o.Code
	}
	if o.SortOrder == 0 {
		o.SortOrder = 1
	}
	if o.Role == "" {
		o.Role = RoleStage
	}
	if o.Status == "" {
		o.Status = StatusDraft
	}
	return o
}

// Report says how a file was read: its format, and what each of its points
// became, so that a program can show the mapping (for a plain GPX, which
// names were taken for which waypoint types).
type Report struct {
	Format Format
	// Namespace is the OpenRally namespace the file declares, "" if none.
	Namespace string
	// Units are the OpenRally units ("metric" or "statute"); "" for formats
	// without units (always metric).
	Units string
	// Points has one entry per point of the file (GPX wpt, GeoJSON waypoint
	// feature), in file order.
	Points []PointMapping
	// TrackPoints counts the route points read.
	TrackPoints int
	// Notes are things the file says that the course does not keep, e.g.
	// an allowed time on a time control in the middle of a segment.
	Notes []Note
}

// PointMapping is what one point of the file became.
type PointMapping struct {
	Src Source
	// Name is the point's name in the file ("" when it has none).
	Name string
	// By says how its type was recognised: "element" (OpenRally elements,
	// listed in Elements), "type" (the GPX <type>), "name" (the name, e.g.
	// "CP1"), "trm" or "geojson" (explicit); "" when it was skipped.
	By string
	// Elements are the OpenRally elements that gave its type(s), e.g.
	// ["timecontrol", "dss"].
	Elements []string
	// Waypoints are what it became: one waypoint per role (a point that is
	// both a time control and a DSS becomes two); none when skipped.
	Waypoints []MappedWaypoint
	// Skipped says why the point became no waypoint ("" when it did), e.g.
	// a roadbook box that is neither a waypoint nor a control.
	Skipped string
}

// MappedWaypoint locates a waypoint made from a point of the file.
type MappedWaypoint struct {
	Stage, Segment, Name string
	Type                 WaypointType
	// DefaultRadii: the file gave no radius (or only one), and DefaultRadii
	// filled in.
	DefaultRadii bool
}

// Note is a remark about the input that is not an error.
type Note struct {
	Src Source
	Msg string
}

// Decode reads a course from a GPX (OpenRally, plain or TRM) or GeoJSON
// file, told apart by content: XML is GPX, a JSON object is GeoJSON. See
// DecodeGPX and DecodeGeoJSON.
//
// Errors: a *DecodeError when the input cannot be read as a course at all
// (nil course and report); a *ValidationError when it was read but the
// course is not valid, returned with the course and the report so that a
// program can show what was read.
func Decode(r io.Reader, opts DecodeOptions) (*Course, *Report, error) {
	data, err := readAll(r, opts)
	if err != nil {
		return nil, nil, err
	}
	switch sniff(data) {
	case '<':
		return decodeGPX(data, opts)
	case '{':
		return decodeGeoJSON(data, opts)
	}
	return nil, nil, &DecodeError{Src: Source{File: opts.Name}, Code: CodeUnknownFormat,
		Msg: "neither GPX (XML) nor GeoJSON (a JSON object): the file starts with " + quote(string(head(data, 16)))}
}

// DecodeGPX reads a course from GPX 1.1 (or 1.0): TRM GPX when its metadata
// has the TRM course extension, OpenRally when its waypoints carry OpenRally
// elements, plain GPX otherwise. Errors as Decode.
func DecodeGPX(r io.Reader, opts DecodeOptions) (*Course, *Report, error) {
	data, err := readAll(r, opts)
	if err != nil {
		return nil, nil, err
	}
	return decodeGPX(data, opts)
}

// DecodeGeoJSON reads a course from a GeoJSON FeatureCollection in the shape
// WriteGeoJSON writes. Errors as Decode.
func DecodeGeoJSON(r io.Reader, opts DecodeOptions) (*Course, *Report, error) {
	data, err := readAll(r, opts)
	if err != nil {
		return nil, nil, err
	}
	return decodeGeoJSON(data, opts)
}

func readAll(r io.Reader, opts DecodeOptions) ([]byte, error) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	// Size the buffer when the reader knows its size (a file, a byte or
	// string reader): a track is megabytes, and growing by doubling copies
	// it twice over.
	var size int64
	switch v := r.(type) {
	case interface{ Len() int }:
		size = int64(v.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, limit)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	data := buf.Bytes()
	if err != nil {
		return nil, &DecodeError{Src: Source{File: opts.Name}, Code: CodeSyntax, Msg: "cannot read the input: " + err.Error(), Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &DecodeError{Src: Source{File: opts.Name}, Code: CodeTooLarge,
			Msg: "input is larger than " + itoa(int(limit)) + " bytes, the most a course file may be"}
	}
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), nil
}

func sniff(data []byte) byte {
	for _, b := range data {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b
	}
	return 0
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// finish sorts what the decoders built, runs Validate and merges the
// problems found while reading (which come first).
func finish(c *Course, rep *Report, readProblems []Problem) (*Course, *Report, error) {
	sort.SliceStable(c.Stages, func(i, j int) bool { return c.Stages[i].SortOrder < c.Stages[j].SortOrder })
	for _, s := range c.Stages {
		sort.SliceStable(s.Segments, func(i, j int) bool { return s.Segments[i].SortOrder < s.Segments[j].SortOrder })
		for _, g := range s.Segments {
			sort.SliceStable(g.Waypoints, func(i, j int) bool { return g.Waypoints[i].SortOrder < g.Waypoints[j].SortOrder })
		}
	}
	problems := readProblems
	var ve *ValidationError
	if err := c.Validate(); errors.As(err, &ve) {
		problems = append(problems, ve.Problems...)
	}
	if len(problems) > 0 {
		return c, rep, &ValidationError{Problems: problems}
	}
	return c, rep, nil
}
