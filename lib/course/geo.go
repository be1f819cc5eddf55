package course

import (
	"math"
	"sort"
)

// Point is a WGS 84 position in degrees (SRID 4326), longitude first as in
// GeoJSON and PostGIS.
type Point struct {
	Lon, Lat float64
}

// LineString is a line through two or more points (a route).
type LineString []Point

// Ring is a closed line: its first and last points are equal, and it has at
// least four points.
type Ring []Point

// Polygon is an exterior ring followed by zero or more holes.
type Polygon []Ring

// Limits on geometry that keep validation cheap whatever the input.
const (
	// MaxPolygonVertices bounds one polygon (all rings). A circle geofence
	// has CircleVertices+1.
	MaxPolygonVertices = 4096
	// CircleVertices is the number of distinct vertices of the polygon that
	// stands for a circle (GeofenceCircle).
	CircleVertices = 32
	// earthRadius is the mean radius of the WGS 84 ellipsoid, in metres,
	// used for distances on a sphere.
	earthRadius = 6371008.8
)

// Distance is the great-circle distance between a and b in metres on a
// sphere of the Earth's mean radius (haversine); within 0.5 % of the
// ellipsoidal distance, which is less than a GPS fix's error at the radii
// this package deals in.
func Distance(a, b Point) float64 {
	φ1, φ2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dφ := φ2 - φ1
	dλ := (b.Lon - a.Lon) * math.Pi / 180
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Length is the length of l in metres (sum of Distance).
func (l LineString) Length() float64 {
	var sum float64
	for i := 1; i < len(l); i++ {
		sum += Distance(l[i-1], l[i])
	}
	return sum
}

// GeofenceCircle is the polygon a control point's geofence gets: a regular
// polygon of CircleVertices vertices around center whose edges touch the
// circle of radiusMeters from outside (vertices at radius / cos(π/n)), so
// that every position within the radius is inside the polygon; positions up
// to 0.5 % beyond the radius, at the vertices, are inside too. The ring is
// counter-clockwise (RFC 7946), starts due north and closes on its first
// point; vertices are rounded to 1e-7° (about 1 cm), so the same center and
// radius always give the same polygon, and it survives any store or format
// that keeps seven decimals. Near a pole or the antimeridian the vertices
// can leave the valid range; Validate then reports the geofence.
func GeofenceCircle(center Point, radiusMeters int) Polygon {
	const n = CircleVertices
	r := float64(radiusMeters) / math.Cos(math.Pi/n)
	δ := r / earthRadius
	φ1 := center.Lat * math.Pi / 180
	λ1 := center.Lon * math.Pi / 180
	ring := make(Ring, 0, n+1)
	for k := 0; k < n; k++ {
		θ := -2 * math.Pi * float64(k) / n // counter-clockwise: bearings decrease
		φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(θ))
		λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
		ring = append(ring, Point{Lon: round7(λ2 * 180 / math.Pi), Lat: round7(φ2 * 180 / math.Pi)})
	}
	ring = append(ring, ring[0])
	return Polygon{ring}
}

func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

// pointProblem says what is wrong with p as a location, or "".
func pointProblem(p Point) (Code, string) {
	switch {
	case math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lon, 0):
		return CodeCoordinates, "coordinates are not numbers"
	case p.Lat < -90 || p.Lat > 90:
		return CodeCoordinates, "latitude " + fmtFloat(p.Lat) + " is outside -90…90"
	case p.Lon < -180 || p.Lon > 180:
		return CodeCoordinates, "longitude " + fmtFloat(p.Lon) + " is outside -180…180"
	case p.Lat == 0 && p.Lon == 0:
		return CodeNullIsland, "location is (0, 0), the usual sign of a missing position"
	}
	return "", ""
}

// polygonProblem says what is wrong with p as a polygon, or "".
func polygonProblem(p Polygon) (Code, string) {
	if len(p) == 0 {
		return CodePolygon, "polygon has no ring"
	}
	total := 0
	for _, r := range p {
		total += len(r)
	}
	if total > MaxPolygonVertices {
		return CodePolygon, "polygon has " + itoa(total) + " vertices, more than " + itoa(MaxPolygonVertices)
	}
	for i, r := range p {
		what := "exterior ring"
		if i > 0 {
			what = "hole " + itoa(i)
		}
		if len(r) < 4 {
			return CodePolygon, what + " has " + itoa(len(r)) + " points; a ring needs at least 4 (the first repeated last)"
		}
		for _, pt := range r {
			if c, msg := pointProblem(pt); c == CodeCoordinates {
				return c, what + ": " + msg
			}
		}
		if r[0] != r[len(r)-1] {
			return CodePolygon, what + " is not closed: its last point differs from its first"
		}
		if msg := ringProblem(r); msg != "" {
			return CodePolygon, what + " " + msg
		}
	}
	return "", ""
}

