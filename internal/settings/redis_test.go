package settings

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

func redisCase(t *testing.T, vars, files map[string]string) (*Redis, error) {
	t.Helper()
	return redisFrom(env(vars, files), environ(vars))
}

func TestRedisIsConfiguredExactlyWhenDirectusWouldUseIt(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want string // Redis.String(), "" for none
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
			got, err := redisCase(t, c.vars, nil)
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
	got, err := redisCase(t, map[string]string{"REDIS_FILE": "/run/secrets/redis-url"}, map[string]string{"/run/secrets/redis-url": "redis://:from-file@cache:6379\n"})
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
			want := strings.Split(name, "/")[0]
			_, err := redisCase(t, vars, nil)
			var se *Error
			if !errors.As(err, &se) || se.Setting != want {
				t.Fatalf("got %v, want an Error naming %s", err, want)
			}
			// Load reports it as one of the entrypoint's bad settings.
			_, errs := load(t, Entrypoint, base(flatten(vars)...))
			if len(errs) != 1 || errs[0].Setting != want {
				t.Fatalf("Load: %v, want one error naming %s", errs, want)
			}
		})
	}
}

func flatten(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		out = append(out, k, v)
	}
	return out
}

func TestLoadReadsRedisAndItsWaitTimeoutForTheEntrypointOnly(t *testing.T) {
	c, errs := load(t, Entrypoint, base("REDIS", "redis://:r3dis-pw@cache", "TRM_REDIS_WAIT_TIMEOUT", "5"))
	if errs != nil {
		t.Fatal(errs)
	}
	if c.Redis == nil || c.Redis.Address != "cache:6379" || c.RedisWaitTimeout != 5*time.Second {
		t.Fatalf("redis %v, wait %s", c.Redis, c.RedisWaitTimeout)
	}
	if out := NewRedactor(c.Secrets()...).String("AUTH r3dis-pw"); strings.Contains(out, "r3dis-pw") {
		t.Errorf("the Redis password is not a secret of the settings: %s", out)
	}
	// The Redis it speaks of stays readable: REDIS is not a secret, its
	// password is.
	vars := base("REDIS", "redis://cache:6380")
	c, _ = load(t, Entrypoint, vars)
	red := NewRedactor(append(EnvSecrets(env(vars, nil), environ(vars)), c.Secrets()...)...)
	if out := red.String("redis://cache:6380 did not answer"); out != "redis://cache:6380 did not answer" {
		t.Errorf("a Redis without a password is hidden: %s", out)
	}
	vars = base("REDIS_FILE", "/run/secrets/redis")
	files := map[string]string{"/run/secrets/redis": "redis://:f1le-pw@cache:6380\n"}
	c, err := Load(FromEnv(env(vars, files), environ(vars)), Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	red = NewRedactor(append(EnvSecrets(env(vars, files), environ(vars)), c.Secrets()...)...)
	if out := red.String("AUTH f1le-pw refused by cache:6380"); strings.Contains(out, "f1le-pw") || !strings.Contains(out, "cache:6380") {
		t.Errorf("REDIS_FILE's password: %s", out)
	}
	if c, _ := load(t, Entrypoint, base()); c.Redis != nil || c.RedisWaitTimeout != time.Minute {
		t.Fatalf("defaults: redis %v, wait %s", c.Redis, c.RedisWaitTimeout)
	}
	_, errs = load(t, Entrypoint, base("REDIS", "redis://cache", "TRM_REDIS_WAIT_TIMEOUT", "later"))
	if len(errs) != 1 || errs[0].Setting != "TRM_REDIS_WAIT_TIMEOUT" {
		t.Fatalf("got %v", errs)
	}
	// trmctl starts no Directus: Directus's Redis is none of its business.
	if c, errs := load(t, Trmctl, map[string]string{"REDIS": "http://nonsense", "CACHE_STORE": "redis"}); errs != nil || c.Redis != nil {
		t.Fatalf("trmctl: %v %v", c, errs)
	}
}

func TestDBInitDeadlinesDefaultToTheLibrarysAndRefuseNegatives(t *testing.T) {
	for _, b := range []Binary{Entrypoint, Trmctl} {
		c, errs := load(t, b, base())
		if errs != nil || c.DBInitFileTimeout != migrations.DefaultFileTimeout || c.DBInitLockTimeout != migrations.DefaultLockTimeout {
			t.Fatalf("%s defaults: %v %v", b, c, errs)
		}
		c, errs = load(t, b, base("TRM_DB_INIT_FILE_TIMEOUT", "30m", "TRM_DB_INIT_LOCK_TIMEOUT", "0"))
		if errs != nil || c.DBInitFileTimeout != 30*time.Minute || c.DBInitLockTimeout != 0 {
			t.Fatalf("%s set: %v %v", b, c, errs)
		}
		for _, name := range []string{"TRM_DB_INIT_FILE_TIMEOUT", "TRM_DB_INIT_LOCK_TIMEOUT"} {
			for _, bad := range []string{"-5s", "soon"} {
				if _, errs := load(t, b, base(name, bad)); len(errs) != 1 || errs[0].Setting != name {
					t.Errorf("%s %s=%s: got %v", b, name, bad, errs)
				}
			}
		}
	}
	if c, _ := load(t, Trmctl, nil); c.ConnectTimeout != 10*time.Second {
		t.Errorf("connect timeout %s", c.ConnectTimeout)
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
			var se *Error
			if !errors.As(err, &se) || se.Setting != "REDIS" || se.Value != "" {
				t.Fatalf("%q: error %v is not an Error naming REDIS without its value", raw, err)
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
