package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
	"git.dev.trmtracking.org/trm/directus/lib/rules"
)

// An event's rules as Directus stores them: the rows of penalty_formulas
// and the rulebook's marker and note on the event, read through the REST
// API. In the table a rule belongs to a class, stage, segment or speed
// zone by its id; in a file by a readable reference (a class's code C-2, a
// stage's code S1, a segment as S1/SS1, a speed zone as S1/SS1/ZONE):
// references translates both ways.

// rulesCollections are the collections rules import and export read.
var rulesCollections = []string{"events", "penalty_formulas", "classes", "stages", "segments", "speed_limit_zones"}

const rulesApplyPath = "/trm-rules/apply"

// formulaRow is a penalty_formulas row as Directus answers it (decimals
// as strings, empty values as null).
type formulaRow struct {
	ID            string    `json:"id"`
	RuleKey       string    `json:"rule_key"`
	Version       int       `json:"version"`
	Supersedes    int       `json:"supersedes"`
	Type          string    `json:"type"`
	Qualifier     *string   `json:"qualifier"`
	BelongsToType string    `json:"belongs_to_type"`
	BelongsToID   *string   `json:"belongs_to_id"`
	Base          *string   `json:"base"`
	RepeatWithin  *string   `json:"repeat_within"`
	Contiguous    bool      `json:"contiguous"`
	PulseSeconds  decimalKm `json:"pulse_seconds"`
	PulseMetres   decimalKm `json:"pulse_metres"`
	OffenceMin    decimalKm `json:"offence_min"`
	OffenceMax    decimalKm `json:"offence_max"`
	Operator      string    `json:"operator"`
	Penalty       int64     `json:"penalty"`
	Per           decimalKm `json:"per"`
	Round         *string   `json:"round"`
	Multiplier    decimalKm `json:"multiplier"`
	Outcome       *string   `json:"outcome"`
	Retroactive   bool      `json:"retroactive"`
	Enabled       bool      `json:"enabled"`
	Note          *string   `json:"note"`
}

const formulaFields = "id,rule_key,version,supersedes,type,qualifier,belongs_to_type,belongs_to_id,base,repeat_within,contiguous," +
	"pulse_seconds,pulse_metres,offence_min,offence_max,operator,penalty,per,round,multiplier,outcome,retroactive,enabled,note"

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func zeroIfNull(d decimalKm) float64 {
	if d.v == nil {
		return 0
	}
	return *d.v
}

// references maps ids to the readable references of files and back, per
// scope type.
type references struct {
	toRef map[rules.ScopeType]map[string]string
	toID  map[rules.ScopeType]map[string]string
}

func (r *references) add(t rules.ScopeType, id, ref string) {
	if r.toRef[t] == nil {
		r.toRef[t], r.toID[t] = map[string]string{}, map[string]string{}
	}
	r.toRef[t][id], r.toID[t][ref] = ref, id
}

// ref is the readable reference of a stored scope; an id that no longer
// resolves (its item was deleted) is kept as it is, so that a file naming
// the item differently plans a new version.
func (r *references) ref(t rules.ScopeType, id string) string {
	if t == rules.ScopeEvent || t == rules.ScopeCategory {
		return id
	}
	if ref, ok := r.toRef[t][id]; ok {
		return ref
	}
	return id
}

// id resolves a file's reference; ok is false when the event has no such
// item.
func (r *references) id(t rules.ScopeType, ref string) (string, bool) {
	if t == rules.ScopeEvent || t == rules.ScopeCategory {
		return ref, true
	}
	id, ok := r.toID[t][ref]
	return id, ok
}

// known lists the references of a scope type, for a message.
func (r *references) known(t rules.ScopeType) []string {
	var out []string
	for ref := range r.toID[t] {
		out = append(out, ref)
	}
	slices.Sort(out)
	return out
}

// storedRules is what Directus holds of an event's rules.
type storedRules struct {
	rows        []rules.Formula
	refs        *references
	placeholder bool
	note        string
}

