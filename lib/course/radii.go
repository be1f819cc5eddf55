package course

// Radii are the two circles of a waypoint, in whole metres.
type Radii struct {
	// Open is the radius from which the navigation instrument guides to the
	// waypoint (OpenRally open).
	Open int
	// Tolerance is the validation radius: passing within it validates the
	// waypoint (OpenRally clear). 0 < Tolerance ≤ Open.
	Tolerance int
}

// DefaultRadii are the radii a waypoint of type t gets when its file gives
// none. The decoders store them in the course, so a later change of these
// defaults never changes an imported course.
//
// From the public rules (FIM / W2RC, and OpenRally's defaults):
//
//	WPM        open  800 m, validation 200 m
//	WPS        open 3000 m, validation  90 m
//	every other type: validation 90 m
//
// The rules give no open radius for the other types; this package uses
// 800 m, the WPM's, for all of them: far enough for an instrument to point
// the way on a track, near enough not to open a waypoint from a parallel
// track. An unknown type gets the same.
func DefaultRadii(t WaypointType) Radii {
	switch t {
	case WPM:
		return Radii{Open: 800, Tolerance: 200}
	case WPS:
		return Radii{Open: 3000, Tolerance: 90}
	}
	return Radii{Open: 800, Tolerance: 90}
}
