package course

import (
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// openRallyElement is the OpenRally element written for a waypoint type, and
// whether it takes open/clear radii. PC has no element in v1.0.3 (its
// passagecontrol was dropped from the cross-country schema): only the TRM
// extension says what it is.
func openRallyElement(t WaypointType) (name string, radii bool) {
	switch t {
	case WPV, WPM, WPE, WPS, WPC, WPN, WPP, DSS, ASS, DZ, FZ, DT, FT, FN:
		return strings.ToLower(string(t)), true
	case CP:
		return "checkpoint", true
	case TC:
		return "timecontrol", false
	case SC:
		return "stop", false
	case SN:
		return "neutralization", false
	}
	return "", false
}

// WriteGPX writes the whole course as GPX 1.1 that OpenRally readers
// understand (each waypoint carries its OpenRally element with its radii,
// its roadbook distance counted from the start of its stage, and a DZ its
// speed) and that DecodeGPX reads back to an equal course through the TRM
// extension (namespace TRMNamespace, prefix trm):
//
//	<metadata><extensions>
//	  <openrally:units>metric</openrally:units>
//	  <trm:course>
//	    <trm:geofence name kind manual-verification retroactive>
//	      <trm:ring><trm:pt lat lon/>…</trm:ring>…        exterior, then holes
//	    </trm:geofence>…
//	    <trm:stage code name sort role status starts-at start-interval
//	               start-order n input-stage>
//	      <trm:segment code name sort type entry exit target-duration
//	                   allowed-lateness length-km>
//	        <trm:zone name limit retroactive start end>   start/end: DZ/FZ names
//	          <trm:ring>…</trm:ring>                      or an area
//	        </trm:zone>…
//	      </trm:segment>…
//	    </trm:stage>…
//	  </trm:course>
//	</extensions></metadata>
//	<wpt lat lon><name/><desc>notes</desc><extensions>
//	  <openrally:…/>
//	  <trm:waypoint stage segment sort type open tolerance distance-km/>
//	</extensions></wpt>…                              stage, segment, sort order
//	<trk><name>S1 SS1</name><extensions><trm:route stage segment/></extensions>
//	  <trkseg><trkpt lat lon/>…</trkseg></trk>…       one per segment with a route
//
// Optional values are attributes left out when unset; times are RFC 3339 in
// UTC; numbers are written in full (shortest form that reads back exactly).
// The course must be valid: WriteGPX returns Validate's error otherwise and
// writes nothing.
func WriteGPX(w io.Writer, c *Course) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b := bufio.NewWriterSize(w, 64<<10)
	x := &xw{b: b}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<gpx version="1.1" creator="TRM lib/course" xmlns="` + gpx11Namespace + `" xmlns:openrally="` + OpenRallyNamespace + `" xmlns:trm="` + TRMNamespace + `">` + "\n")
	x.raw("  <metadata>\n")
	if c.Name != "" {
		x.raw("    <name>")
		x.text(c.Name)
		x.raw("</name>\n")
	}
	x.raw("    <extensions>\n      <openrally:units>metric</openrally:units>\n      <trm:course>\n")
	for _, g := range c.Geofences {
		x.open("        ", "trm:geofence", "name", g.Name, "kind", string(g.Kind),
			"manual-verification", strconv.FormatBool(g.ManualVerification), "retroactive", strconv.FormatBool(g.Retroactive))
		x.rings("          ", g.Geometry)
		x.raw("        </trm:geofence>\n")
	}
	for _, s := range c.Stages {
		kv := []string{"code", s.Code, "name", s.Name, "sort", itoa(s.SortOrder), "role", string(s.Role), "status", string(s.Status)}
		if s.StartsAt != nil {
			kv = append(kv, "starts-at", s.StartsAt.UTC().Format(time.RFC3339Nano))
		}
		kv = appendInt(kv, "start-interval", s.StartIntervalSeconds)
		kv = append(kv, "start-order", string(s.StartOrder.Strategy))
		if s.StartOrder.Params.N != 0 {
			kv = append(kv, "n", itoa(s.StartOrder.Params.N))
		}
		if s.StartOrder.InputStage != "" {
			kv = append(kv, "input-stage", s.StartOrder.InputStage)
		}
		x.open("        ", "trm:stage", kv...)
		for _, g := range s.Segments {
			kv := []string{"code", g.Code, "name", g.Name, "sort", itoa(g.SortOrder), "type", string(g.Type)}
			if g.EntryGeofence != "" {
				kv = append(kv, "entry", g.EntryGeofence)
			}
			if g.ExitGeofence != "" {
				kv = append(kv, "exit", g.ExitGeofence)
			}
			kv = appendInt(kv, "target-duration", g.TargetDurationSeconds)
			kv = appendInt(kv, "allowed-lateness", g.AllowedLatenessSeconds)
			if g.LengthKm != nil {
				kv = append(kv, "length-km", fmtFloat(*g.LengthKm))
			}
			if len(g.SpeedZones) == 0 {
				x.empty("          ", "trm:segment", kv...)
				continue
			}
			x.open("          ", "trm:segment", kv...)
			for _, z := range g.SpeedZones {
				kv := []string{"name", z.Name, "limit", itoa(z.LimitKmh), "retroactive", strconv.FormatBool(z.Retroactive)}
				if z.StartWaypoint != "" || z.EndWaypoint != "" {
					kv = append(kv, "start", z.StartWaypoint, "end", z.EndWaypoint)
				}
				if z.Area == nil {
					x.empty("            ", "trm:zone", kv...)
					continue
				}
				x.open("            ", "trm:zone", kv...)
				x.rings("              ", z.Area)
				x.raw("            </trm:zone>\n")
			}
			x.raw("          </trm:segment>\n")
		}
		x.raw("        </trm:stage>\n")
	}
	x.raw("      </trm:course>\n    </extensions>\n  </metadata>\n")
	for _, s := range c.Stages {
		odo := 0.0
		for _, g := range s.Segments {
			var last *float64
			for _, w := range g.Waypoints {
				x.waypoint(s, g, w, odo)
				if w.DistanceKm != nil {
					last = w.DistanceKm
				}
			}
			switch {
			case g.LengthKm != nil:
				odo += *g.LengthKm
			case last != nil:
				odo += *last
			}
		}
	}
	for _, s := range c.Stages {
		for _, g := range s.Segments {
			if g.Route == nil {
				continue
			}
			x.raw("  <trk>\n    <name>")
			x.text(s.Code + " " + g.Code)
			x.raw("</name>\n    <extensions>")
			x.empty("", "trm:route", "stage", s.Code, "segment", g.Code)
			x.raw("    </extensions>\n    <trkseg>\n")
			for _, p := range g.Route {
				x.raw(`      <trkpt lat="` + fmtFloat(p.Lat) + `" lon="` + fmtFloat(p.Lon) + "\"/>\n")
			}
			x.raw("    </trkseg>\n  </trk>\n")
		}
	}
	x.raw("</gpx>\n")
	if x.err != nil {
		return x.err
	}
	return b.Flush()
}

