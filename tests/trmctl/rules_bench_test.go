package trmctl

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// benchRulebook is a rulebook far larger than a real one: 200 lateness
// tables of 5 brackets each (1,000 formula rows), keyed bench-N; one is
// enabled, since validation allows one enabled rule per type and scope.
func benchRulebook(event string, penalty int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\nrules:\n", event)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "  - key: bench-%d\n    type: late_time_control\n    enabled: %v\n    contiguous: true\n    brackets:\n", i, i == 0)
		for j := 0; j < 5; j++ {
			if j < 4 {
				fmt.Fprintf(&b, "      - {above: %dm, up_to: %dm, per_unit_over: %ds, per: 1m}\n", j*10, (j+1)*10, penalty*(j+1))
			} else {
				fmt.Fprintf(&b, "      - {above: %dm, flat: 10h, outcome: dnf}\n", j*10)
			}
		}
	}
	return b.String()
}

func rulesBenchDirectus(b *testing.B) (*testdirectus.Instance, map[string]string, string) {
	inst, env := benchDirectus(b)
	if code, out, errOut := trmctl(b, env, "course", "import", "--event", "rally-albania-2026", testenv.Path(b, "seed/rally-albania-2026/roadbook.gpx")); code != 0 {
		b.Fatalf("course: exit %d\n%s\n%s", code, out, errOut)
	}
	var orgs []struct{ ID string }
	if err := inst.Client().ListItems(context.Background(), "organizations", url.Values{"filter[slug][_eq]": {"msc-albania"}}, &orgs); err != nil || len(orgs) != 1 {
		b.Fatalf("organisation: %v %v", orgs, err)
	}
	return inst, env, orgs[0].ID
}

func benchRules(b *testing.B, env map[string]string, want string, args ...string) {
	b.Helper()
	code, out, errOut := trmctl(b, env, append([]string{"rules", "import"}, args...)...)
	if code != 0 || !strings.Contains(out, want) {
		b.Fatalf("exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
}

// BenchmarkRulesImportPlaceholderNoop: the placeholder rulebook again
// (what make dev does at every start).
func BenchmarkRulesImportPlaceholderNoop(b *testing.B) {
	_, env, _ := rulesBenchDirectus(b)
	file := testenv.Path(b, "seed/rally-albania-2026/rules.yaml")
	benchRules(b, env, "Applied: ", file)
	for b.Loop() {
		benchRules(b, env, "No changes", file)
	}
}

// BenchmarkRulesImportLargeFirst: 200 rules, 1,000 rows, into an event
// without rules (a fresh event per iteration, made outside the timer).
func BenchmarkRulesImportLargeFirst(b *testing.B) {
	inst, env, org := rulesBenchDirectus(b)
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		slug := fmt.Sprintf("bench-%d", n)
		if err := inst.Client().CreateItem(context.Background(), "events", map[string]any{"organization_id": org, "name": "Bench " + slug, "slug": slug,
			"discipline": "rally", "starts_at": "2026-06-06T06:00:00Z", "ends_at": "2026-06-13T18:00:00Z"}, nil); err != nil {
			b.Fatal(err)
		}
		file := writeTemp(b, "large.yaml", benchRulebook(slug, 60))
		b.StartTimer()
		benchRules(b, env, "Applied: 200 added, 0 changed, 0 retired: 1000 new formula rows", file)
	}
}

// BenchmarkRulesImportLargeNoop and …OneChange: the large rulebook again,
// unchanged, and with every bracket of rule bench-0 changed (one new
// version of five rows).
func BenchmarkRulesImportLargeNoop(b *testing.B) {
	_, env, _ := rulesBenchDirectus(b)
	file := writeTemp(b, "large.yaml", benchRulebook("rally-albania-2026", 60))
	benchRules(b, env, "Applied: ", file)
	for b.Loop() {
		benchRules(b, env, "No changes", file)
	}
}

func BenchmarkRulesImportLargeOneChange(b *testing.B) {
	_, env, _ := rulesBenchDirectus(b)
	benchRules(b, env, "Applied: ", writeTemp(b, "large.yaml", benchRulebook("rally-albania-2026", 60)))
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		file := writeTemp(b, "large.yaml", strings.Replace(benchRulebook("rally-albania-2026", 60), "  - key: bench-0\n", "  - key: bench-0\n    note: change "+fmt.Sprint(i)+"\n", 1))
		b.StartTimer()
		benchRules(b, env, "Applied: 0 added, 1 changed, 0 retired: 5 new formula rows", file)
	}
}
