package main

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/course"
)

// Planning an import: compare the course a file describes with the one
// Directus stores, item by item, keyed as files key them — a stage by its
// code, a segment by its code in its stage, a waypoint and a speed zone by
// their name in their segment, a geofence by its name in the event — and
// list the writes that make the stored course the file's: creates (with
// IDs made here, so that later writes can refer to them), updates of the
// fields that differ, deletes. The writes are ordered so that every
// reference exists when it is written and nothing is deleted while still
// referenced; uniqueness and the cross-row rules are checked at commit
// (db-init/post/002), so renumbering needs no juggling.

// planOp is one write, as the trm-course endpoint takes it.
type planOp struct {
	Collection string         `json:"collection"`
	Action     string         `json:"action"`
	ID         string         `json:"id,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// courseChange says what one write changes, for people and --json.
type courseChange struct {
	Op         string   `json:"op"`
	Collection string   `json:"collection"`
	Key        string   `json:"key"`
	Fields     []string `json:"fields"`
}

// coursePlan is the writes in order, and a change per write.
type coursePlan struct {
	ops     []planOp
	changes []courseChange
}

func (p *coursePlan) add(op planOp, key string, fields []string) {
	p.ops = append(p.ops, op)
	if fields == nil {
		fields = []string{}
	}
	p.changes = append(p.changes, courseChange{Op: op.Action, Collection: op.Collection, Key: key, Fields: fields})
}

// counts is the number of creates, updates and deletes.
func (p *coursePlan) counts() (create, update, del int) {
	for _, c := range p.changes {
		switch c.Op {
		case "create":
			create++
		case "update":
			update++
		case "delete":
			del++
		}
	}
	return
}

// planScope says what of the stored course an import may change.
type planScope struct {
	// stage is the code of the one stage the import replaces; "" for the
	// whole course.
	stage string
	// keepStageAttributes: the file gives the stage's segments only (a
	// roadbook), so an existing stage keeps its name, order, role, status,
	// schedule and start order.
	keepStageAttributes bool
}

// newID is a random (version 4) UUID: new items get their key here.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on the supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fields collects the fields of a write: all of them for a create, the
// ones that differ for an update.
type fields struct {
	create bool
	names  []string
	data   map[string]any
}

func newFields(create bool) *fields { return &fields{create: create, data: map[string]any{}} }

func (f *fields) set(name string, same bool, value any) {
	if f.create || !same {
		f.data[name] = value
		if !f.create {
			f.names = append(f.names, name)
		}
	}
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func optKm(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func sameInt(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func optID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// planner holds the IDs of every item as the plan goes.
type planner struct {
	eventID string
	plan    *coursePlan
	// geofenceID, stageID map names and codes of the final course to IDs.
	geofenceID map[string]string
	stageID    map[string]string
}

// planImport plans the writes that turn current (the stored course, items
// with IDs) into target (from a file; validated). In a stage scope only
// that stage and the geofences it manages are touched.
func planImport(eventID string, target, current *course.Course, scope planScope) (*coursePlan, error) {
	p := &planner{eventID: eventID, plan: &coursePlan{}, geofenceID: map[string]string{}, stageID: map[string]string{}}

	targetStages := target.Stages
	if scope.stage != "" {
		s := target.Stage(scope.stage)
		if s == nil {
			return nil, fmt.Errorf("the file has no stage %s", scope.stage)
		}
		targetStages = []*course.Stage{s}
	}
	for _, s := range current.Stages {
		p.stageID[s.Code] = s.ID
	}
	for _, g := range current.Geofences {
		p.geofenceID[g.Name] = g.ID
	}

	// Geofences first: segments refer to them.
	targetGeofences := target.Geofences
	if scope.stage != "" && !scope.keepStageAttributes {
		// A stage taken from a whole-course file brings the geofences its
		// segments use; the others belong to other stages.
		used := map[string]bool{}
		for _, g := range targetStages[0].Segments {
			used[g.EntryGeofence], used[g.ExitGeofence] = true, true
		}
		targetGeofences = nil
		for _, g := range target.Geofences {
			if used[g.Name] {
				targetGeofences = append(targetGeofences, g)
			}
		}
	}
	var geofenceDeletes []*course.Geofence
	{
		var creates, updates []func()
		inTarget := map[string]bool{}
		for _, t := range targetGeofences {
			inTarget[t.Name] = true
			cur := current.Geofence(t.Name)
			f := newFields(cur == nil)
			if cur == nil {
				cur = &course.Geofence{}
				f.set("event_id", false, eventID)
			}
			f.set("name", cur.Name == t.Name, t.Name)
			f.set("kind", cur.Kind == t.Kind, string(t.Kind))
			f.set("geometry", samePolygon(cur.Geometry, t.Geometry), polygonJSON(t.Geometry))
			f.set("manual_verification", cur.ManualVerification == t.ManualVerification, t.ManualVerification)
			f.set("retroactive", cur.Retroactive == t.Retroactive, t.Retroactive)
			t := t
			if f.create {
				id := newID()
				p.geofenceID[t.Name] = id
				creates = append(creates, func() {
					p.plan.add(planOp{Collection: "geofences", Action: "create", ID: id, Data: f.data}, t.Name, nil)
				})
			} else if len(f.names) > 0 {
				id := cur.ID
				updates = append(updates, func() {
					p.plan.add(planOp{Collection: "geofences", Action: "update", ID: id, Data: f.data}, t.Name, f.names)
				})
			}
		}
		for _, fn := range append(creates, updates...) {
			fn()
		}
		geofenceDeletes = p.obsoleteGeofences(current, inTarget, scope)
	}

	// Stages in sort order: a start order's input stage is an earlier one,
	// so it exists before the stage that names it.
	ordered := append([]*course.Stage(nil), targetStages...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].SortOrder < ordered[j].SortOrder })
	for _, t := range ordered {
		if p.stageID[t.Code] == "" {
			p.stageID[t.Code] = newID()
		}
	}
	type stagePair struct{ t, cur *course.Stage }
	var pairs []stagePair
	for _, t := range ordered {
		cur := current.Stage(t.Code)
		if scope.keepStageAttributes {
			t = p.roadbookStage(t, cur, current)
		}
		pairs = append(pairs, stagePair{t, cur})
		create := cur == nil
		f := newFields(create)
		c := cur
		if create {
			c = &course.Stage{}
			f.set("event_id", false, eventID)
			f.set("code", false, t.Code)
		}
		f.set("name", c.Name == t.Name, t.Name)
		f.set("sort_order", c.SortOrder == t.SortOrder, t.SortOrder)
		f.set("role", c.Role == t.Role, string(t.Role))
		f.set("status", c.Status == t.Status, string(t.Status))
		// Directus answers times to the millisecond: that is what is compared.
		sameStart := (c.StartsAt == nil) == (t.StartsAt == nil) &&
			(c.StartsAt == nil || c.StartsAt.Truncate(time.Millisecond).Equal(t.StartsAt.Truncate(time.Millisecond)))
		var startsAt any
		if t.StartsAt != nil {
			startsAt = t.StartsAt.UTC().Format(time.RFC3339Nano)
		}
		f.set("starts_at", sameStart, startsAt)
		f.set("start_interval_seconds", sameInt(c.StartIntervalSeconds, t.StartIntervalSeconds), optInt(t.StartIntervalSeconds))
		f.set("start_order_strategy", c.StartOrder.Strategy == t.StartOrder.Strategy, string(t.StartOrder.Strategy))
		f.set("start_order_strategy_params", c.StartOrder.Params == t.StartOrder.Params, rawJSON(t.StartOrder.Params.JSON()))
		input := ""
		if t.StartOrder.InputStage != "" {
			if input = p.stageID[t.StartOrder.InputStage]; input == "" {
				return nil, fmt.Errorf("stage %s takes its start order from stage %s, which the event does not have", t.Code, t.StartOrder.InputStage)
			}
		}
		f.set("start_order_input_stage_id", c.StartOrder.InputStage == t.StartOrder.InputStage, optID(input))
		switch {
		case create:
			p.plan.add(planOp{Collection: "stages", Action: "create", ID: p.stageID[t.Code], Data: f.data}, t.Code, nil)
		case len(f.names) > 0:
			p.plan.add(planOp{Collection: "stages", Action: "update", ID: cur.ID, Data: f.data}, t.Code, f.names)
		}
	}

	// Segments, then waypoints, then zones (which refer to waypoints); the
	// deletes of each kind after every create and update.
	type segPair struct {
		stage  string
		t, cur *course.Segment
		id     string
	}
	var segs []segPair
	var deletes []func()
	for _, sp := range pairs {
		stageID := p.stageID[sp.t.Code]
		var curSegs []*course.Segment
		if sp.cur != nil {
			curSegs = sp.cur.Segments
		}
		for _, t := range sp.t.Segments {
			var cur *course.Segment
			for _, g := range curSegs {
				if g.Code == t.Code {
					cur = g
				}
			}
			create := cur == nil
			f := newFields(create)
			c := cur
			id := ""
			if create {
				c = &course.Segment{}
				id = newID()
				f.set("stage_id", false, stageID)
				f.set("code", false, t.Code)
			} else {
				id = cur.ID
			}
			f.set("name", c.Name == t.Name, t.Name)
			f.set("sort_order", c.SortOrder == t.SortOrder, t.SortOrder)
			f.set("type", c.Type == t.Type, string(t.Type))
			f.set("entry_geofence_id", c.EntryGeofence == t.EntryGeofence, optID(p.geofenceID[t.EntryGeofence]))
			f.set("exit_geofence_id", c.ExitGeofence == t.ExitGeofence, optID(p.geofenceID[t.ExitGeofence]))
			f.set("target_duration_seconds", sameInt(c.TargetDurationSeconds, t.TargetDurationSeconds), optInt(t.TargetDurationSeconds))
			f.set("allowed_lateness_seconds", sameInt(c.AllowedLatenessSeconds, t.AllowedLatenessSeconds), optInt(t.AllowedLatenessSeconds))
			f.set("length_km", sameKm(c.LengthKm, t.LengthKm), optKm(t.LengthKm))
			f.set("route", samePoints(c.Route, t.Route), lineJSON(t.Route))
			key := sp.t.Code + "/" + t.Code
			switch {
			case create:
				p.plan.add(planOp{Collection: "segments", Action: "create", ID: id, Data: f.data}, key, nil)
			case len(f.names) > 0:
				p.plan.add(planOp{Collection: "segments", Action: "update", ID: id, Data: f.data}, key, f.names)
			}
			segs = append(segs, segPair{sp.t.Code, t, cur, id})
		}
		for _, g := range curSegs {
			if !slices.ContainsFunc(sp.t.Segments, func(t *course.Segment) bool { return t.Code == g.Code }) {
				g, key := g, sp.t.Code+"/"+g.Code
				deletes = append(deletes, func() {
					p.plan.add(planOp{Collection: "segments", Action: "delete", ID: g.ID}, key, nil)
				})
			}
		}
	}
	var waypointDeletes, zoneDeletes []func()
	waypointIDs := make([]map[string]string, len(segs))
	for i, sp := range segs {
		ids := map[string]string{}
		waypointIDs[i] = ids
		var curWps []*course.Waypoint
		if sp.cur != nil {
			curWps = sp.cur.Waypoints
		}
		for _, w := range curWps {
			ids[w.Name] = w.ID
		}
		for _, t := range sp.t.Waypoints {
			var cur *course.Waypoint
			if sp.cur != nil {
				cur = sp.cur.Waypoint(t.Name)
			}
			create := cur == nil
			f := newFields(create)
			c := cur
			if create {
				c = &course.Waypoint{}
				ids[t.Name] = newID()
				f.set("segment_id", false, sp.id)
				f.set("name", false, t.Name)
			}
			f.set("sort_order", c.SortOrder == t.SortOrder, t.SortOrder)
			f.set("type", c.Type == t.Type, string(t.Type))
			f.set("location", samePoints([]course.Point{c.Location}, []course.Point{t.Location}), pointJSON(t.Location))
			f.set("open_radius_meters", c.OpenRadiusMeters == t.OpenRadiusMeters, t.OpenRadiusMeters)
			f.set("tolerance_meters", c.ToleranceMeters == t.ToleranceMeters, t.ToleranceMeters)
			f.set("distance_km", sameKm(c.DistanceKm, t.DistanceKm), optKm(t.DistanceKm))
			f.set("notes", c.Notes == t.Notes, optID(t.Notes))
			key := sp.stage + "/" + sp.t.Code + "/" + t.Name
			switch {
			case create:
				p.plan.add(planOp{Collection: "waypoints", Action: "create", ID: ids[t.Name], Data: f.data}, key, nil)
			case len(f.names) > 0:
				p.plan.add(planOp{Collection: "waypoints", Action: "update", ID: cur.ID, Data: f.data}, key, f.names)
			}
		}
		for _, w := range curWps {
			if sp.t.Waypoint(w.Name) == nil {
				w, key := w, sp.stage+"/"+sp.t.Code+"/"+w.Name
				waypointDeletes = append(waypointDeletes, func() {
					p.plan.add(planOp{Collection: "waypoints", Action: "delete", ID: w.ID}, key, nil)
				})
			}
		}
	}
	for i, sp := range segs {
		ids := waypointIDs[i]
		var curZones []*course.SpeedZone
		if sp.cur != nil {
			curZones = sp.cur.SpeedZones
		}
		for _, t := range sp.t.SpeedZones {
			var cur *course.SpeedZone
			if sp.cur != nil {
				cur = sp.cur.SpeedZone(t.Name)
			}
			create := cur == nil
			f := newFields(create)
			c := cur
			if create {
				c = &course.SpeedZone{}
				f.set("segment_id", false, sp.id)
				f.set("name", false, t.Name)
			}
			f.set("limit_kmh", c.LimitKmh == t.LimitKmh, t.LimitKmh)
			f.set("retroactive", c.Retroactive == t.Retroactive, t.Retroactive)
			f.set("area", samePolygon(c.Area, t.Area), polygonJSON(t.Area))
			f.set("start_waypoint_id", c.StartWaypoint == t.StartWaypoint, optID(ids[t.StartWaypoint]))
			f.set("end_waypoint_id", c.EndWaypoint == t.EndWaypoint, optID(ids[t.EndWaypoint]))
			key := sp.stage + "/" + sp.t.Code + "/" + t.Name
			switch {
			case create:
				p.plan.add(planOp{Collection: "speed_limit_zones", Action: "create", ID: newID(), Data: f.data}, key, nil)
			case len(f.names) > 0:
				p.plan.add(planOp{Collection: "speed_limit_zones", Action: "update", ID: cur.ID, Data: f.data}, key, f.names)
			}
		}
		for _, z := range curZones {
			if sp.t.SpeedZone(z.Name) == nil {
				z, key := z, sp.stage+"/"+sp.t.Code+"/"+z.Name
				zoneDeletes = append(zoneDeletes, func() {
					p.plan.add(planOp{Collection: "speed_limit_zones", Action: "delete", ID: z.ID}, key, nil)
				})
			}
		}
	}
	for _, fn := range slices.Concat(zoneDeletes, waypointDeletes, deletes) {
		fn()
	}
	if scope.stage == "" {
		for _, s := range current.Stages {
			if target.Stage(s.Code) == nil {
				p.plan.add(planOp{Collection: "stages", Action: "delete", ID: s.ID}, s.Code, nil)
			}
		}
	}
	for _, g := range geofenceDeletes {
		p.plan.add(planOp{Collection: "geofences", Action: "delete", ID: g.ID}, g.Name, nil)
	}
	return p.plan, nil
}

// obsoleteGeofences are the stored geofences the import removes. A
// whole-course import removes every one the file lacks. A stage import
// manages the geofences the stage used and those named after it ("S1 …",
// as a roadbook's are), and removes those of them the file lacks, unless
// another stage still uses them.
func (p *planner) obsoleteGeofences(current *course.Course, inTarget map[string]bool, scope planScope) []*course.Geofence {
	var out []*course.Geofence
	if scope.stage == "" {
		for _, g := range current.Geofences {
			if !inTarget[g.Name] {
				out = append(out, g)
			}
		}
		return out
	}
	managed := map[string]bool{}
	usedElsewhere := map[string]bool{}
	for _, s := range current.Stages {
		for _, g := range s.Segments {
			if s.Code == scope.stage {
				managed[g.EntryGeofence], managed[g.ExitGeofence] = true, true
			} else {
				usedElsewhere[g.EntryGeofence], usedElsewhere[g.ExitGeofence] = true, true
			}
		}
	}
	for _, g := range current.Geofences {
		if (managed[g.Name] || strings.HasPrefix(g.Name, scope.stage+" ")) && !inTarget[g.Name] && !usedElsewhere[g.Name] {
			out = append(out, g)
		}
	}
	return out
}

// roadbookStage is the stage a roadbook file becomes: its segments, with
// the stored stage's own attributes when the event has it already, else
// the file's defaults placed after the event's last stage.
func (p *planner) roadbookStage(t, cur *course.Stage, current *course.Course) *course.Stage {
	s := *t
	if cur != nil {
		s.Name, s.SortOrder, s.Role, s.Status = cur.Name, cur.SortOrder, cur.Role, cur.Status
		s.StartsAt, s.StartIntervalSeconds, s.StartOrder = cur.StartsAt, cur.StartIntervalSeconds, cur.StartOrder
		return &s
	}
	for _, o := range current.Stages {
		if o.SortOrder >= s.SortOrder {
			s.SortOrder = o.SortOrder + 1
		}
	}
	return &s
}

// rawJSON embeds JSON already encoded in a payload.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
