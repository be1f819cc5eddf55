package boot

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func redisCase(t *testing.T, vars map[string]string) (*RedisTarget, error) {
	t.Helper()
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	return redisFromEnv(env(vars), environ)
}

func TestRedisIsConfiguredExactlyWhenDirectusWouldUseIt(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want string // RedisTarget.String(), "" for none
	}{
		{"nothing set", map[string]string{"CACHE_STORE": "memory"}, ""},
		{"a URL", map[string]string{"REDIS": "redis://cache:6380/2"}, "redis://cache:6380/2"},
		{"a URL with user and password", map[string]string{"REDIS": "redis://trm:s3cret-pw@cache"}, "redis://trm:xxxxx@cache:6379"},
		{"TLS", map[string]string{"REDIS": "rediss://:pw@cache:6390"}, "rediss://:xxxxx@cache:6390"},
		{"host:port without a scheme, as ioredis reads it", map[string]string{"REDIS": "cache:6381"}, "redis://cache:6381"},
		{"a port alone", map[string]string{"REDIS": "6382"}, "redis://localhost:6382"},
		{"a socket", map[string]string{"REDIS": "/run/redis.sock"}, "unix:/run/redis.sock"},
		{"separate variables", map[string]string{"REDIS_HOST": "cache", "REDIS_PORT": "6383", "REDIS_PASSWORD": "pw", "REDIS_DB": "1"}, "redis://:xxxxx@cache:6383/1"},
		// Directus turns Redis on for any REDIS_* variable and ioredis
		// then connects to its default address.
		{"only a namespace", map[string]string{"REDIS_BUS_NAMESPACE": "trm"}, "redis://localhost:6379"},
		{"REDIS_ENABLED=false wins", map[string]string{"REDIS": "redis://cache", "REDIS_ENABLED": "false"}, ""},
		{"REDIS_ENABLED=true alone", map[string]string{"REDIS_ENABLED": "true"}, "redis://localhost:6379"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := redisCase(t, c.vars)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.want == "" && got != nil:
				t.Fatalf("got %s, want no Redis", got)
			case c.want != "" && (got == nil || got.String() != c.want):
				t.Fatalf("got %v, want %s", got, c.want)
			}
		})
	}
}

func TestRedisFileHoldsTheURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis-url")
	if err := os.WriteFile(path, []byte("redis://:from-file@cache:6379\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := redisCase(t, map[string]string{"REDIS_FILE": path})
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Password != "from-file" || got.Address != "cache:6379" {
		t.Fatalf("got %+v", got)
	}
}

func TestRedisSettingsThatCannotWorkAreRefusedNamingTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"REDIS":          {"REDIS": "http://cache:6379"},
		"REDIS_ENABLED":  {"REDIS_ENABLED": "perhaps"},
		"REDIS_PORT":     {"REDIS_HOST": "cache", "REDIS_PORT": "sixty"},
		"REDIS_DB":       {"REDIS_HOST": "cache", "REDIS_DB": "first"},
		"REDIS/port":     {"REDIS": "redis://cache:99999"},
		"REDIS/db":       {"REDIS": "redis://cache/zero"},
		"REDIS/no host":  {"REDIS": "redis://:pw@:6379"},
		"REDIS/empty":    {"REDIS": " "},
		"REDIS/no Redis": {"CACHE_STORE": "redis"},
		"REDIS/disabled": {"REDIS_ENABLED": "false", "RATE_LIMITER_STORE": "redis"},
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := redisCase(t, vars)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != strings.Split(name, "/")[0] {
				t.Fatalf("got %v, want a ConfigError naming %s", err, strings.Split(name, "/")[0])
			}
		})
	}
}

func TestConfigReadsTheRedisWaitTimeout(t *testing.T) {
	vars := map[string]string{"TRM_DATABASE_URL": "postgres://x@y/z", "REDIS": "redis://cache", "TRM_REDIS_WAIT_TIMEOUT": "5"}
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	c, err := ConfigFromEnv(env(vars), environ)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis == nil || c.RedisWaitTimeout.Seconds() != 5 {
		t.Fatalf("redis %v, wait %s", c.Redis, c.RedisWaitTimeout)
	}
	vars["TRM_REDIS_WAIT_TIMEOUT"] = "later"
	var ce *ConfigError
	if _, err := ConfigFromEnv(env(vars), environ); !errors.As(err, &ce) || ce.Setting != "TRM_REDIS_WAIT_TIMEOUT" {
		t.Fatalf("got %v", err)
	}
}

// Whatever REDIS holds, neither an error nor the target's description
// shows its password: a URL is a secret as soon as it carries one.
func TestRedisPasswordNeverAppearsInMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	shapes := []string{
		"redis://:%s@cache:6379", "redis://user:%s@cache", "rediss://u:%s@cache:6390/3",
		"redis://:%s@cache:notaport", "redis://:%s@:6379", "redis://:%s@cache/x",
		"ftp://:%s@cache", "redis://:%s@ca che", "redis://:%s@[::1", ":%s@cache",
		"redis://:%s@cache:70000", "redis://u:%s@cache/-1",
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%#?/:@ "
	for range 2000 {
		pw := make([]byte, 8+rng.IntN(16))
		for i := range pw {
			pw[i] = alphabet[rng.IntN(len(alphabet))]
		}
		secret := string(pw)
		raw := strings.Replace(shapes[rng.IntN(len(shapes))], "%s", secret, 1)
		tgt, err := parseRedisURL(raw)
		var msg string
		if err != nil {
			msg = err.Error()
		} else {
			msg = tgt.String()
		}
		for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return strings.ContainsRune("%#?/:@ ", r) }) {
			if len(part) >= 6 && strings.Contains(msg, part) {
				t.Fatalf("REDIS=%q: message %q shows part %q of the password", raw, msg, part)
			}
		}
	}
}

func FuzzParseRedisURL(f *testing.F) {
	for _, s := range []string{"redis://:pw@cache:6379/1", "rediss://u:p@h", "cache:6380", "6379", "/tmp/r.sock", "redis://[::1]:6379", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tgt, err := parseRedisURL(raw)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != "REDIS" {
				t.Fatalf("%q: error %v is not a ConfigError naming REDIS", raw, err)
			}
			if len(strings.TrimSpace(raw)) >= 12 && strings.Contains(err.Error(), strings.TrimSpace(raw)) {
				t.Fatalf("%q: the error repeats the value: %v", raw, err)
			}
			return
		}
		if tgt.Network != "tcp" && tgt.Network != "unix" || tgt.Address == "" {
			t.Fatalf("%q: target %+v", raw, tgt)
		}
		if tgt.Password != "" {
			other := *tgt
			other.Password = "another"
			if tgt.String() != other.String() {
				t.Fatalf("%q: %s depends on the password", raw, tgt)
			}
		}
	})
}