// ringProblem finds a self-intersection or a zero area in a closed ring,
// treating coordinates as planar (as PostGIS does for geometry in 4326).
// Edges are swept by longitude, so typical rings cost O(n log n).
func ringProblem(r Ring) string {
	pts := make([]Point, 0, len(r))
	for _, p := range r {
		if len(pts) == 0 || pts[len(pts)-1] != p {
			pts = append(pts, p)
		}
	}
	n := len(pts) - 1 // distinct vertices; pts[n] == pts[0]
	if n < 3 {
		return "has fewer than 3 distinct vertices"
	}
	var area float64
	for i := 0; i < n; i++ {
		area += pts[i].Lon*pts[i+1].Lat - pts[i+1].Lon*pts[i].Lat
	}
	if area == 0 {
		return "has zero area"
	}
	type edge struct {
		i          int
		minX, maxX float64
	}
	edges := make([]edge, n)
	for i := 0; i < n; i++ {
		a, b := pts[i], pts[i+1]
		edges[i] = edge{i, math.Min(a.Lon, b.Lon), math.Max(a.Lon, b.Lon)}
	}
	sort.Slice(edges, func(x, y int) bool { return edges[x].minX < edges[y].minX })
	for x := 0; x < n; x++ {
		e := edges[x]
		for y := x + 1; y < n && edges[y].minX <= e.maxX; y++ {
			f := edges[y]
			i, j := e.i, f.i
			if i > j {
				i, j = j, i
			}
			a1, a2, b1, b2 := pts[i], pts[i+1], pts[j], pts[j+1]
			adjacent := j == i+1 || (i == 0 && j == n-1)
			if adjacent {
				// Adjacent edges share one vertex; they are bad only when
				// they fold back over each other.
				if collinearOverlap(a1, a2, b1, b2) {
					return "folds back on itself near " + fmtPoint(pts[j])
				}
				continue
			}
			if segmentsIntersect(a1, a2, b1, b2) {
				return "crosses itself near " + fmtPoint(a1)
			}
		}
	}
	return ""
}

func orient(a, b, c Point) float64 {
	return (b.Lon-a.Lon)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lon-a.Lon)
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, p Point) bool {
	return math.Min(a.Lon, b.Lon) <= p.Lon && p.Lon <= math.Max(a.Lon, b.Lon) &&
		math.Min(a.Lat, b.Lat) <= p.Lat && p.Lat <= math.Max(a.Lat, b.Lat)
}

func segmentsIntersect(a1, a2, b1, b2 Point) bool {
	d1 := sign(orient(b1, b2, a1))
	d2 := sign(orient(b1, b2, a2))
	d3 := sign(orient(a1, a2, b1))
	d4 := sign(orient(a1, a2, b2))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return (d1 == 0 && onSegment(b1, b2, a1)) || (d2 == 0 && onSegment(b1, b2, a2)) ||
		(d3 == 0 && onSegment(a1, a2, b1)) || (d4 == 0 && onSegment(a1, a2, b2))
}

// collinearOverlap: two edges sharing a vertex lie on one line and overlap
// by more than that vertex.
func collinearOverlap(a1, a2, b1, b2 Point) bool {
	if orient(a1, a2, b1) != 0 || orient(a1, a2, b2) != 0 {
		return false
	}
	// The shared vertex is a2 == b1 (or b2 == a1 for the closing pair);
	// overlap means the far ends lie on the same side of it.
	var shared, p, q Point
	switch {
	case a2 == b1:
		shared, p, q = a2, a1, b2
	case b2 == a1:
		shared, p, q = a1, a2, b1
	default:
		return false
	}
	dot := (p.Lon-shared.Lon)*(q.Lon-shared.Lon) + (p.Lat-shared.Lat)*(q.Lat-shared.Lat)
	return dot > 0
}
