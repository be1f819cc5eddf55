package course

// The enumerations of a course. Each is defined once, here: the Directus
// schema's dropdown choices (value and label) and the database's CHECK
// constraints are tested against these lists. Every type has:
//
//   - a list of all values in display order (StageRoles, …), a fresh slice
//     on each call;
//   - Valid, true for a value of that list;
//   - Label, the English text organisers read in the admin UI.

// StageRole says what a stage is for.
type StageRole string

const (
	// RolePrologue: a short timed stage before the first stage whose result
	// sets the start order of stage 1 (W2RC: the top ten then choose their
	// slots in reverse order of the prologue). Whether its time counts in
	// the overall classification is the supplementary regulations' choice.
	RolePrologue StageRole = "prologue"
	// RoleStage: a regular day of the rally: liaisons and one or more
	// special stages between a start and a finish (usually the bivouac).
	RoleStage StageRole = "stage"
	// RoleMarathon: a stage run without outside assistance, usually over
	// two days with a bivouac in between where only competitors may work
	// on their vehicles. Timed like a regular stage.
	RoleMarathon StageRole = "marathon"
	// RoleSuperSpecial: a short special stage on a closed course, often
	// near a town and in front of spectators, timed like a special.
	RoleSuperSpecial StageRole = "super-special"
)

var stageRoles = []enumValue[StageRole]{
	{RolePrologue, "Prologue"},
	{RoleStage, "Stage"},
	{RoleMarathon, "Marathon stage"},
	{RoleSuperSpecial, "Super special"},
}

// StageRoles lists every stage role in display order.
func StageRoles() []StageRole { return values(stageRoles) }

// Valid reports whether r is one of StageRoles.
func (r StageRole) Valid() bool { return valid(stageRoles, r) }

// Label is the text shown to organisers.
func (r StageRole) Label() string { return label(stageRoles, r) }

// StageStatus is where a stage is in its life. The usual path is draft →
// published → open → closed; cancelled can follow any of them.
type StageStatus string

const (
	// StatusDraft: the course is being defined; competitors do not see it.
	StatusDraft StageStatus = "draft"
	// StatusPublished: the course is final and given to competitors and
	// their navigation apps; it is not running yet.
	StatusPublished StageStatus = "published"
	// StatusOpen: the stage is running. Phase 5 keys on the change to open
	// to materialise each entry's segment starts (start order, target
	// times).
	StatusOpen StageStatus = "open"
	// StatusClosed: the stage has finished; its results may be computed and
	// made official.
	StatusClosed StageStatus = "closed"
	// StatusCancelled: the stage is not run (weather, safety); it keeps its
	// course for the record.
	StatusCancelled StageStatus = "cancelled"
)

var stageStatuses = []enumValue[StageStatus]{
	{StatusDraft, "Draft"},
	{StatusPublished, "Published"},
	{StatusOpen, "Open (running)"},
	{StatusClosed, "Closed"},
	{StatusCancelled, "Cancelled"},
}

// StageStatuses lists every stage status in life order.
func StageStatuses() []StageStatus { return values(stageStatuses) }

// Valid reports whether s is one of StageStatuses.
func (s StageStatus) Valid() bool { return valid(stageStatuses, s) }

// Label is the text shown to organisers.
func (s StageStatus) Label() string { return label(stageStatuses, s) }

// StartOrderStrategy says how the start order of a stage is made. Its
// parameters are StartOrderParams; Validate checks them per strategy.
type StartOrderStrategy string

const (
	// StartManual: the organisers set each start position by hand. No
	// parameters, no input stage.
	StartManual StartOrderStrategy = "manual"
	// StartPreviousStageCleanResult: the classification of the input stage
	// without penalties, fastest first (from stage 2 of W2RC, the previous
	// stage's winner starts first). Needs an input stage; no parameters.
	StartPreviousStageCleanResult StartOrderStrategy = "previous_stage_clean_result"
	// StartInverseTopNThenNatural: the first N of the input stage start in
	// reverse order (N-th first), everyone else after them in the order of
	// that stage's result (after the prologue, W2RC's top ten). Needs an
	// input stage and N ≥ 1.
	StartInverseTopNThenNatural StartOrderStrategy = "inverse_top_n_then_natural"
	// StartInverseOfOverall: the overall classification after the input
	// stage, in reverse (24-hour formats). Needs an input stage; no
	// parameters.
	StartInverseOfOverall StartOrderStrategy = "inverse_of_overall"
)

var startOrderStrategies = []enumValue[StartOrderStrategy]{
	{StartManual, "Manual"},
	{StartPreviousStageCleanResult, "Previous stage, clean result"},
	{StartInverseTopNThenNatural, "Top N reversed, then natural order"},
	{StartInverseOfOverall, "Overall classification reversed"},
}

// StartOrderStrategies lists every strategy in display order.
func StartOrderStrategies() []StartOrderStrategy { return values(startOrderStrategies) }