func (x *xw) waypoint(s *Stage, g *Segment, w *Waypoint, odo float64) {
	x.raw(`  <wpt lat="` + fmtFloat(w.Location.Lat) + `" lon="` + fmtFloat(w.Location.Lon) + "\">\n    <name>")
	x.text(w.Name)
	x.raw("</name>\n")
	if w.Notes != "" {
		x.raw("    <desc>")
		x.text(w.Notes)
		x.raw("</desc>\n")
	}
	x.raw("    <extensions>\n")
	if w.DistanceKm != nil {
		x.raw("      <openrally:distance>" + fmtFloat(round6(odo+*w.DistanceKm)) + "</openrally:distance>\n")
	}
	if el, radii := openRallyElement(w.Type); el != "" {
		var kv []string
		if radii {
			kv = []string{"open", itoa(w.OpenRadiusMeters), "clear", itoa(w.ToleranceMeters)}
		}
		if w.Type == SN {
			secs := 0
			if g.TargetDurationSeconds != nil {
				secs = *g.TargetDurationSeconds
			}
			x.raw("      <openrally:neutralization>" + itoa(secs) + "</openrally:neutralization>\n")
		} else {
			x.empty("      ", "openrally:"+el, kv...)
		}
	}
	if w.Type == DZ {
		for _, z := range g.SpeedZones {
			if z.StartWaypoint == w.Name {
				x.raw("      <openrally:speed>" + itoa(z.LimitKmh) + "</openrally:speed>\n")
				break
			}
		}
	}
	kv := []string{"stage", s.Code, "segment", g.Code, "sort", itoa(w.SortOrder), "type", string(w.Type),
		"open", itoa(w.OpenRadiusMeters), "tolerance", itoa(w.ToleranceMeters)}
	if w.DistanceKm != nil {
		kv = append(kv, "distance-km", fmtFloat(*w.DistanceKm))
	}
	x.empty("      ", "trm:waypoint", kv...)
	x.raw("    </extensions>\n  </wpt>\n")
}

func appendInt(kv []string, name string, p *int) []string {
	if p == nil {
		return kv
	}
	return append(kv, name, itoa(*p))
}

// xw writes XML by hand: the layout stays fixed and the track, most of the
// file, costs one string per point.
type xw struct {
	b   *bufio.Writer
	err error
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.b.WriteString(s)
	}
}

func (x *xw) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.b, []byte(s))
	}
}

func (x *xw) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		x.raw(" " + kv[i] + `="`)
		x.text(kv[i+1])
		x.raw(`"`)
	}
}

func (x *xw) open(indent, name string, kv ...string) {
	x.raw(indent + "<" + name)
	x.attrs(kv)
	x.raw(">\n")
}

func (x *xw) empty(indent, name string, kv ...string) {
	x.raw(indent + "<" + name)
	x.attrs(kv)
	x.raw("/>\n")
}

func (x *xw) rings(indent string, p Polygon) {
	for _, r := range p {
		x.raw(indent + "<trm:ring>\n")
		for _, pt := range r {
			x.raw(indent + `  <trm:pt lat="` + fmtFloat(pt.Lat) + `" lon="` + fmtFloat(pt.Lon) + "\"/>\n")
		}
		x.raw(indent + "</trm:ring>\n")
	}
}
