// Package course is the course of a rally-raid event as data: stages,
// their segments (liaisons, specials, …), the waypoints and speed zones of
// each segment, and the event's geofences; the enumerations that name them;
// the rules a course must follow (Validate); and the files a course is
// exchanged in: OpenRally GPX read and written, plain GPX read, GeoJSON read
// and written.
//
// # How the processor reads a course
//
// This package is the contract between the business plane, which stores
// the course in PostgreSQL through Directus, and the processor, which tests
// competitors' positions against it. The processor imports this package
// and builds a Course in one of two ways:
//
//   - From the database. Each type maps to one table and each field to one
//     column of the same name in snake case: Stage → stages, Segment →
//     segments, Waypoint → waypoints, SpeedZone → speed_limit_zones,
//     Geofence → geofences (table below). IDs are the rows' UUIDs; the
//     references that files make by name (a segment's entry geofence, a
//     zone's DZ and FZ, a start order's input stage) are foreign keys
//     there, which the processor resolves to names (or keeps as IDs beside
//     them). Geometries are PostGIS geometry(…, 4326): Point, LineString
//     and Polygon map to Point, LineString and Polygon here.
//   - From an export (trmctl course export --format geojson, or gpx),
//     read with Decode.
//
// Either way it should call Validate, and then rely on what Validate
// guarantees (below) rather than re-check it. The enumerations (StageRole,
// StageStatus, StartOrderStrategy, SegmentType, GeofenceKind, WaypointType)
// are defined here once; the Directus dropdowns and the database's CHECK
// constraints are tested against them, so a value the processor reads from
// the database is always one of them. Radii are stored with each waypoint:
// the processor uses OpenRadiusMeters and ToleranceMeters as they are and
// never applies DefaultRadii itself.
//
//	type.field                          table.column
//	Stage.Code, Name, SortOrder         stages.code, name, sort_order
//	Stage.Role, Status                  stages.role, status
//	Stage.StartsAt                      stages.starts_at (timestamptz, null)
//	Stage.StartIntervalSeconds          stages.start_interval_seconds (null)
//	Stage.StartOrder.Strategy           stages.start_order_strategy
//	Stage.StartOrder.Params             stages.start_order_strategy_params (json: {} or {"n": N})
//	Stage.StartOrder.InputStage         stages.start_order_input_stage_id → stages
//	Segment.Code, Name, SortOrder, Type segments.code, name, sort_order, type
//	Segment.EntryGeofence, ExitGeofence segments.entry_geofence_id, exit_geofence_id → geofences
//	Segment.TargetDurationSeconds       segments.target_duration_seconds (null)
//	Segment.AllowedLatenessSeconds      segments.allowed_lateness_seconds (null)
//	Segment.LengthKm                    segments.length_km (null)
//	Segment.Route                       segments.route (LineString, null)
//	Waypoint.SortOrder, Name, Type      waypoints.sort_order, name, type
//	Waypoint.Location                   waypoints.location (Point)
//	Waypoint.OpenRadiusMeters           waypoints.open_radius_meters
//	Waypoint.ToleranceMeters            waypoints.tolerance_meters (validation radius)
//	Waypoint.DistanceKm, Notes          waypoints.distance_km (null), notes
//	SpeedZone.Name, LimitKmh            speed_limit_zones.name, limit_kmh
//	SpeedZone.Retroactive, Area         speed_limit_zones.retroactive, area (Polygon, null)
//	SpeedZone.StartWaypoint, EndWaypoint speed_limit_zones.start_waypoint_id, end_waypoint_id → waypoints
//	Geofence.Name, Kind, Geometry       geofences.name, kind, geometry (Polygon)
//	Geofence.ManualVerification         geofences.manual_verification
//	Geofence.Retroactive                geofences.retroactive
//
// Parents are the rows' stage_id, segment_id and event_id.
//
// # What a valid course guarantees
//
// See Validate for the full list. In short: codes and names are unique
// under their parent and every reference resolves; sort orders are unique
// under their parent (waypoints are validated in sort order); every
// location is a real position (not (0, 0)); 0 < validation radius ≤ open
// radius; polygons are valid; a special's DSS comes before its ASS; every
// speed zone is an area or a DZ → FZ pair of its segment, DZ first; a start
// order's input stage is an earlier stage.
//
// # Files
//
// Decode tells the format by content. Two formats hold the whole course and
// round-trip exactly (write, read: an equal course): GPX with the TRM
// extension, which WriteGPX writes (OpenRally GPX v1.0.3 that any OpenRally
// reader understands, plus the TRM course namespace TRMNamespace for what
// OpenRally cannot say: stages, segments, zones, geofences, each waypoint's
// place and radii), and GeoJSON, which WriteGeoJSON writes (one
// FeatureCollection, one feature per row; the shape is documented there).
//
// Two formats hold the points of one stage, as roadbook software exports
// them: OpenRally GPX (v1.0 to v1.0.3) and plain GPX whose waypoint names,
// or <type>, say what each point is. DecodeOptions.Stage says which stage
// they become; the file gives its segments, waypoints, zones and
// geofences, not the stage's role, status, schedule or start order
// (Format.WholeCourse is false), which an importer should keep from the
// stage it replaces. Report says what became of each point.
//
// # One-stage files
//
// Each point of the file is a waypoint, or several when it carries several
// elements (a time control that is also the DSS: two waypoints, "TC1" and
// "TC1 DSS", one in each segment). Its type comes from its OpenRally
// elements (wpm wpe wps wpc wpv wpp wpn → WPx; dss, ass; dz, fz; dt, ft;
// neutralization → SN, fn → FN; timecontrol → TC; checkpoint → CP;
// passagecontrol → PC; stop, stopcontrol → SC), else from its GPX <type>
// if that is a type code, else from its name: a type code at the start,
// optionally numbered: "WP12" (a bare WP is a WPV), "WPM 3", "DSS",
// "CP1 Kukës", "DZ-3", "tc2", case-insensitive. Other points (roadbook
// boxes with only a tulip or a distance) are skipped, and Report says so.
// A point's name is its <name>, else the name attribute of its element,
// else its type and number in the segment ("WPM 3").
//
// Segments follow the markers in file order: a DSS opens a special stage
// and its ASS closes it; dt opens a liaison and ft closes it;
// neutralization opens a neutralisation (its seconds are the segment's
// target duration) and fn closes it; a point outside any segment opens a
// liaison. The roles of one point are taken in this order: FZ, ASS and FN
// (they end the current zone or segment), the controls TC, SC, CP and PC,
// FT (a transfer's arrival control belongs to the transfer), DT, DSS, SN
// and DZ (they open), then the navigation waypoints. Segments are coded L1, L2 (liaisons), SS1 (specials), N1
// (neutralisations) within the stage and named "Liaison 1", "Special 1".
//
// Every control point — DSS, ASS, DT, FT, TC, SC, CP, PC, SN, FN — gets a
// geofence of the event (kind: WaypointType.GeofenceKind), named "<stage
// code> <waypoint name>" (with the segment code too if that is taken), its
// polygon GeofenceCircle of the waypoint's validation radius: a regular
// 32-gon whose edges touch that circle from outside, so that every position
// that validates the waypoint is inside the geofence. A segment enters by
// the geofence of its first waypoint (or, when it only continues after the
// previous segment, by that segment's exit) and exits by its last
// waypoint's; a segment without such a waypoint shares its neighbour's.
//
// A DZ opens a speed zone of its segment and the next FZ of the same
// segment closes it; the limit is the DZ point's OpenRally speed (or the
// dz element's text), or for a plain GPX "50 km/h" in its name, <desc> or
// <cmt>. A timecontrol's allowed= (minutes to the next control) is the
// target duration of the segment that control starts: the segment it is
// the first waypoint of, or the next one when it is the last waypoint of
// its segment (the arrival control before a new liaison); anywhere else it
// is reported as a Note and not kept. OpenRally distance is the roadbook
// odometer (reset honoured): a waypoint's DistanceKm counts from the start
// of its segment (a segment that continues after the previous one starts
// where that one ended), and a segment's LengthKm is its last waypoint's
// distance, or the length of its route when the file gives no distances.
// The track (all trk and rte points, in order) is cut into the segments'
// routes at the points where it passes their first and last waypoints.
// units statute (or the schema's spelling statue) converts miles, mph and
// yards; the result is always metric.
//
// Radii not in the file are DefaultRadii of the waypoint's type, written
// into the course (and so stored by an importer), never computed later.
//
// # Bad input
//
// Decode never panics. Input that cannot be a course — not XML or JSON,
// not GPX, an OpenRally or TRM namespace of a version this package does not
// read, another character encoding than UTF-8 or ISO-8859-1, a value that
// is not a number, nesting deeper than 64 elements, more than
// DecodeOptions.MaxBytes (64 MiB unless set) — is a *DecodeError with the
// file and line. A course that was read but breaks a rule — a DSS without
// an ASS, an FZ without its DZ, radii out of order, coordinates out of
// range, a waypoint at (0, 0), a name used twice, … — is a
// *ValidationError listing every problem with its file, line and path
// (stage, segment, waypoint), returned with the course and report. Both
// carry a Code to act on. Polygons have at most MaxPolygonVertices
// vertices, so that validation stays cheap whatever the input; cutting a
// track into routes is skipped (with a Note) beyond 50 million distance
// computations.
//
// # Dependencies
//
// The standard library only. The geometry a course needs — distances on a
// sphere, a circle as a polygon, a planar check that a ring does not cross
// itself — is a few functions here; a geometry library (orb, go-geom)
// would bring more than it saves, and PostGIS, which stores the course,
// checks validity again.
package course