// readRules reads the event's formulas, its rulebook marker and the items
// rules may belong to, in parallel.
func readRules(ctx context.Context, c *directusctl.Client, ev *courseEvent) (*storedRules, error) {
	eq := map[string]any{"_eq": ev.ID}
	list := func(collection, fields string, filter map[string]any, out any) error {
		fb, _ := json.Marshal(filter)
		q := url.Values{"filter": {string(fb)}, "fields": {fields}, "limit": {"-1"}, "sort": {"id"}}
		if err := c.ListItems(ctx, collection, q, out); err != nil {
			return fmt.Errorf("read %s of event %s: %w", collection, ev.Slug, explainAPIError(err))
		}
		return nil
	}
	var (
		rows []formulaRow
		ev2  struct {
			Placeholder bool    `json:"rules_placeholder"`
			Note        *string `json:"rules_note"`
		}
		classes []struct{ ID, Code string }
		stages  []struct{ ID, Code string }
		segs    []struct {
			ID    string `json:"id"`
			Code  string `json:"code"`
			Stage struct {
				Code string `json:"code"`
			} `json:"stage_id"`
		}
		zones []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Segment struct {
				Code  string `json:"code"`
				Stage struct {
					Code string `json:"code"`
				} `json:"stage_id"`
			} `json:"segment_id"`
		}
	)
	inStage := map[string]any{"stage_id": map[string]any{"event_id": eq}}
	reads := []func() error{
		func() error { return list("penalty_formulas", formulaFields, map[string]any{"event_id": eq}, &rows) },
		func() error {
			err := c.Do(ctx, http.MethodGet, "/items/events/"+url.PathEscape(ev.ID), url.Values{"fields": {"rules_placeholder,rules_note"}}, nil, &ev2)
			if err != nil {
				return fmt.Errorf("read the rulebook marker of event %s: %w", ev.Slug, explainAPIError(err))
			}
			return nil
		},
		func() error { return list("classes", "id,code", map[string]any{"event_id": eq}, &classes) },
		func() error { return list("stages", "id,code", map[string]any{"event_id": eq}, &stages) },
		func() error { return list("segments", "id,code,stage_id.code", inStage, &segs) },
		func() error {
			return list("speed_limit_zones", "id,name,segment_id.code,segment_id.stage_id.code", map[string]any{"segment_id": inStage}, &zones)
		},
	}
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = read()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	refs := &references{toRef: map[rules.ScopeType]map[string]string{}, toID: map[rules.ScopeType]map[string]string{}}
	for _, x := range classes {
		refs.add(rules.ScopeClass, x.ID, x.Code)
	}
	for _, x := range stages {
		refs.add(rules.ScopeStage, x.ID, x.Code)
	}
	for _, x := range segs {
		refs.add(rules.ScopeSegment, x.ID, x.Stage.Code+"/"+x.Code)
	}
	for _, x := range zones {
		refs.add(rules.ScopeSpeedZone, x.ID, x.Segment.Stage.Code+"/"+x.Segment.Code+"/"+x.Name)
	}
	out := &storedRules{refs: refs, placeholder: ev2.Placeholder, note: deref(ev2.Note)}
	for _, r := range rows {
		f := rules.Formula{
			Event: ev.Slug, RuleKey: r.RuleKey, Version: r.Version, Supersedes: r.Supersedes,
			BelongsToType: rules.ScopeType(r.BelongsToType), Type: rules.Type(r.Type), Qualifier: deref(r.Qualifier),
			Base: deref(r.Base), RepeatWithin: rules.ScopeType(deref(r.RepeatWithin)), Contiguous: r.Contiguous,
			PulseSeconds: zeroIfNull(r.PulseSeconds), PulseMetres: zeroIfNull(r.PulseMetres),
			OffenceMin: zeroIfNull(r.OffenceMin), OffenceMax: r.OffenceMax.v, Operator: rules.Operator(r.Operator),
			Penalty: r.Penalty, Per: zeroIfNull(r.Per), Round: rules.Round(deref(r.Round)), Multiplier: zeroIfNull(r.Multiplier),
			Outcome: rules.Outcome(deref(r.Outcome)), Retroactive: r.Retroactive, Enabled: r.Enabled, Note: deref(r.Note),
		}
		f.BelongsTo = refs.ref(f.BelongsToType, deref(r.BelongsToID))
		out.rows = append(out.rows, f)
	}
	return out, nil
}

