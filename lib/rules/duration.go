package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// formatDuration writes whole seconds as the file does: hours, minutes and
// seconds, zero parts left out (1h, 15m, 2m30s, 1h30s, 0s).
func formatDuration(sec int64) string {
	if sec == 0 {
		return "0s"
	}
	var b strings.Builder
	if sec < 0 {
		b.WriteByte('-')
		sec = -sec
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "m")
	}
	if s > 0 {
		b.WriteString(strconv.FormatInt(s, 10) + "s")
	}
	return b.String()
}

// parseDuration reads whole seconds written as formatDuration writes them,
// parts in the order h, m, s, each at most once (1h30m, 90s, 2m30s). It
// refuses fractions, other units and signs, with a message saying what to
// write instead.
func parseDuration(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration; write e.g. 15m, 1h30m or 90s")
	}
	var total int64
	rest := s
	last := -1
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("%q is not a duration; write whole hours, minutes and seconds such as 15m, 1h30m or 90s", s)
		}
		if i > 10 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64)
		if rest[i] == '.' || rest[i] == ',' {
			return 0, fmt.Errorf("%q has a fraction; write whole units, 1h30m rather than 1.5h", s)
		}
		order := strings.IndexByte("hms", rest[i])
		if order < 0 {
			return 0, fmt.Errorf("%q has the unit %q; use h, m and s, whole numbers only (1h30m, not 1.5h)", s, rest[i])
		}
		if order <= last {
			return 0, fmt.Errorf("%q repeats a unit or has them out of order; write hours, then minutes, then seconds", s)
		}
		last = order
		total += n * []int64{3600, 60, 1}[order]
		if total > MaxOffence {
			return 0, fmt.Errorf("%q is too large", s)
		}
		rest = rest[i+1:]
	}
	return total, nil
}
