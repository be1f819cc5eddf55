package directusctl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
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
func (e Env) DatabaseURL() (u string, ok bool, err error) {
	if c, set, err := e.Get("DB_CLIENT"); err != nil {
		return "", false, err
	} else if set && c != "pg" && c != "postgres" {
		return "", false, &EnvError{Name: "DB_CLIENT", Reason: fmt.Sprintf("is %q; only PostgreSQL (pg) is supported", c)}
	}
	if cs, set, err := e.Get("DB_CONNECTION_STRING"); err != nil || set {
		return cs, set, err
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
	pu := &url.URL{Scheme: "postgres", Host: net.JoinHostPort(vals["DB_HOST"], port), Path: "/" + vals["DB_DATABASE"]}
	if vals["DB_PASSWORD"] != "" {
		pu.User = url.UserPassword(vals["DB_USER"], vals["DB_PASSWORD"])
	} else {
		pu.User = url.User(vals["DB_USER"])
	}
	return pu.String(), true, nil
}

// Redact returns a PostgreSQL URL or key=value connection string without
// its password, for messages.
func Redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	fields := strings.Fields(conn)
	for i, f := range fields {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
