package rules

import (
	"strings"
	"testing"
)

// Table tests taken from public rulebooks. Each rulebook is written in the
// file format, read with Parse (so that it validates), and priced for the
// offences its text gives examples of. Sources are cited where each table
// is defined; where sources disagree, the comment says so.

type priceCase struct {
	name    string
	key     string
	offence Offence
	seconds int64
	outcome Outcome
	applied bool
}

func mustParse(t testing.TB, src string) *Rulebook {
	t.Helper()
	b, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return b
}

func checkPrices(t *testing.T, b *Rulebook, cases []priceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := b.Evaluate(c.key, c.offence)
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			if res.Seconds != c.seconds || res.Outcome != c.outcome || res.Applied != c.applied {
				t.Fatalf("got %ds %q applied=%v, want %ds %q applied=%v\n%s",
					res.Seconds, res.Outcome, res.Applied, c.seconds, c.outcome, c.applied, res)
			}
			if res.Seconds < 0 {
				t.Fatalf("negative penalty %d", res.Seconds)
			}
		})
	}
}

const minute = 60

// fimSpeeding is the speeding rule of the FIM cross-country rally-raid
// rules as applied to motorcycles at the Dakar:
//
//   - Monaco-Matin, "Au Dakar, comment les pénalités expliquent les délais
//     des résultats" (January 2023), on the Dakar 2023 rules for bikes: a
//     speed infringement is one or more exceedings of the limit in one
//     speed control zone; while over the limit a pulse is recorded every
//     10 seconds or every 150 m; 0–20 km/h over costs 1 minute, 21–40 km/h
//     2 minutes, more than 40 km/h 3 minutes; for repeat offences a
//     multiplying coefficient increases the time (new that year).
//     https://www.monacomatin.mc/auto/au-dakar-comment-les-penalites-expliquent-les-delais-des-resultats-819565
//   - shared/design/DATA-MODEL.md ("Rally-raid rules"): 1–20: 1 min,
//     21–40: 2 min, > 40: 3 min per GPS pulse every 10 s / 150 m, with
//     escalation for repeat offences.
//   - Noticias Bolivia (Dakar 2022, stage 10), citing FIM article 80.16,
//     gives 6 minutes above 40 km/h and the same pulse of 150 m or 10 s:
//     https://noticiasbo.com/Quintanilla-y-Barreda-fallan-en-su-jugada.html
//     The 3-minute figure of the later sources is used here.
//
// The regulation writes integer brackets (1–20, 21–40, > 40); a bracket
// here holds the offences above its lower bound up to its upper bound, so
// 20.4 km/h over is in the first and 20.6 in the second, and nothing falls
// between brackets. The sources give no multiplier values: the repeat rule
// below (×2 for the second, ×3 from the third) is illustrative.
const fimSpeeding = `event: dakar-2023
rules:
  - key: speeding-moto
    type: speeding
    scope: {category: moto}
    contiguous: true
    pulse: {seconds: 10, metres: 150}
    brackets:
      - {above: 0, up_to: 20, per_pulse: 1m}
      - {above: 20, up_to: 40, per_pulse: 2m}
      - {above: 40, per_pulse: 3m}
  - key: speeding-moto-repeat
    base: speeding-moto
    contiguous: true
    brackets:
      - {above: 0, up_to: 1, multiplier: 1}
      - {above: 1, up_to: 2, multiplier: 2}
      - {above: 2, multiplier: 3}
`

func TestFIMSpeedingBrackets(t *testing.T) {
	b := mustParse(t, fimSpeeding)
	checkPrices(t, b, []priceCase{
		{"at the limit is no offence", "speeding-moto", Offence{Value: 0, Pulses: 1}, 0, OutcomeNone, false},
		{"1 km/h over, one pulse", "speeding-moto", Offence{Value: 1, Pulses: 1}, 1 * minute, OutcomeNone, true},
		{"20 km/h over is the first bracket", "speeding-moto", Offence{Value: 20, Pulses: 1}, 1 * minute, OutcomeNone, true},
		{"21 km/h over is the second", "speeding-moto", Offence{Value: 21, Pulses: 1}, 2 * minute, OutcomeNone, true},
		{"20.5 km/h over is above 20", "speeding-moto", Offence{Value: 20.5, Pulses: 1}, 2 * minute, OutcomeNone, true},
		{"40 km/h over is the second", "speeding-moto", Offence{Value: 40, Pulses: 1}, 2 * minute, OutcomeNone, true},
		{"41 km/h over is the third", "speeding-moto", Offence{Value: 41, Pulses: 1}, 3 * minute, OutcomeNone, true},
		{"three pulses at 28 over", "speeding-moto", Offence{Value: 28, Pulses: 3}, 6 * minute, OutcomeNone, true},
		{"second infringement doubles", "speeding-moto", Offence{Value: 28, Pulses: 3, Repeat: 2}, 12 * minute, OutcomeNone, true},
		{"fifth infringement triples", "speeding-moto", Offence{Value: 45, Pulses: 2, Repeat: 5}, 18 * minute, OutcomeNone, true},
	})
}

