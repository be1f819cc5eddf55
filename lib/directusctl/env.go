package directusctl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// Env reads Directus's configuration variables the way Directus does: a
// variable NAME may instead be given as NAME_FILE, the path of a file
// holding the value (Docker and Kubernetes secrets). Trailing newlines of
// the file are dropped.
type Env struct {
	// Lookup is os.LookupEnv or a replacement for tests.
	Lookup func(string) (string, bool)
	// ReadFile is os.ReadFile or a replacement for tests.
	ReadFile func(string) ([]byte, error)
}

// OSEnv reads the process environment and the file system.
func OSEnv() Env { return Env{Lookup: os.LookupEnv, ReadFile: os.ReadFile} }

// EnvError names a variable whose value could not be read or is invalid.
type EnvError struct {
	Name   string
	Reason string
}

func (e *EnvError) Error() string { return fmt.Sprintf("%s: %s", e.Name, e.Reason) }

// Get returns NAME, or the content of the file NAME_FILE points to. Both
// set is an error: one of them would be silently ignored.
func (e Env) Get(name string) (string, bool, error) {
	v, ok := e.Lookup(name)
	path, fileOK := e.Lookup(name + "_FILE")
	switch {
	case ok && fileOK:
		return "", false, &EnvError{Name: name, Reason: "both " + name + " and " + name + "_FILE are set; unset one"}
	case fileOK:
		b, err := e.ReadFile(path)
		if err != nil {
			return "", false, &EnvError{Name: name + "_FILE", Reason: fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}
		}
		return strings.TrimRight(string(b), "\r\n"), true, nil
	}
	return v, ok, nil
}

// DatabaseURL builds a PostgreSQL URL from Directus's DB_* variables:
// DB_CONNECTION_STRING when set, else DB_HOST, DB_PORT (5432), DB_DATABASE,
// DB_USER and DB_PASSWORD. DB_CLIENT, when set, must be pg. It returns
// ok=false when no DB_* variable is set at all.
//
// Every part is checked, so that the URL returned is one that
// [CheckDatabaseURL] accepts: a DB_PORT that is not a port number, a
// DB_HOST that is not a host name, an IP address or a socket folder, a
// DB_CONNECTION_STRING that does not parse are each an [*EnvError] naming
// the variable. No error carries a value.
func (e Env) DatabaseURL() (u string, ok bool, err error) {
	if c, set, err := e.Get("DB_CLIENT"); err != nil {
		return "", false, err
	} else if set && c != "pg" && c != "postgres" && c != "postgresql" {
		return "", false, &EnvError{Name: "DB_CLIENT", Reason: "names another database than PostgreSQL; only PostgreSQL (pg) is supported"}
	}
	if cs, set, err := e.Get("DB_CONNECTION_STRING"); err != nil || set {
		if err != nil {
			return "", false, err
		}
		var ue *URLError
		if errors.As(CheckDatabaseURL(cs), &ue) {
			return "", false, &EnvError{Name: "DB_CONNECTION_STRING", Reason: ue.Error()}
		}
		return cs, true, nil
	}
	vals := map[string]string{}
	anySet := false
	for _, n := range []string{"DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USER", "DB_PASSWORD"} {
		v, set, err := e.Get(n)
		if err != nil {
			return "", false, err
		}
		vals[n], anySet = v, anySet || set
	}
	if !anySet {
		return "", false, nil
	}
	for _, n := range []string{"DB_HOST", "DB_DATABASE", "DB_USER"} {
		if vals[n] == "" {
			return "", false, &EnvError{Name: n, Reason: "is empty, but other DB_* variables are set: set it (or DB_CONNECTION_STRING)"}
		}
	}
	port := vals["DB_PORT"]
	if port == "" {
		port = "5432"
	}
	if !validPort(port) {
		return "", false, &EnvError{Name: "DB_PORT", Reason: "is not a port number from 1 to 65535"}
	}
	host, socket, reason := checkHost(vals["DB_HOST"])
	if reason != "" {
		return "", false, &EnvError{Name: "DB_HOST", Reason: reason}
	}
	pu := &url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, port), Path: "/" + vals["DB_DATABASE"]}
	if socket {
		// A Unix socket folder is a host parameter: it cannot be written
		// in the authority.
		pu.Host = ""
		pu.RawQuery = url.Values{"host": {host}, "port": {port}}.Encode()
	}
	if vals["DB_PASSWORD"] != "" {
		pu.User = url.UserPassword(vals["DB_USER"], vals["DB_PASSWORD"])
	} else {
		pu.User = url.User(vals["DB_USER"])
	}
	return pu.String(), true, nil
}

// checkHost accepts what Directus's DB_HOST may be: a host name, an IPv4
// or IPv6 address (with or without brackets) or the folder of a Unix
// socket. It returns the host without brackets, whether it is a socket
// folder, and why it is refused.
func checkHost(h string) (host string, socket bool, reason string) {
	switch {
	case strings.HasPrefix(h, "/"):
		if strings.ContainsFunc(h, unicode.IsControl) {
			return "", false, "is a socket folder with a control character"
		}
		return h, true, ""
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		h = h[1 : len(h)-1]
		if net.ParseIP(h) == nil {
			return "", false, "holds brackets around something that is not an IPv6 address"
		}
		return h, false, ""
	case strings.Contains(h, ":"):
		if net.ParseIP(h) == nil {
			return "", false, "has a ':' but is not an IPv6 address (the port goes in DB_PORT)"
		}
		return h, false, ""
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", false, "is not a host name, an IP address or a socket folder (letters, digits, '.', '-' and '_' only)"
		}
	}
	return h, false, ""
}

func validPort(s string) bool {
	if s == "" || len(s) > 5 || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return false
	}
	n, _ := strconv.Atoi(s)
	return n >= 1 && n <= 65535
}