// decimals is the scale of the table's decimal columns (numeric(16,6)).
const decimals = 6

// fitsTable reports whether x is stored as it is: at most six decimals.
func fitsTable(x float64) bool {
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', decimals, 64), 64)
	return err == nil && v == x
}

// formulaPayload is the row to create for f, its scope resolved to an id.
func formulaPayload(eventID string, f rules.Formula, refs *references) (map[string]any, error) {
	for _, n := range []struct {
		field string
		v     float64
	}{{"above", f.OffenceMin}, {"per", f.Per}, {"multiplier", f.Multiplier}, {"pulse seconds", f.PulseSeconds}, {"pulse metres", f.PulseMetres}} {
		if !fitsTable(n.v) {
			return nil, fmt.Errorf("rule %s: %s %s has more than %d decimals, which the table does not keep: round it", f.RuleKey, n.field, strconv.FormatFloat(n.v, 'f', -1, 64), decimals)
		}
	}
	if f.OffenceMax != nil && !fitsTable(*f.OffenceMax) {
		return nil, fmt.Errorf("rule %s: up_to %s has more than %d decimals, which the table does not keep: round it", f.RuleKey, strconv.FormatFloat(*f.OffenceMax, 'f', -1, 64), decimals)
	}
	nullIfEmpty := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	nullIfZero := func(x float64) any {
		if x == 0 {
			return nil
		}
		return x
	}
	var belongsTo any
	if f.BelongsToType != rules.ScopeEvent {
		id, ok := refs.id(f.BelongsToType, f.BelongsTo)
		if !ok {
			return nil, fmt.Errorf("rule %s belongs to %s %q, which the event does not have%s", f.RuleKey, f.BelongsToType, f.BelongsTo, knownList(refs.known(f.BelongsToType)))
		}
		belongsTo = id
	}
	var max any
	if f.OffenceMax != nil && !math.IsInf(*f.OffenceMax, 1) {
		max = *f.OffenceMax
	}
	multiplier := nullIfZero(f.Multiplier)
	if f.Operator == rules.OpRepeatMultiplier {
		multiplier = f.Multiplier
	}
	per := nullIfZero(f.Per)
	if f.Operator == rules.OpPerUnitOver {
		per = f.Per
	}
	return map[string]any{
		"event_id": eventID, "rule_key": f.RuleKey, "version": f.Version, "supersedes": f.Supersedes,
		"type": string(f.Type), "qualifier": nullIfEmpty(f.Qualifier),
		"belongs_to_type": string(f.BelongsToType), "belongs_to_id": belongsTo,
		"base": nullIfEmpty(f.Base), "repeat_within": nullIfEmpty(string(f.RepeatWithin)), "contiguous": f.Contiguous,
		"pulse_seconds": nullIfZero(f.PulseSeconds), "pulse_metres": nullIfZero(f.PulseMetres),
		"offence_min": f.OffenceMin, "offence_max": max, "operator": string(f.Operator), "penalty": f.Penalty,
		"per": per, "round": nullIfEmpty(string(f.Round)), "multiplier": multiplier,
		"outcome": nullIfEmpty(string(f.Outcome)), "retroactive": f.Retroactive, "enabled": f.Enabled,
		"note": nullIfEmpty(f.Note),
	}, nil
}

func knownList(refs []string) string {
	if len(refs) == 0 {
		return " (it has none)"
	}
	const most = 20
	more := ""
	if len(refs) > most {
		more = fmt.Sprintf(", and %d more", len(refs)-most)
		refs = refs[:most]
	}
	return " (it has " + strings.Join(refs, ", ") + more + ")"
}