// TestFIMSpeedingPulses: "a pulse every 10 seconds or every 150 m" (same
// sources): one pulse when the infringement starts, then one per interval
// completed, the interval being whichever of 10 s and 150 m comes first.
func TestFIMSpeedingPulses(t *testing.T) {
	p := Pulse{Seconds: 10, Metres: 150}
	for _, c := range []struct {
		name            string
		seconds, metres float64
		want            int
	}{
		{"a blip", 1, 20, 1},
		{"9 s at 54 km/h (135 m)", 9, 135, 1},
		{"10 s at 36 km/h (100 m): the time completes the interval", 10, 100, 2},
		{"6 s at 90 km/h (150 m): the distance completes it", 6, 150, 2},
		{"25 s at 43.2 km/h (300 m)", 25, 300, 3},
		{"60 s at 108 km/h (1800 m)", 60, 1800, 13},
		{"negative inputs count as none", -5, -1, 1},
	} {
		if got := p.Count(c.seconds, c.metres); got != c.want {
			t.Errorf("%s: %d pulses, want %d", c.name, got, c.want)
		}
	}
	var none *Pulse
	if got := none.Count(60, 1000); got != 1 {
		t.Errorf("a rule without pulses counts %d", got)
	}
}

// dakar2005Speeding is the Dakar 2005 table for villages limited to
// 50 km/h, penalised from the first km/h over (Zitzewitz, "Änderungen des
// Reglement", 7 December 2004, quoting the organiser's press release):
// first infringement 30 seconds per km/h over, second 1 minute per km/h,
// third 2 minutes per km/h, fourth exclusion from the race.
// https://www.zitzewitz.com/anderungen-des-reglement/
const dakar2005Speeding = `event: dakar-2005
rules:
  - key: village-speeding
    type: speeding
    contiguous: true
    brackets:
      - {above: 0, per_unit_over: 30s, per: 1}
  - key: village-speeding-repeat
    base: village-speeding
    contiguous: true
    brackets:
      - {above: 0, up_to: 1, multiplier: 1}
      - {above: 1, up_to: 2, multiplier: 2}
      - {above: 2, up_to: 3, multiplier: 4}
      - {above: 3, multiplier: 4, outcome: excluded}
`

func TestDakar2005PerKmhOverWithRepeats(t *testing.T) {
	b := mustParse(t, dakar2005Speeding)
	checkPrices(t, b, []priceCase{
		{"first, 12 km/h over", "village-speeding", Offence{Value: 12}, 6 * minute, OutcomeNone, true},
		{"first, a started km/h counts", "village-speeding", Offence{Value: 11.2}, 6 * minute, OutcomeNone, true},
		{"second, 12 km/h over: 1 min per km/h", "village-speeding", Offence{Value: 12, Repeat: 2}, 12 * minute, OutcomeNone, true},
		{"third, 12 km/h over: 2 min per km/h", "village-speeding", Offence{Value: 12, Repeat: 3}, 24 * minute, OutcomeNone, true},
		{"fourth: excluded", "village-speeding", Offence{Value: 3, Repeat: 4}, 6 * minute, OutcomeExcluded, true},
	})
}

