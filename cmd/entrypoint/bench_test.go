package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot/snapshottest"
)

// BenchmarkSnapshotReadProcess measures the peak resident memory of the
// built entrypoint reading a committed snapshot of 200, 1,000 and 2,900
// collections of 20 fields (3.4, 17 and 50 MB of JSON; 4.2, 21 and 61 MB
// of YAML): everything the boot does before it touches the database —
// settings, the snapshot's hash, its tree, the vendor check and the JSON
// sent to Directus. The boot is made to stop right after, at the db-init
// step (TRM_DB_INIT_DIR names no folder), before any connection. It
// reports the highest peak of the runs (from GNU time, which reads it from
// its own child) in MiB and per byte of the snapshot (the memory goal is
// 4), and the median run's per byte. Run with a few iterations, e.g.
//
//	go test -run '^$' -bench SnapshotReadProcess -benchtime 5x ./cmd/entrypoint
func BenchmarkSnapshotReadProcess(b *testing.B) {
	gnuTime := "/usr/bin/time"
	if err := exec.Command(gnuTime, "-f", "%M", "true").Run(); err != nil {
		b.Skipf("no GNU time at %s (%v): the peak memory cannot be measured", gnuTime, err)
	}
	bin := filepath.Join(b.TempDir(), "entrypoint")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	dir := b.TempDir()
	for _, n := range []int{200, 1000, 2900} {
		s := snapshottest.Generate(n, 20)
		for _, format := range []string{"json", "yaml"} {
			data, err := s.MarshalJSON()
			if format == "yaml" {
				data, err = s.YAML()
			}
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%d.%s", n, format))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			env := append(os.Environ(),
				"TRM_SNAPSHOT="+path,
				"TRM_SNAPSHOT_MAX_SIZE=200MiB",
				"TRM_DB_INIT_DIR="+filepath.Join(dir, "no-db-init"),
				"TRM_ACCESS_APPLY=skip",
				"TRM_START_COMMAND=true",
				"DB_CLIENT=pg",
				"TRM_DATABASE_URL=postgres://trm:unused@127.0.0.1:1/trm",
			)
			b.Run(fmt.Sprintf("%s/%dx20", format, n), func(b *testing.B) {
				var peaks []int64
				for b.Loop() {
					cmd := exec.Command(gnuTime, "-f", "%M", bin)
					cmd.Env = env
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					_ = cmd.Run() // exits 2 at the db-init step, as arranged
					out := stderr.String()
					if !strings.Contains(out, "step=db-init") {
						b.Fatalf("the boot did not stop at the db-init step:\n%s", out)
					}
					lines := strings.Fields(out)
					kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
					if err != nil {
						b.Fatalf("time -f %%M: %q", out)
					}
					peaks = append(peaks, kb*1024)
				}
				slices.Sort(peaks)
				b.ReportMetric(float64(peaks[len(peaks)-1])/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(peaks[len(peaks)-1])/float64(len(data)), "RSS/input")
				b.ReportMetric(float64(peaks[len(peaks)/2])/float64(len(data)), "median-RSS/input")
			})
		}
	}
}
