package settings

import (
	"net/url"
	"regexp"
	"sort"
	"strings"

	"git.dev.trmtracking.org/trm/directus/lib/directusctl"
)

// Redactor takes secrets out of text meant for people: the one path that
// every message of both binaries goes through. It works on the structure
// first (the password of any URL, any password=… or "password": …
// parameter) and then replaces every known secret value, in case a
// program it ran (Directus) printed one in a shape of its own.
type Redactor struct {
	secrets []string
}

// mask stands for a secret.
const mask = "xxxxx"

// minSecret is the shortest value replaced wherever it appears: replacing
// every "t" of a message would leave nothing readable. Shorter ones are
// still removed where the structure shows them.
const minSecret = 4

// NewRedactor removes the structure's secrets and the given values.
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var list []string
	add := func(s string) {
		if len(s) >= minSecret && s != mask && !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(strings.TrimSpace(s))
		// The forms a secret takes inside a URL or a quoted string.
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(url.UserPassword("", s).String()[1:])
		add(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		if p := urlPassword(s); p != "" {
			add(p)
		}
	}
	// Longest first, so that a secret holding another goes whole.
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	return &Redactor{secrets: list}
}

var (
	// scheme://user:password@ → scheme://user:xxxxx@. The password runs
	// to the last @ before a blank or a quote: that is how URL parsers
	// read it, and a wrong guess hides too much, never too little.
	userinfoPassword = regexp.MustCompile(`(://[^\s:/@"'<>]*):[^\s"'<>]*@`)
	// password=value, password='quoted value', "password": "value",
	// sslpassword=…, PGPASSWORD=…, ADMIN_PASSWORD=…, "token":"…". A bare
	// "token: " is prose ("check the token: --token …"), not a value.
	keyedPassword = regexp.MustCompile(`(?i)("[a-z_]*(?:password|secret|token)[a-z_]*"\s*:\s*|\b[a-z_]*(?:password|secret|token)[a-z_]*\s*=\s*)("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s&,;"'}\]]+)`)
)

// String returns s without secrets.
func (r *Redactor) String(s string) string {
	if r == nil {
		r = &Redactor{}
	}
	s = userinfoPassword.ReplaceAllString(s, "${1}:"+mask+"@")
	s = keyedPassword.ReplaceAllStringFunc(s, func(m string) string {
		sub := keyedPassword.FindStringSubmatch(m)
		return sub[1] + mask
	})
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, mask)
	}
	return s
}

// Bytes is String for byte slices.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }

// urlPassword is the password of a URL, "" when it has none or does not
// parse.
func urlPassword(s string) string {
	if !strings.Contains(s, "://") {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

var secretName = regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|CREDENTIAL|(^|_)KEY$|(^|_)DATABASE_URL$|CONNECTION_STRING)`)

// SecretName says whether an environment variable holds a secret by its
// name: every secret setting of the table, and Directus's many others
// (REDIS_PASSWORD, AUTH_*_CLIENT_SECRET, STORAGE_*_KEY, …).
func SecretName(name string) bool {
	name = strings.TrimSuffix(name, "_FILE")
	for _, s := range Table() {
		if s.Env == name {
			return s.Secret
		}
	}
	return secretName.MatchString(name)
}

// EnvSecrets are the secrets of an environment (KEY=VALUE entries): the
// values of the variables SecretName names, the content of their NAME_FILE
// files, and the password of every URL any variable holds.
func EnvSecrets(env directusctl.Env, environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		if p := urlPassword(v); p != "" {
			out = append(out, p)
		}
		if !SecretName(k) {
			continue
		}
		if strings.HasSuffix(k, "_FILE") && env.ReadFile != nil {
			if b, err := env.ReadFile(v); err == nil && len(b) <= 1<<16 {
				content := strings.TrimRight(string(b), "\r\n")
				out = append(out, content)
				if p := urlPassword(content); p != "" {
					out = append(out, p)
				}
			}
			continue
		}
		out = append(out, v)
	}
	return out
}
