package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

func load(t *testing.T) *types.Project {
	t.Helper()
	root := testenv.Path(t, ".")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root), cli.WithName("trm"), cli.WithDiscardEnvFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	return p
}

// haproxyServers maps the backend servers of deploy/haproxy.cfg to their
// addresses, and checks that they are health-checked.
func haproxyServers(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(testenv.Path(t, "deploy/haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]string{}
	re := regexp.MustCompile(`(?m)^\s*server\s+(\S+)\s+(\S+)`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		servers[m[1]] = m[2]
	}
	if !regexp.MustCompile(`(?m)^\s*default-server\s.*\bcheck\b`).Match(b) || !strings.Contains(string(b), "option httpchk GET /server/health") {
		t.Error("deploy/haproxy.cfg does not health-check its servers on /server/health")
	}
	return servers
}

func TestComposeRunsThreeReplicasBehindTheHealthCheckingProxy(t *testing.T) {
	p := load(t)
	servers := haproxyServers(t)
	var replicas []string
	for name, s := range p.Services {
		if strings.HasPrefix(name, "directus-") {
			replicas = append(replicas, name)
			if s.HealthCheck == nil || s.HealthCheck.Disable || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "/server/health") {
				t.Errorf("%s has no health check on /server/health", name)
			}
			if len(s.Ports) != 0 {
				t.Errorf("%s publishes ports: only the proxy should", name)
			}
			if servers[name] != name+":8055" {
				t.Errorf("%s is not a server of deploy/haproxy.cfg (servers %v)", name, servers)
			}
		}
	}
	slices.Sort(replicas)
	if !slices.Equal(replicas, []string{"directus-1", "directus-2", "directus-3"}) {
		t.Fatalf("replicas %v, want directus-1..3", replicas)
	}
	if len(servers) != len(replicas) {
		t.Errorf("haproxy balances %v, compose runs %v", servers, replicas)
	}
	first := p.Services["directus-1"]
	for _, name := range replicas[1:] {
		s := p.Services[name]
		if s.Image != first.Image || !mapsEqual(s.Environment, first.Environment) {
			t.Errorf("%s differs from directus-1 in image or environment", name)
		}
	}

	proxy, ok := p.Services["proxy"]
	if !ok {
		t.Fatal("no proxy service")
	}
	if !strings.HasPrefix(proxy.Image, "haproxy:") {
		t.Errorf("proxy image %s, want the official haproxy image", proxy.Image)
	}
	if proxy.HealthCheck == nil || proxy.HealthCheck.Disable {
		t.Error("the proxy has no health check")
	}
	if len(proxy.Ports) != 1 || proxy.Ports[0].Target != 8055 {
		t.Errorf("proxy ports %+v, want 8055", proxy.Ports)
	}
	mounted := false
	for _, v := range proxy.Volumes {
		if v.Source == testenv.Path(t, "deploy/haproxy.cfg") && v.Target == "/usr/local/etc/haproxy/haproxy.cfg" {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("the proxy does not mount deploy/haproxy.cfg: %+v", proxy.Volumes)
	}
}

// The replicas run with the settings the scaling tests prove, and all
// point at the compose Redis, which has a health check they wait for.
func TestReplicasShareRedisWithTheTestedSettings(t *testing.T) {
	p := load(t)
	b, err := os.ReadFile(testenv.Path(t, "deploy/scaling.env"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			want[k] = v
		}
	}
	if len(want) < 10 {
		t.Fatalf("deploy/scaling.env has %d settings", len(want))
	}
	redis, ok := p.Services["redis"]
	if !ok || redis.HealthCheck == nil {
		t.Fatal("no redis service with a health check")
	}
	for _, name := range []string{"directus-1", "directus-2", "directus-3"} {
		env := p.Services[name].Environment
		for k, v := range want {
			if got := env[k]; got == nil || *got != v {
				t.Errorf("%s: %s=%v, want %s (deploy/scaling.env)", name, k, deref(got), v)
			}
		}
		if got := deref(env["REDIS"]); got != "redis://redis:6379" {
			t.Errorf("%s: REDIS=%s, want the compose redis service", name, got)
		}
		if got := deref(env["IP_TRUST_PROXY"]); got != "1" {
			t.Errorf("%s: IP_TRUST_PROXY=%s, want 1 (the proxy's hop only)", name, got)
		}
		dep, ok := p.Services[name].DependsOn["redis"]
		if !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy redis", name)
		}
	}
}

// HAProxy from Debian checks the configuration the compose proxy mounts.
// The replicas' names do not resolve here: the configuration starts them
// disabled until Docker's DNS answers (init-addr none), which is what this
// check relies on too.
func TestHAProxyAcceptsItsConfiguration(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
		if _, serr := os.Stat(bin); serr != nil {
			t.Fatal("no haproxy: install it with make deps (scripts/install-deps.sh)")
		}
	}
	out, err := exec.Command(bin, "-c", "-f", testenv.Path(t, "deploy/haproxy.cfg")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Configuration file is valid") {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "[ALERT]") {
		t.Errorf("haproxy -c alerts:\n%s", out)
	}
}

func mapsEqual(a, b types.MappingWithEquals) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || deref(v) != deref(w) {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}