// fimWaypoints is the missed-waypoint table of the FIM 2025 rally-raid
// rules: 15 minutes for each WPV, WPM, WPE, WPS, WPC missed, 60 minutes
// for a WPN, 2 minutes for a WPP, 15 minutes for a passage control; fewer
// than 70 % of the stage's waypoints validated is a DNF (art. 80.17).
//
//   - Untamed Adventures, "Rally Raid penalization", a calculator "aligned
//     with FIM 2025 Rally-Raid regs (Art. 80.17 DNS/DNF + 70 %, …)": "In
//     FIM tables: generally WPV/WPM/WPE/WPS/WPC=15', WPN=60', WPP=2',
//     PC=15'"; "If validated <70% of Stage WPs → treat as DNF".
//     https://untamed.hr/rally-raid-penalization
//   - shared/design/DATA-MODEL.md ("Rally-raid rules"), the same figures.
//   - Monaco-Matin (above) on the Dakar 2023: a missed waypoint costs at
//     least 15 minutes, 60 minutes for navigation waypoints.
//
// "Fewer than 70 % validated" is an offence of more than 30 % missed.
const fimWaypoints = `event: fim-2025
rules:
  - {key: missed-wpv, type: missed_waypoint, qualifier: WPV, brackets: [{above: 0, per_unit_over: 15m, per: 1}]}
  - {key: missed-wpm, type: missed_waypoint, qualifier: WPM, brackets: [{above: 0, per_unit_over: 15m, per: 1}]}
  - {key: missed-wpe, type: missed_waypoint, qualifier: WPE, brackets: [{above: 0, per_unit_over: 15m, per: 1}]}
  - {key: missed-wps, type: missed_waypoint, qualifier: WPS, brackets: [{above: 0, per_unit_over: 15m, per: 1}]}
  - {key: missed-wpc, type: missed_waypoint, qualifier: WPC, brackets: [{above: 0, per_unit_over: 15m, per: 1}]}
  - {key: missed-wpn, type: missed_waypoint, qualifier: WPN, brackets: [{above: 0, per_unit_over: 1h, per: 1}]}
  - {key: missed-wpp, type: missed_waypoint, qualifier: WPP, brackets: [{above: 0, per_unit_over: 2m, per: 1}]}
  - {key: missed-pc, type: missed_control, qualifier: CP, brackets: [{above: 0, flat: 15m}]}
  - key: min-share
    type: min_validated_waypoints_share
    brackets: [{above: 30, flat: 0s, outcome: dnf}]
`

func TestFIM2025MissedWaypoints(t *testing.T) {
	b := mustParse(t, fimWaypoints)
	cases := []priceCase{
		{"none missed", "missed-wpm", Offence{Value: 0}, 0, OutcomeNone, false},
		{"WPV", "missed-wpv", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"WPM", "missed-wpm", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"WPE", "missed-wpe", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"WPS", "missed-wps", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"WPC", "missed-wpc", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"WPN", "missed-wpn", Offence{Value: 1}, 60 * minute, OutcomeNone, true},
		{"WPP", "missed-wpp", Offence{Value: 1}, 2 * minute, OutcomeNone, true},
		{"three WPM", "missed-wpm", Offence{Value: 3}, 45 * minute, OutcomeNone, true},
		{"two WPN", "missed-wpn", Offence{Value: 2}, 120 * minute, OutcomeNone, true},
		{"a passage control", "missed-pc", Offence{Value: 1}, 15 * minute, OutcomeNone, true},
		{"70 % validated is enough", "min-share", Offence{Value: 30}, 0, OutcomeNone, false},
		{"69 % validated is a DNF", "min-share", Offence{Value: 31}, 0, OutcomeDNF, true},
		{"2 of 7 missed (28.6 %) is enough", "min-share", Offence{Value: 100 * 2.0 / 7}, 0, OutcomeNone, false},
		{"3 of 7 missed (42.9 %) is a DNF", "min-share", Offence{Value: 100 * 3.0 / 7}, 0, OutcomeDNF, true},
	}
	checkPrices(t, b, cases)

	// The waypoint type selects the rule: the evaluator asks for
	// missed_waypoint with the waypoint's type as qualifier.
	for _, q := range []string{"WPV", "WPM", "WPE", "WPS", "WPC", "WPN", "WPP"} {
		r, ok := b.Select(TypeMissedWaypoint, q, Where{})
		if !ok || r.Key != "missed-"+strings.ToLower(q) {
			t.Errorf("select missed_waypoint %s: got %q, %v", q, r.Key, ok)
		}
	}
}

