package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/snapshot/snapshottest"
)

// BenchmarkSnapshotDiffProcess times what a person waits for: the built
// trmctl binary, started afresh, diffing two snapshot files of 200 and
// 1,000 collections of 20 fields (5% changed), in JSON as the REST API
// sends it and in YAML as Directus writes it, and of 2,900 (50 MB of JSON,
// 61 MB of YAML: the memory goal's example). Besides ns/op (the mean) it
// reports the median wall time, the CPU time (user+system) and the peak
// resident memory of the process (from GNU time, when installed): the
// highest of the runs, absolute and per byte of input (both files: the
// memory goal is 4), and the median run's per byte. Run with a few
// iterations, e.g.
//
//	go test -run '^$' -bench SnapshotDiffProcess -benchtime 10x ./cmd/trmctl
func BenchmarkSnapshotDiffProcess(b *testing.B) {
	bin := buildTrmctl(b)
	// The peak memory comes from GNU time, which reads it from its own
	// child: Go starts processes with vfork, so the rusage Go gets for a
	// child counts this test's memory too.
	gnuTime := "/usr/bin/time"
	if err := exec.Command(gnuTime, "-f", "%M", "true").Run(); err != nil {
		b.Logf("no GNU time at %s (%v): peak memory not measured", gnuTime, err)
		gnuTime = ""
	}
	dir := b.TempDir()
	for _, n := range []int{200, 1000, 2900} {
		from := snapshottest.Generate(n, 20)
		to := snapshottest.Change(from, 0.05, 1)
		for _, format := range []string{"json", "yaml"} {
			paths := [2]string{filepath.Join(dir, fmt.Sprintf("%d-from.%s", n, format)), filepath.Join(dir, fmt.Sprintf("%d-to.%s", n, format))}
			input := 0
			for i, s := range [2]interface {
				MarshalJSON() ([]byte, error)
				YAML() ([]byte, error)
			}{from, to} {
				data, err := s.MarshalJSON()
				if format == "yaml" {
					data, err = s.YAML()
				}
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(paths[i], data, 0o644); err != nil {
					b.Fatal(err)
				}
				input += len(data)
			}
			b.Run(fmt.Sprintf("%s/%dx20", format, n), func(b *testing.B) {
				var walls, cpus []time.Duration
				var peaks []int64
				for b.Loop() {
					args := []string{bin, "snapshot", "diff", paths[0], paths[1]}
					if gnuTime != "" {
						args = append([]string{gnuTime, "-f", "%M"}, args...)
					}
					cmd := exec.Command(args[0], args[1:]...)
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					start := time.Now()
					if err := cmd.Run(); err != nil {
						b.Fatalf("%v\n%s", err, stderr.Bytes())
					}
					walls = append(walls, time.Since(start))
					cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
					if gnuTime != "" {
						lines := strings.Fields(stderr.String())
						kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
						if err != nil {
							b.Fatalf("time -f %%M: %q", stderr.String())
						}
						peaks = append(peaks, kb*1024)
					}
				}
				b.ReportMetric(float64(median(walls).Microseconds())/1000, "median-ms")
				b.ReportMetric(float64(median(cpus).Microseconds())/1000, "cpu-ms")
				if gnuTime != "" {
					reportPeaks(b, peaks, input)
				}
			})
		}
	}
}

// reportPeaks reports the highest peak of the runs, in MiB and per byte of
// input (what the memory goal bounds), and the median run's per byte.
func reportPeaks(b *testing.B, peaks []int64, input int) {
	b.ReportMetric(float64(slices.Max(peaks))/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(slices.Max(peaks))/float64(input), "RSS/input")
	b.ReportMetric(float64(median(peaks))/float64(input), "median-RSS/input")
}

func median[T cmp.Ordered](d []T) T {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// buildTrmctl builds this package's binary into a temporary folder.
func buildTrmctl(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "trmctl")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}
