package testdirectus

import (
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"git.dev.trmtracking.org/trm/directus/internal/settings"
	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// ScalingEnv is deploy/scaling.env, the settings with which compose runs
// several Directus instances (Redis for every shareable store, WebSockets
// and GraphQL subscriptions), plus REDIS=redisURL and, since no proxy
// stands in front of test instances, IP_TRUST_PROXY=false.
func ScalingEnv(redisURL string) ([]string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "deploy", "scaling.env")
	vars, err := settings.ReadRuntimeEnv(path)
	if err != nil {
		return nil, fmt.Errorf("scaling settings: %w", err)
	}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return append(env, "REDIS="+redisURL, "IP_TRUST_PROXY=false"), nil
}

// WithScaling runs the instance with ScalingEnv(redisURL).
func WithScaling(redisURL string) Option {
	return func(c *config) {
		env, err := ScalingEnv(redisURL)
		if err != nil {
			c.err = err
			return
		}
		c.env = append(c.env, env...)
	}
}

// StartMany starts n servers at once on one database, which Provision (or
// an earlier Start) has prepared: they bootstrap nothing. They stop when
// the test ends.
func StartMany(t testing.TB, dbURL string, n int, opts ...Option) []*Instance {
	t.Helper()
	insts := make([]*Instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts[i], errs[i] = start(t, dbURL, append([]Option{WithoutBootstrap()}, opts...)...)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("testdirectus: instance %d of %d: %v", i+1, n, err)
		}
	}
	return insts
}

// Kill stops the server with SIGKILL, as a crash or the OOM killer would,
// and waits until it is gone. The test's cleanup then expects it gone.
func (i *Instance) Kill() {
	i.stopOnce.Do(func() {
		_ = i.cmd.Process.Signal(syscall.SIGKILL)
		<-i.exited
	})
}

// PID is the server's process id, e.g. to read its CPU time in
// /proc/<pid>/stat.
func (i *Instance) PID() int { return i.cmd.Process.Pid }
