package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testdb"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testdirectus"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

var (
	pg *testdb.Server
	// trmctlBin is cmd/trmctl, built once for the package.
	trmctlBin string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "trm-ui-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "ui: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if trmctlBin, err = testenv.Build(dir, "git.dev.trmtracking.org/trm/directus/cmd/trmctl"); err != nil {
		fmt.Fprintf(os.Stderr, "ui: %v\n", err)
		return 1
	}
	return testdb.Main(m, &pg)
}

// findChromium is Debian's Chromium, or TRM_CHROMIUM.
func findChromium() (string, error) {
	path := "/usr/bin/chromium"
	if p := os.Getenv("TRM_CHROMIUM"); p != "" {
		path = p
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("no Chromium at %s: run `make deps` (scripts/install-deps.sh installs Debian's chromium), or set TRM_CHROMIUM", path)
	}
	return path, nil
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := findChromium()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// artifactsDir is where screenshots go: $TRM_TEST_ARTIFACTS, else
// <repo>/test-artifacts/ui.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TRM_TEST_ARTIFACTS")
	if dir == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "test-artifacts", "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// browser is one headless Chromium tab, with where its screenshots go.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
	prefix    string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		// Without these Chromium reaches for the network this machine
		// does not have (component updates, sync, QUIC probes).
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// WebGL (the map interface and layout) in software: there is no GPU;
		// and animation frames at full rate in a page nobody looks at (a map
		// zooms to its data by animating).
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Registered after TempDir: the browser stops before its profile
	// folder is removed.
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; it must not carry a timeout. The
	// viewport is tall enough for a whole entry form in one screenshot.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 1500)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, artifacts: artifactsDir(t), prefix: "directus-admin-rally-albania"}
}

// step runs actions with a time limit; on failure it saves a screenshot
// and says what the page showed.
func (b *browser) step(name string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	if err == nil {
		return
	}
	shot := b.screenshot(name + "-failed")
	text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("%s: %v\nat %s; screenshot %s\npage text:\n%s", name, err, loc, shot, tail(text, 3000))
}

// screenshot saves the viewport as a PNG and returns its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return "(none)"
	}
	path := filepath.Join(b.artifacts, b.prefix+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return "(none)"
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// ownerReminder is the dialog Directus 11 opens after each login until a
// project owner is set. Setting one reports to Directus's servers, so the
// tests answer "Remind Later", as a person evaluating it would.
const (
	ownerReminderText   = "You have not set a project owner"
	ownerReminderButton = "Remind Later"
)

// waitText waits until the page shows every one of texts, with no dialog
// over it; it dismisses the owner reminder when that opens.
func waitText(texts ...string) chromedp.Action[chromedp.Void] {
	want, _ := json.Marshal(texts)
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
		const t = document.body ? document.body.innerText : "";
		if (t.includes(%q)) {
			const b = [...document.querySelectorAll("button")].find(b => b.innerText.trim() === %q);
			if (b) b.click();
			return false;
		}
		return %s.every(s => t.includes(s));
	})()`, ownerReminderText, ownerReminderButton, want),
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// waitLeft waits until the URL no longer contains part.
func waitLeft(part string) chromedp.Action[chromedp.Void] {
	want, _ := json.Marshal(part)
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`!location.pathname.includes(%s)`, want),
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// seed runs `trmctl seed apply seed/rally-albania-2026/seed.yaml --json`
// against inst and returns the id of each record by kind and key.
func seed(t *testing.T, inst *testdirectus.Instance) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trmctlBin, "seed", "apply", testenv.Path(t, "seed/rally-albania-2026/seed.yaml"), "--directus-url", inst.URL, "--json")
	cmd.Env = []string{"TRM_DIRECTUS_TOKEN=" + inst.Token, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trmctl seed apply: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var rep struct {
		Records []struct{ Kind, Key, ID string } `json:"records"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("seed --json: %v\n%s", err, stdout.String())
	}
	ids := map[string]string{}
	for _, r := range rep.Records {
		ids[r.Kind+" "+r.Key] = r.ID
	}
	return ids
}

func TestAdminAppShowsTheSeededRallyAndEntry301WithCrewAndTrackers(t *testing.T) {
	chromiumPath(t) // fail first, and fast, when the browser is missing
	inst := testdirectus.StartProvisioned(t, pg.New(t))
	ids := seed(t, inst)
	entryID := ids["entries rally-albania-2026 #301"]
	if entryID == "" {
		t.Fatalf("the seed reported no entry #301: %v", ids)
	}
	b := newBrowser(t)

	b.step("log in", 90*time.Second,
		chromedp.Navigate(inst.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[type="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[type="email"]`), testdirectus.AdminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[type="password"]`), testdirectus.AdminPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitLeft("/login"),
		// The content module's navigation lists the Phase 1 collections.
		waitText("Organizations", "Events", "Entries", "Entry Devices"),
	)
	b.screenshot("01-logged-in")

	b.step("events list shows Rally Albania 2026", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/events"),
		waitText("Rally Albania 2026"),
	)
	b.screenshot("02-events")

	b.step("entry 301 shows its crew and trackers", 60*time.Second,
		chromedp.Navigate(inst.URL+"/admin/content/entries/"+entryID),
		waitText("#301 — C-2 — Toyota Land Cruiser 70", "Rally Albania 2026", "Arta Marku", "Dritan Shehu", "Pilot", "Co-pilot",
			"FMB920 352098103001010", "FMB920 352098103001028", "FMB003 350374117001037"),
	)
	b.screenshot("03-entry-301")

	if err := context.Cause(b.ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("browser: %v", err)
	}
}

func TestAMissingChromiumFailsSayingToRunMakeDeps(t *testing.T) {
	t.Setenv("TRM_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	_, err := findChromium()
	if err == nil || !strings.Contains(err.Error(), "run `make deps`") {
		t.Errorf("got %v; want an error saying to run make deps", err)
	}
}