// Valid reports whether s is one of StartOrderStrategies.
func (s StartOrderStrategy) Valid() bool { return valid(startOrderStrategies, s) }

// Label is the text shown to organisers.
func (s StartOrderStrategy) Label() string { return label(startOrderStrategies, s) }

// NeedsInputStage reports whether the strategy orders by the result of an
// earlier stage (every strategy but manual).
func (s StartOrderStrategy) NeedsInputStage() bool { return s.Valid() && s != StartManual }

// SegmentType says what a part of a stage is.
type SegmentType string

const (
	// SegmentLiaison: a road section between controls, driven to an ideal
	// time (the target duration): arriving late, or early, costs penalties.
	SegmentLiaison SegmentType = "liaison"
	// SegmentSpecialStage: a timed selective section from DSS to ASS.
	SegmentSpecialStage SegmentType = "special-stage"
	// SegmentParcFerme: the closed park where vehicles wait under the
	// organisers' control; its entry and exit are time controls.
	SegmentParcFerme SegmentType = "parc-ferme"
	// SegmentNeutralisation: a neutralised section (refuel, a crossing of a
	// town): its time does not count; its target duration is how long it
	// lasts.
	SegmentNeutralisation SegmentType = "neutralisation"
)

var segmentTypes = []enumValue[SegmentType]{
	{SegmentLiaison, "Liaison"},
	{SegmentSpecialStage, "Special"},
	{SegmentParcFerme, "Parc fermé"},
	{SegmentNeutralisation, "Neutralisation"},
}

// SegmentTypes lists every segment type in display order.
func SegmentTypes() []SegmentType { return values(segmentTypes) }

// Valid reports whether t is one of SegmentTypes.
func (t SegmentType) Valid() bool { return valid(segmentTypes, t) }

// Label is the text shown to organisers ("Special" in "SS1 — Special —
// 142 km").
func (t SegmentType) Label() string { return label(segmentTypes, t) }

// GeofenceKind says what happens when a competitor enters a geofence.
type GeofenceKind string

const (
	// KindStart: the start of a timed segment (a DSS, the start of a
	// transfer).
	KindStart GeofenceKind = "start"
	// KindFinish: the finish of a timed segment (an ASS, the end of a
	// transfer).
	KindFinish GeofenceKind = "finish"
	// KindTimeControl: a time control (TC), or a stop control (SC): the
	// time of arrival is recorded against the schedule.
	KindTimeControl GeofenceKind = "time-control"
	// KindCheckpoint: a checkpoint (CP) where passage is recorded.
	KindCheckpoint GeofenceKind = "checkpoint"
	// KindPassageControl: a passage control (PC): passing is checked, no
	// time is recorded.
	KindPassageControl GeofenceKind = "passage-control"
	// KindParcFerme: the closed park.
	KindParcFerme GeofenceKind = "parc-ferme"
	// KindRefuel: a refuelling zone.
	KindRefuel GeofenceKind = "refuel"
	// KindNeutralisation: the start (SN) or end (FN) of a neutralised
	// section.
	KindNeutralisation GeofenceKind = "neutralisation"
	// KindBivouac: the bivouac.
	KindBivouac GeofenceKind = "bivouac"
)

var geofenceKinds = []enumValue[GeofenceKind]{
	{KindStart, "Start"},
	{KindFinish, "Finish"},
	{KindTimeControl, "Time control"},
	{KindCheckpoint, "Checkpoint"},
	{KindPassageControl, "Passage control"},
	{KindParcFerme, "Parc fermé"},
	{KindRefuel, "Refuel"},
	{KindNeutralisation, "Neutralisation"},
	{KindBivouac, "Bivouac"},
}

// GeofenceKinds lists every geofence kind in display order.
func GeofenceKinds() []GeofenceKind { return values(geofenceKinds) }

// Valid reports whether k is one of GeofenceKinds.
func (k GeofenceKind) Valid() bool { return valid(geofenceKinds, k) }

// Label is the text shown to organisers.
func (k GeofenceKind) Label() string { return label(geofenceKinds, k) }

// WaypointType is the type of a point of the roadbook, as the rally-raid
// rules (FIM, W2RC) and OpenRally name them. Every waypoint has an open
// radius (from where the navigation instrument guides to it) and a
// validation radius (within which passing validates it); see DefaultRadii.
type WaypointType string

