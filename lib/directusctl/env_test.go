package directusctl

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func fakeEnv(vars map[string]string, files map[string]string) Env {
	return Env{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if c, ok := files[p]; ok {
				return []byte(c), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
}

func TestDatabaseURLFromDirectusVariables(t *testing.T) {
	cases := []struct {
		name  string
		vars  map[string]string
		files map[string]string
		want  string
		ok    bool
	}{
		{"nothing set", map[string]string{}, nil, "", false},
		{"parts", map[string]string{"DB_HOST": "db", "DB_DATABASE": "directus", "DB_USER": "trm", "DB_PASSWORD": "p@ss:w/rd"}, nil, "postgres://trm:p%40ss%3Aw%2Frd@db:5432/directus", true},
		{"port and no password", map[string]string{"DB_HOST": "::1", "DB_PORT": "6543", "DB_DATABASE": "d", "DB_USER": "u"}, nil, "postgres://u@[::1]:6543/d", true},
		{"password from file", map[string]string{"DB_HOST": "db", "DB_DATABASE": "d", "DB_USER": "u", "DB_PASSWORD_FILE": "/run/secrets/pw"}, map[string]string{"/run/secrets/pw": "s3cret\n"}, "postgres://u:s3cret@db:5432/d", true},
		{"connection string wins", map[string]string{"DB_CONNECTION_STRING": "postgres://x@y/z", "DB_HOST": "ignored"}, nil, "postgres://x@y/z", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok, err := fakeEnv(c.vars, c.files).DatabaseURL()
			if err != nil || ok != c.ok || got != c.want {
				t.Fatalf("got %q %v %v, want %q %v", got, ok, err, c.want, c.ok)
			}
		})
	}
}

func TestDatabaseURLRefusesAmbiguousOrIncompleteSettings(t *testing.T) {
	cases := map[string]map[string]string{
		"DB_PASSWORD":  {"DB_HOST": "h", "DB_DATABASE": "d", "DB_USER": "u", "DB_PASSWORD": "a", "DB_PASSWORD_FILE": "/f"},
		"DB_HOST":      {"DB_DATABASE": "d", "DB_USER": "u"},
		"DB_CLIENT":    {"DB_CLIENT": "mysql", "DB_HOST": "h"},
		"DB_USER_FILE": {"DB_HOST": "h", "DB_DATABASE": "d", "DB_USER_FILE": "/missing"},
	}
	for name, vars := range cases {
		_, _, err := fakeEnv(vars, nil).DatabaseURL()
		var ee *EnvError
		if !errors.As(err, &ee) || ee.Name != name {
			t.Errorf("%s: got %v, want an *EnvError naming %s", name, err, name)
		}
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	for _, in := range []string{
		"postgres://u:s3cret@h:5432/d",
		"postgres://u@h/d?password=s3cret&sslmode=disable",
		"postgres://u@h/d?sslpassword=s3cret",
		"host=h user=u password=s3cret dbname=d",
		"host=h user=u password='s3 cret' dbname=d",
	} {
		if out := Redact(in); strings.Contains(out, "s3cret") || strings.Contains(out, "s3 cret") || !strings.Contains(out, "h") {
			t.Errorf("Redact(%q) = %q", in, out)
		}
	}
}

// A connection string whose structure cannot be read is not shown at
// all: no guess at where its password is.
func TestRedactShowsNothingOfWhatDoesNotParse(t *testing.T) {
	for _, in := range []string{
		"postgres://u:s3cret%zz@h/d",
		"postgres://u:s3cret@[::1/d",
		"postgres://u:s3cret@h:abc/d",
		"host=h password='s3cret",
		"s3cret",
	} {
		if out := Redact(in); out != Redacted {
			t.Errorf("Redact(%q) = %q, want nothing of it", in, out)
		}
	}
}

func TestCheckDatabaseURLNamesWhatIsWrongWithoutQuotingIt(t *testing.T) {
	cases := map[string]string{
		"postgres://u:s3cret%zz@h/d":         "% not followed by two hexadecimal digits",
		"postgres://u:s3cret@[::1/d":         "never closes it",
		"postgres://u:s3cret@h:abc/d":        "port",
		"postgres://u:s3cret@h:0/d":          "port",
		"postgres://u:s3cret@h:/d":           "no port",
		"postgres://u:s3cret@h1,h2/d":        "several hosts",
		"host=h password=s3cret":             "keyword/value",
		"mysql://u:s3cret@h/d":               "postgres://",
		"":                                   "empty",
		"postgres://u:s3cret@h/d\n":          "control character",
		"postgres://u:s3cret@h/d?a=%s3cret":  "%",
		"postgres://u:s3cret@[zz::1]:5432/d": "IPv6",
	}
	for in, want := range cases {
		err := CheckDatabaseURL(in)
		var ue *URLError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckDatabaseURL(%q) = %v, want a *URLError saying %q", in, err, want)
		}
	}
	for _, ok := range []string{"postgres://u:p%40ss@h:5432/d?sslmode=disable", "postgresql://u@[::1]:6543/d", "postgres:///d?host=/var/run/postgresql", "postgres://h/d"} {
		if err := CheckDatabaseURL(ok); err != nil {
			t.Errorf("CheckDatabaseURL(%q) = %v", ok, err)
		}
	}
}

func TestDatabaseURLChecksEachPartWithoutShowingIt(t *testing.T) {
	parts := func(kv ...string) map[string]string {
		m := map[string]string{"DB_HOST": "db", "DB_DATABASE": "d", "DB_USER": "u", "DB_PASSWORD": "s3cret"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		vars map[string]string
		name string
	}{
		{parts("DB_PORT", "abc"), "DB_PORT"},
		{parts("DB_PORT", "70000"), "DB_PORT"},
		{parts("DB_HOST", "db:5432"), "DB_HOST"},
		{parts("DB_HOST", "[::1"), "DB_HOST"},
		{parts("DB_HOST", "a b"), "DB_HOST"},
		{parts("DB_HOST", "u:s3cret@db"), "DB_HOST"},
		{map[string]string{"DB_CONNECTION_STRING": "postgres://u:s3cret@h:abc/d"}, "DB_CONNECTION_STRING"},
	}
	for _, c := range cases {
		_, _, err := fakeEnv(c.vars, nil).DatabaseURL()
		var ee *EnvError
		if !errors.As(err, &ee) || ee.Name != c.name || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%v: got %v, want an *EnvError naming %s", c.vars, err, c.name)
		}
	}
	u, ok, err := fakeEnv(parts("DB_HOST", "/var/run/postgresql"), nil).DatabaseURL()
	if err != nil || !ok || u != "postgres://u:s3cret@/d?host=%2Fvar%2Frun%2Fpostgresql&port=5432" {
		t.Errorf("socket folder: %q %v %v", u, ok, err)
	}
	if err := CheckDatabaseURL(u); err != nil {
		t.Errorf("the URL built for a socket folder fails its own check: %v", err)
	}
	u, _, err = fakeEnv(parts("DB_HOST", "[::1]"), nil).DatabaseURL()
	if err != nil || u != "postgres://u:s3cret@[::1]:5432/d" {
		t.Errorf("bracketed IPv6: %q %v", u, err)
	}
}