// stageRallyTimeControls is the "stage rally system" of time-control
// penalties (Wikipedia, "Scheduled time"): 10 seconds added per minute
// later than due time at a time control, 1 minute per minute earlier than
// scheduled, exclusion for checking in over time limit (OTL).
// https://en.wikipedia.org/wiki/Scheduled_time
//
// The maximum lateness is 30 minutes, "common practice: 30 min late is out
// of time" (shared/design/DATA-MODEL.md, "Rally-raid rules"; the same 30
// minutes as the Toronto Autosport Club's "max late" in its rallymaster's
// notes, http://torontoautosportclub.ca/rallymastersnotes/309.html). Being
// out of time is priced as a DNF of the stage here, where the source
// excludes from the event, with the maximum lateness penalty (5 minutes)
// so that being later never costs fewer seconds; a minute started counts
// whole ("per minute or fraction of a minute").
const stageRallyTimeControls = `event: stage-rally
rules:
  - key: late-tc
    type: late_time_control
    contiguous: true
    brackets:
      - {above: 0s, up_to: 30m, per_unit_over: 10s, per: 1m}
      - {above: 30m, flat: 5m, outcome: dnf}
  - key: early-tc
    type: early_time_control
    contiguous: true
    brackets:
      - {above: 0s, per_unit_over: 1m, per: 1m}
`

func TestStageRallyTimeControls(t *testing.T) {
	b := mustParse(t, stageRallyTimeControls)
	checkPrices(t, b, []priceCase{
		{"on time", "late-tc", Offence{Value: 0}, 0, OutcomeNone, false},
		{"1 s late is a started minute", "late-tc", Offence{Value: 1}, 10, OutcomeNone, true},
		{"1 min late", "late-tc", Offence{Value: 60}, 10, OutcomeNone, true},
		{"1 min 1 s late", "late-tc", Offence{Value: 61}, 20, OutcomeNone, true},
		{"12 min late", "late-tc", Offence{Value: 12 * minute}, 120, OutcomeNone, true},
		{"30 min late is the maximum", "late-tc", Offence{Value: 30 * minute}, 300, OutcomeNone, true},
		{"30 min 1 s late is out of time", "late-tc", Offence{Value: 30*minute + 1}, 300, OutcomeDNF, true},
		{"2 min early", "early-tc", Offence{Value: 2 * minute}, 2 * minute, OutcomeNone, true},
		{"90 s early", "early-tc", Offence{Value: 90}, 2 * minute, OutcomeNone, true},
	})
}

// motorsportUKRoadSections is Motorsport UK's 2026 table for scheduled
// timed road sections (National Competition Rules 2026, chapter 13,
// appendix 7B, "Summary of Penalties": arrival before scheduled time at
// the end of a standard section, 1 minute per minute; arrival after due
// time, 15 seconds per minute).
// https://ebooks.motorsportuk.org/motorsport-uk-ncr-2026-11/0952123001742394230/p464
// Only whole minutes count here (round: down), to show the other rounding.
const motorsportUKRoadSections = `event: ncr-2026
rules:
  - {key: late, type: late_time_control, brackets: [{above: 0s, per_unit_over: 15s, per: 1m, round: down}]}
  - {key: early, type: early_time_control, brackets: [{above: 0s, per_unit_over: 1m, per: 1m, round: down}]}
`

func TestMotorsportUKRoadSections(t *testing.T) {
	b := mustParse(t, motorsportUKRoadSections)
	checkPrices(t, b, []priceCase{
		{"59 s late is no whole minute", "late", Offence{Value: 59}, 0, OutcomeNone, true},
		{"3 min 40 s late", "late", Offence{Value: 220}, 45, OutcomeNone, true},
		{"4 min early", "early", Offence{Value: 240}, 4 * minute, OutcomeNone, true},
	})
}

// TestSerresTimeLimitIsOutOfTime: the Serres Rally (Greece) regulations
// set a liaison's time limit at its ideal time + 50 % and a special stage's
// at most at 25 km/h average; beyond it the competitor has abandoned the
// stage. http://www.serresrally.com/index.php/competitor/regulations
// The limit itself is course data; the rule prices going over it.
func TestSerresTimeLimitIsOutOfTime(t *testing.T) {
	b := mustParse(t, `event: serres
rules:
  - {key: over-limit, type: exceeded_time_limit, brackets: [{above: 0s, flat: 0s, outcome: dnf}]}
`)
	// A 80-minute liaison closes at 2 h: the evaluator measures the
	// seconds past that limit.
	checkPrices(t, b, []priceCase{
		{"at the limit", "over-limit", Offence{Value: 0}, 0, OutcomeNone, false},
		{"a second past ideal + 50 %", "over-limit", Offence{Value: 1}, 0, OutcomeDNF, true},
	})
}
