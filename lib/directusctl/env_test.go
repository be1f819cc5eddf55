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
		"host=h user=u password=s3cret dbname=d",
	} {
		if out := Redact(in); strings.Contains(out, "s3cret") {
			t.Errorf("Redact(%q) = %q", in, out)
		}
	}
}
