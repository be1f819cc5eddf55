package directusctl

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// URLError says why a database URL cannot be used. It never holds the
// URL nor any part of it: a URL that does not parse cannot be redacted,
// so nothing of it may be shown.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return "database URL " + e.Reason }

// CheckDatabaseURL accepts a postgres:// or postgresql:// URL that both
// Go's PostgreSQL drivers and Directus (node-postgres) read the same way:
// it parses, its %-escapes are well formed, an IPv6 host has its closing
// bracket, its port is a number from 1 to 65535, and it names one host.
// A keyword/value string (host=… user=…) is refused: Directus cannot read
// it. The error is a [*URLError].
func CheckDatabaseURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return &URLError{Reason: "is empty"}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !strings.EqualFold(scheme, "postgres") && !strings.EqualFold(scheme, "postgresql") {
		if strings.Contains(s, "=") && !strings.Contains(s, "://") {
			return &URLError{Reason: "is a keyword/value string (host=… user=…), which Directus cannot read: write it as postgres://user:password@host:port/database"}
		}
		return &URLError{Reason: "does not start with postgres:// or postgresql://"}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &URLError{Reason: "holds a control character (a newline?)"}
	}
	authority, _, _ := strings.Cut(rest, "/")
	authority, _, _ = strings.Cut(authority, "?")
	hostport := authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		hostport = authority[i+1:]
	}
	u, err := url.Parse(s)
	if err != nil {
		return &URLError{Reason: parseReason(s, hostport, err)}
	}
	if strings.Contains(u.Host, ",") {
		return &URLError{Reason: "names several hosts; Directus connects to one"}
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return &URLError{Reason: "has a port that is not a number from 1 to 65535"}
	}
	if strings.HasSuffix(u.Host, ":") {
		return &URLError{Reason: "has a ':' after the host but no port"}
	}
	if h := u.Hostname(); strings.Contains(h, ":") && net.ParseIP(strings.SplitN(h, "%", 2)[0]) == nil {
		return &URLError{Reason: "has a host in brackets that is not an IPv6 address"}
	}
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return &URLError{Reason: "has a query string that does not parse (a % not followed by two hexadecimal digits?)"}
	}
	return nil
}

// parseReason names what url.Parse refused, from the kind of its error,
// never from its text: that quotes the input.
func parseReason(s, hostport string, err error) string {
	var ee url.EscapeError
	var he url.InvalidHostError
	switch {
	case badEscape(s):
		return "has a % not followed by two hexadecimal digits (write a literal % as %25, in a password too)"
	case errors.As(err, &ee):
		return "has a malformed %-escape"
	case strings.HasPrefix(hostport, "[") && !strings.Contains(hostport, "]"):
		return "opens an IPv6 address with [ and never closes it"
	case strings.HasPrefix(hostport, "["):
		return "has a host in brackets that is not an IPv6 address"
	case errors.As(err, &he):
		return "has a host with characters a host cannot have"
	case strings.Contains(hostport, ",") || strings.Count(strings.TrimPrefix(hostport, "["), ":") > 1 && !strings.HasPrefix(hostport, "["):
		return "names several hosts or an IPv6 address without brackets; write one host, an IPv6 address as [::1]"
	case strings.Contains(err.Error(), "invalid port"):
		return "has a port that is not a number from 1 to 65535"
	case strings.Contains(err.Error(), "userinfo"):
		return "has characters in the user or password that must be %-escaped (e.g. @ as %40, / as %2F)"
	}
	return "does not parse as a URL"
}

// badEscape reports a % not followed by two hexadecimal digits.
func badEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return true
		}
		i += 2
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Redacted stands for a connection string that cannot be shown at all.
const Redacted = "(a connection string that does not parse; not shown)"

// Redact returns a PostgreSQL URL or key=value connection string without
// its password, for messages. It works on the structure: the password of
// the userinfo and every parameter whose name holds "password" are
// replaced by xxxxx. A string whose structure cannot be read is not
// shown at all: [Redacted] stands for it.
func Redact(conn string) string {
	if strings.Contains(conn, "://") {
		u, err := url.Parse(conn)
		if err != nil || u.Scheme == "" || badEscape(conn) {
			return Redacted
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return Redacted
		}
		changed := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q[k] = []string{"xxxxx"}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		u.Fragment, u.RawFragment = "", ""
		return u.String()
	}
	pairs, ok := keywordValues(conn)
	if !ok {
		return Redacted
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		v := p[1]
		if strings.Contains(strings.ToLower(p[0]), "password") {
			v = "xxxxx"
		} else if v == "" || strings.ContainsAny(v, ` '\`) {
			v = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		out[i] = p[0] + "=" + v
	}
	return strings.Join(out, " ")
}

// keywordValues splits a libpq keyword/value string (key=value pairs
// separated by spaces, values optionally in single quotes with \ escapes)
// as libpq does. ok is false when it is not one.
func keywordValues(s string) (pairs [][2]string, ok bool) {
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for skip(); i < len(s); skip() {
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		key := s[start:i]
		skip()
		if key == "" || i >= len(s) || s[i] != '=' {
			return nil, false
		}
		i++
		skip()
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, false
			}
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		pairs = append(pairs, [2]string{key, val.String()})
	}
	return pairs, len(pairs) > 0
}