const (
	// WPV: visible waypoint; the instrument guides to it once the previous
	// one is validated.
	WPV WaypointType = "WPV"
	// WPM: masked waypoint; coordinates hidden, guidance only inside its
	// open radius. Checks that the roadbook is followed.
	WPM WaypointType = "WPM"
	// WPE: eclipse waypoint; guidance once the previous waypoint is
	// validated (or near it when that one was missed).
	WPE WaypointType = "WPE"
	// WPS: safety waypoint before a danger; hidden, guidance from far away
	// (3 km), validated close.
	WPS WaypointType = "WPS"
	// WPC: control waypoint; no guidance besides the order, never off the
	// track: prevents shortcuts.
	WPC WaypointType = "WPC"
	// WPN: navigation waypoint; keeps crews on a difficult route (dunes);
	// guidance only inside its open radius. Missing it costs more (FIM
	// 2025: 60 min).
	WPN WaypointType = "WPN"
	// WPP: precise waypoint on a track, checks the roadbook is followed
	// exactly (FIM 2025: 2 min if missed).
	WPP WaypointType = "WPP"
	// DSS: start of a special stage (départ secteur sélectif).
	DSS WaypointType = "DSS"
	// ASS: finish of a special stage (arrivée secteur sélectif), a flying
	// finish.
	ASS WaypointType = "ASS"
	// DZ: start of a speed-limited zone (début de zone).
	DZ WaypointType = "DZ"
	// FZ: end of a speed-limited zone (fin de zone).
	FZ WaypointType = "FZ"
	// TC: time control; arrival time recorded against the schedule.
	TC WaypointType = "TC"
	// CP: checkpoint; passage recorded (time card stamped).
	CP WaypointType = "CP"
	// PC: passage control; passing checked, no time.
	PC WaypointType = "PC"
	// SC: stop control after a flying finish, or a compulsory stop
	// (OpenRally stop, stopcontrol); the time is recorded there.
	SC WaypointType = "SC"
	// DT: start of a transfer (liaison), OpenRally dt.
	DT WaypointType = "DT"
	// FT: end of a transfer, OpenRally ft.
	FT WaypointType = "FT"
	// SN: start of a neutralisation, OpenRally neutralization (to be
	// renamed sn by OpenRally).
	SN WaypointType = "SN"
	// FN: end of a neutralisation, OpenRally fn.
	FN WaypointType = "FN"
)

var waypointTypes = []enumValue[WaypointType]{
	{WPV, "WPV — visible waypoint"},
	{WPM, "WPM — masked waypoint"},
	{WPE, "WPE — eclipse waypoint"},
	{WPS, "WPS — safety waypoint"},
	{WPC, "WPC — control waypoint"},
	{WPN, "WPN — navigation waypoint"},
	{WPP, "WPP — precise waypoint"},
	{DSS, "DSS — start of special"},
	{ASS, "ASS — finish of special"},
	{DZ, "DZ — start of speed zone"},
	{FZ, "FZ — end of speed zone"},
	{TC, "TC — time control"},
	{CP, "CP — checkpoint"},
	{PC, "PC — passage control"},
	{SC, "SC — stop control"},
	{DT, "DT — start of transfer"},
	{FT, "FT — end of transfer"},
	{SN, "SN — start of neutralisation"},
	{FN, "FN — end of neutralisation"},
}

// WaypointTypes lists every waypoint type in display order.
func WaypointTypes() []WaypointType { return values(waypointTypes) }

// Valid reports whether t is one of WaypointTypes.
func (t WaypointType) Valid() bool { return valid(waypointTypes, t) }

// Label is the text shown to organisers, e.g. "WPM — masked waypoint".
func (t WaypointType) Label() string { return label(waypointTypes, t) }

// Navigation reports whether t is one of the navigation waypoints WPV, WPM,
// WPE, WPS, WPC, WPN and WPP: those counted for the 70 % rule and penalised
// when missed.
func (t WaypointType) Navigation() bool {
	switch t {
	case WPV, WPM, WPE, WPS, WPC, WPN, WPP:
		return true
	}
	return false
}

// GeofenceKind is the kind of the geofence a waypoint of type t gets when a
// roadbook is imported, and false for types that get none (navigation
// waypoints and speed-zone markers are validated against their radius, not
// a geofence): DSS and DT start, ASS and FT finish, TC and SC time control,
// CP checkpoint, PC passage control, SN and FN neutralisation.
func (t WaypointType) GeofenceKind() (GeofenceKind, bool) {
	switch t {
	case DSS, DT:
		return KindStart, true
	case ASS, FT:
		return KindFinish, true
	case TC, SC:
		return KindTimeControl, true
	case CP:
		return KindCheckpoint, true
	case PC:
		return KindPassageControl, true
	case SN, FN:
		return KindNeutralisation, true
	}
	return "", false
}

type enumValue[T ~string] struct {
	value T
	label string
}

func values[T ~string](list []enumValue[T]) []T {
	out := make([]T, len(list))
	for i, v := range list {
		out[i] = v.value
	}
	return out
}

func valid[T ~string](list []enumValue[T], v T) bool {
	for _, e := range list {
		if e.value == v {
			return true
		}
	}
	return false
}

func label[T ~string](list []enumValue[T], v T) string {
	for _, e := range list {
		if e.value == v {
			return e.label
		}
	}
	return string(v)
}
