package directusctl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeNode is a provisioner that misbehaves on purpose. These are the
// failures a real Directus cannot be made to produce on demand (a reply
// that breaks the protocol, a script of another protocol version);
// tests/directusctl proves the provisioner against a real Directus
// 11.17.4, including a process killed during an apply.
func fakeNode(t *testing.T, body string) *CLI {
	t.Helper()
	dir := t.TempDir()
	api := filepath.Join(dir, "node_modules", "@directus", "api", "dist")
	for _, d := range []string{"cli", "database"} {
		if err := os.MkdirAll(filepath.Join(api, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(api, "database", "index.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(dir, "node")
	if err := os.WriteFile(node, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return &CLI{Node: node, Script: filepath.Join(api, "cli", "run.js"), Dir: dir, Grace: time.Second}
}

const ready = `echo '{"ready":{"protocol":1,"directus":"11.17.4","node":"v22.0.0"}}' >&3
`

func start(t *testing.T, c *CLI) *Provisioner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := c.StartProvisioner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func gone(t *testing.T, p *Provisioner) {
	t.Helper()
	if err := syscall.Kill(p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the process is still running (%v)", err)
	}
}

func TestProvisionerReadsTheReadyMessage(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; echo '{"id":1,"ok":true,"ms":0,"result":{}}' >&3; exit 0`))
	if got := p.Info(); got != (ProvisionerInfo{Protocol: 1, Directus: "11.17.4", Node: "v22.0.0"}) {
		t.Errorf("info %+v", got)
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	gone(t, p)
}

func TestProvisionerOfAnotherProtocolVersionIsRefused(t *testing.T) {
	c := fakeNode(t, `echo '{"ready":{"protocol":2,"directus":"12.0.0","node":"v24"}}' >&3; exec sleep 30`)
	_, err := c.StartProvisioner(context.Background())
	var pe *ProvisionerProtocolError
	if !errors.As(err, &pe) || pe.Op != "start" || !strings.Contains(pe.Reason, "protocol 2") {
		t.Fatalf("%v, want a protocol error naming the version", err)
	}
}

func TestProvisionerThatExitsBeforeItIsReadyReportsItsOutput(t *testing.T) {
	c := fakeNode(t, `echo 'node: bad option: --input-type' >&2; exit 9`)
	_, err := c.StartProvisioner(context.Background())
	var ee *ProvisionerExitError
	if !errors.As(err, &ee) || ee.Op != "start" || ee.ExitCode != 9 || !strings.Contains(err.Error(), "bad option") {
		t.Fatalf("%v, want an exit error with status 9 and the output", err)
	}
}

// Each reply that breaks the protocol stops the process and every later
// call fails with the same error: what the request did is unknown.
func TestProvisionerStopsOnAReplyThatBreaksTheProtocol(t *testing.T) {
	cases := map[string]string{
		"not JSON":          `not json at all`,
		"another request's": `{"id":7,"ok":true,"ms":0,"result":{}}`,
		"neither":           `{"id":1,"ms":0}`,
		"wrong shape":       `{"id":1,"ok":true,"ms":0,"result":{"snapshot":"text","hash":5}}`,
		"no snapshot":       `{"id":1,"ok":true,"ms":0,"result":{"hash":"h"}}`,
	}
	for name, line := range cases {
		t.Run(name, func(t *testing.T) {
			p := start(t, fakeNode(t, ready+"read line; echo '"+line+"' >&3; exec sleep 30"))
			_, err := p.Snapshot(context.Background())
			var pe *ProvisionerProtocolError
			if !errors.As(err, &pe) || pe.Op != "snapshot" {
				t.Fatalf("%v, want a protocol error for snapshot", err)
			}
			gone(t, p)
			if _, again := p.Snapshot(context.Background()); !errors.Is(again, err) {
				t.Errorf("a later call: %v, want the same error", again)
			}
		})
	}
}

func TestProvisionerThatDiesDuringARequestSaysHow(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; echo 'FATAL: out of memory' >&2; kill -9 $$`))
	_, err := p.Bootstrap(context.Background())
	var ee *ProvisionerExitError
	if !errors.As(err, &ee) || ee.Op != "bootstrap" || ee.Signal != "killed" || !strings.Contains(ee.Output, "out of memory") {
		t.Fatalf("%v, want an exit error: bootstrap, killed, with the output", err)
	}
}

// A refusal is an answer: the process stays usable.
func TestProvisionerErrorRepliesAreTypedAndLeaveItUsable(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line
echo '{"id":1,"ok":false,"ms":4,"error":{"kind":"stale","message":"the live schema changed","code":"","logged":["Failed to create field \"a.b\""]}}' >&3
read line
echo '{"id":2,"ok":true,"ms":1,"result":{"snapshot":{"version":1},"hash":"abc"}}' >&3
read line; echo '{"id":3,"ok":true,"ms":0,"result":{}}' >&3; exit 0`))
	_, err := p.ApplyDiff(context.Background(), &SchemaDiff{Hash: "h", Diff: []byte(`{"collections":[]}`)})
	var pe *ProvisionError
	if !errors.As(err, &pe) || pe.Kind != ProvisionStale || pe.Op != "apply-diff" || len(pe.Logged) != 1 {
		t.Fatalf("%v, want a stale ProvisionError with what Directus logged", err)
	}
	live, err := p.Snapshot(context.Background())
	if err != nil || live.Hash != "abc" || string(live.Snapshot) != `{"version":1}` {
		t.Fatalf("%+v, %v", live, err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func TestProvisionerCancelledCallStopsTheProcess(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; exec sleep 30`))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := p.Bootstrap(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v, want the context's error", err)
	}
	gone(t, p)
}

func TestProvisionerNeedsTheAPIFolder(t *testing.T) {
	c := &CLI{Node: "node", Script: filepath.Join(t.TempDir(), "cli", "run.js")}
	_, err := c.StartProvisioner(context.Background())
	var ni *NotInstalledError
	if !errors.As(err, &ni) || !strings.HasSuffix(ni.Path, filepath.Join("database", "index.js")) {
		t.Fatalf("%v, want a NotInstalledError naming the module it looked for", err)
	}
}

func TestApplyDiffOfNothingSendsNothing(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; echo '{"id":1,"ok":true,"ms":0,"result":{}}' >&3; exit 0`))
	if a, err := p.ApplyDiff(context.Background(), nil); a != nil || err != nil {
		t.Fatalf("%v, %v", a, err)
	}
	if a, err := p.ApplyDiff(context.Background(), &SchemaDiff{Hash: "h"}); a != nil || err != nil {
		t.Fatalf("%v, %v", a, err)
	}
}

// From the serve request on, what the process writes is passed on, and
// its exit status is the caller's to read.
func TestServingProvisionerPassesItsOutputOnAndEndsWithItsStatus(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; echo "$line" >&2; echo '{"id":1,"ok":true,"ms":0,"result":{}}' >&3; echo 'Server started'; exit 3`))
	var stdout, stderr strings.Builder
	style := "pretty"
	if err := p.Serve(context.Background(), &style, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(); code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	if !strings.Contains(stderr.String(), `"op":"serve"`) || !strings.Contains(stderr.String(), `"logStyle":"pretty"`) {
		t.Errorf("request %q", stderr.String())
	}
	if stdout.String() != "Server started\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	if _, err := p.Snapshot(context.Background()); err == nil {
		t.Error("a serving provisioner took another request")
	}
}

func TestServerThatCannotStartIsAnExitError(t *testing.T) {
	p := start(t, fakeNode(t, ready+`read line; echo 'Port 8055 is already in use'; exit 1`))
	var out strings.Builder
	err := p.Serve(context.Background(), nil, &out, &out)
	var ee *ProvisionerExitError
	if !errors.As(err, &ee) || ee.Op != "serve" || ee.ExitCode != 1 || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("%v, want an exit error with Directus's line", err)
	}
	if code := p.Wait(); code != 1 || !strings.Contains(out.String(), "already in use") {
		t.Errorf("exit %d, output %q", code, out.String())
	}
}
