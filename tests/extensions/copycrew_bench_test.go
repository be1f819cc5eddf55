package extensions

import (
	"net/http"
	"testing"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
)

// BenchmarkCopyCrew measures one POST /trm/entries/:target/copy-crew by a
// race director (Directus's permission checks on every read and write, the
// access guard's create rules, the organisation rules checked at each
// insert), from request to answer, the commit included, onto a new entry
// each time:
//
//   - crew: last year's crew of three;
//   - crew-and-trackers: the same and its two trackers (the new entry's
//     trackers are removed between iterations, outside the timer: a
//     tracker is on one entry at a time);
//   - nothing-to-copy: everyone on board already, which still asks
//     Directus whether the caller may change the crew (a rolled-back
//     crew member in a savepoint).
func BenchmarkCopyCrew(b *testing.B) {
	inst := testdirectus.StartProvisioned(b, pg.New(b))
	f := newCrews(b, inst)
	director := newMember(b, f.admin, inst.URL, f.org, "race-director")
	number := 1000
	target := func() string {
		number++
		return f.entry(b, f.next, f.nextCar, number, "draft", nil)
	}
	run := func(b *testing.B, trackers bool, wantCopied int) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			to := target()
			b.StartTimer()
			res, err := copyCrew(director.c, to, map[string]any{"from": f.lastEntry, "trackers": trackers})
			if err != nil || len(res.Crew.Copied) != wantCopied {
				b.Fatalf("copy: %+v %v", res, err)
			}
			if trackers {
				b.StopTimer()
				if err := f.admin.Do(bg, http.MethodDelete, "/items/entry_devices", nil, map[string]any{"query": map[string]any{"filter": map[string]any{"entry_id": map[string]any{"_eq": to}}}}, nil); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		}
	}
	b.Run("crew", func(b *testing.B) { run(b, false, 3) })
	b.Run("crew-and-trackers", func(b *testing.B) { run(b, true, 3) })
	b.Run("nothing-to-copy", func(b *testing.B) {
		full := target()
		if _, err := copyCrew(director.c, full, map[string]any{"from": f.lastEntry}); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			res, err := copyCrew(director.c, full, map[string]any{"from": f.lastEntry})
			if err != nil || len(res.Crew.Copied) != 0 || len(res.Crew.Skipped) != 3 {
				b.Fatalf("copy: %+v %v", res, err)
			}
		}
	})
}
