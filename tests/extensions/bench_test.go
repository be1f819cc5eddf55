package extensions

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRecompute measures, with Directus run as compose runs it
// (deploy/scaling.env, one instance, one Redis):
//
//   - flag-10min-1Hz: one POST /trm/positions/flag of a 10-minute window of
//     a tracker with 1 Hz positions (600 rows change: each iteration flags
//     or unflags the window in turn), from request to answer, the commit
//     included (target: under 200 ms);
//   - relay-latency: from the outbox row's insert (clock_timestamp() in
//     the flag's transaction, just before its commit) to the stream
//     entry's time (the millisecond Redis added it), reported as
//     ms-relay-mean and ms-relay-max (target: under 100 ms).
func BenchmarkRecompute(b *testing.B) {
	s := newStack(b, 1, inRedis)
	tr := s.tracker(b, 60*60)
	c := s.client()
	from, until := t0.Add(20*time.Minute), t0.Add(30*time.Minute)
	action := func(i int) string {
		if i%2 == 0 {
			return "flag"
		}
		return "unflag"
	}
	n := 0

	b.Run("flag-10min-1Hz", func(b *testing.B) {
		for b.Loop() {
			res := mustFlag(b, c, flagBody("device", tr.device, from, until, action(n), "benchmark"))
			n++
			if res.Positions != 600 {
				b.Fatalf("%d positions changed, want 600", res.Positions)
			}
		}
	})

	b.Run("relay-latency", func(b *testing.B) {
		var latencies []float64
		for b.Loop() {
			res := mustFlag(b, c, flagBody("device", tr.device, from, until, action(n), "benchmark"))
			n++
			streamID := s.waitSent(b, *res.RequestID)
			var insertedMicros int64
			if err := s.db.QueryRow(context.Background(),
				`SELECT (extract(epoch FROM created_at) * 1e6)::bigint FROM recompute_outbox WHERE id = $1`, *res.RequestID).Scan(&insertedMicros); err != nil {
				b.Fatal(err)
			}
			ms, err := strconv.ParseInt(strings.SplitN(streamID, "-", 2)[0], 10, 64)
			if err != nil {
				b.Fatalf("stream id %q: %v", streamID, err)
			}
			latencies = append(latencies, float64(ms*1000-insertedMicros)/1000)
		}
		var sum float64
		for _, l := range latencies {
			sum += l
		}
		b.ReportMetric(sum/float64(len(latencies)), "ms-relay-mean")
		b.ReportMetric(slices.Max(latencies), "ms-relay-max")
	})
}
