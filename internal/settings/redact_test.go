package settings

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// shapes are the ways a secret reaches a message: URLs well or badly
// formed, keyword/value strings, JSON, environment dumps, bare.
var shapes = []string{
	"postgres://u:%s@h:5432/d",
	"postgres://u:%s@h:abc/d",
	"postgres://u:%s@[::1/d",
	"cannot parse `postgres://u:%s@h/d`: invalid port",
	"postgresql://u@h/d?sslmode=disable&password=%s",
	"host=h user=u password=%s dbname=d",
	"host=h password='%s' port=abc",
	`{"level":50,"msg":"login failed","password":"%s"}`,
	"ADMIN_PASSWORD=%s",
	"DB_PASSWORD = %s",
	"error: %s was refused",
}

func TestRedactorRemovesKnownSecretsFromEveryShape(t *testing.T) {
	for _, secret := range []string{"S3cret", "p@ss:w/rd", `qu"ote\back`, "with space", "100%sure", "ünïcødé-pw"} {
		r := NewRedactor(secret)
		for _, shape := range shapes {
			for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
				in := fmt.Sprintf(shape, s)
				if out := r.String(in); strings.Contains(out, secret) || strings.Contains(out, s) {
					t.Errorf("secret %q in %q: %q", secret, in, out)
				}
			}
		}
	}
}

func TestRedactorRemovesUnknownPasswordsByStructure(t *testing.T) {
	r := NewRedactor()
	for _, in := range []string{
		"unknown command \"postgres://u:S3cret@h/d\" for \"trmctl migrate up\"",
		"postgres://u:S3cret%zz@h/d",
		"dial postgresql://admin:S3cret@[::1/x",
		"password=S3cret",
		"sslpassword='S3cret' host=h",
		`"password": "S3cret"`,
	} {
		if out := r.String(in); strings.Contains(out, "S3cret") {
			t.Errorf("%q → %q", in, out)
		}
	}
	// Prose that merely names a token or a password stays readable.
	for _, keep := range []string{
		"check the token: --token or TRM_DIRECTUS_TOKEN",
		"password authentication failed for user \"trm\"",
		"SECRET: is not set",
		"cannot connect to postgres://trm:xxxxx@127.0.0.1:1/directus",
	} {
		if out := r.String(keep); out != keep {
			t.Errorf("%q → %q", keep, out)
		}
	}
}

func TestShortValuesAreOnlyRemovedByStructure(t *testing.T) {
	r := NewRedactor("t")
	if out := r.String("read the live schema from Directus at http://127.0.0.1:1"); !strings.Contains(out, "the live schema") {
		t.Fatalf("a one-letter token ate the message: %q", out)
	}
}

// A property over random secrets and shapes: once known, a secret never
// survives redaction.
func TestRedactorPropertyNoKnownSecretSurvives(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ é"
	for i := 0; i < 5000; i++ {
		n := minSecret + rng.IntN(20)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		secret := b.String()
		shape := shapes[rng.IntN(len(shapes))]
		in := fmt.Sprintf(shape, secret)
		if out := NewRedactor(secret).String(in); strings.Contains(out, secret) {
			t.Fatalf("secret %q survived in %q → %q", secret, in, out)
		}
	}
}

func FuzzRedactor(f *testing.F) {
	for _, s := range []string{"S3cret", "p@ss", "%zz", "a'b\"c"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, secret string, shape int) {
		if len(secret) < minSecret || strings.Contains(mask, secret) {
			return
		}
		in := fmt.Sprintf(shapes[uint(shape)%uint(len(shapes))], secret)
		if out := NewRedactor(secret).String(in); strings.Contains(out, secret) {
			t.Fatalf("secret %q survived in %q → %q", secret, in, out)
		}
	})
}

func TestEnvSecretsFindsSecretsByNameFilesAndURLs(t *testing.T) {
	e := env(nil, map[string]string{"/run/pw": "FromFile99\n"})
	got := EnvSecrets(e, []string{
		"DB_PASSWORD_FILE=/run/pw", "ADMIN_PASSWORD=Admin99", "REDIS=redis://:RedisPw9@r:6379", "KEY=Key12345",
		"STORAGE_S3_SECRET=S3s3cr3t", "AUTH_GOOGLE_CLIENT_SECRET=GoogleS", "PATH=/usr/bin", "DB_HOST=db",
	})
	want := []string{"FromFile99", "Admin99", "RedisPw9", "Key12345", "S3s3cr3t", "GoogleS"}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "|"), w) {
			t.Errorf("%s not found in %v", w, got)
		}
	}
	for _, g := range got {
		if g == "/usr/bin" || g == "db" || g == "/run/pw" {
			t.Errorf("%q is not a secret", g)
		}
	}
}

func TestRedactedDatabaseShowsHostAndUserOnly(t *testing.T) {
	d := Database{URL: "postgres://trm:S3cret@db:5432/directus?sslmode=disable"}
	if got := d.Redacted(); got != "postgres://trm:xxxxx@db:5432/directus?sslmode=disable" {
		t.Fatal(got)
	}
	if got := directusctl.Redact("postgres://u:S3cret%zz@h/d"); got != directusctl.Redacted {
		t.Fatal(got)
	}
}
