package e2e

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"git.dev.trmtracking.org/trm/directus/tests/internal/testenv"
)

// A full boot whose start command is Directus's own start serves from the
// Directus process that provisioned (TRM_SERVE=auto), and the entrypoint
// supervises it: Directus's logs pass through, a signal stops it and the
// entrypoint exits with its status, a server that cannot start fails the
// boot with Directus's error, and no Directus process outlives the
// entrypoint. TRM_SERVE=exec execs the start command instead.
func TestFullBootServesFromTheProvisioningProcess(t *testing.T) {
	provisioned := pg.New(t)
	if code, out := boot(t, provisioned); code != 0 {
		t.Fatalf("provision the template: exit %d:\n%s", code, out)
	}
	changed := changedSnapshot(t, testenv.Path(t, "snapshots/schema.yaml"))
	changedBoot := func(t *testing.T, port int, extra ...string) *run {
		return startBoot(t, bootEnv(t, pg.Copy(t, provisioned), port, true, append([]string{"TRM_SNAPSHOT=" + changed}, extra...)...))
	}
	servingPid := func(t *testing.T, out string) int {
		t.Helper()
		m := regexp.MustCompile(`step=start serve="in the process that provisioned" pid=(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("the boot did not serve from the provisioning process:\n%s", out)
		}
		pid, _ := strconv.Atoi(m[1])
		return pid
	}
	gone := func(t *testing.T, pid int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			if time.Now().After(deadline) {
				t.Fatalf("Directus (pid %d) outlived the entrypoint", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("serves the applied schema and stops on SIGTERM with Directus's status", func(t *testing.T) {
		port := testenv.Port(t)
		r := changedBoot(t, port)
		waitHealthy(t, r, port)
		pid := servingPid(t, r.out.String())
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		code := r.wait(t)
		out := r.out.String()
		// Directus shuts down gracefully, then ends by the signal it got.
		if code != 128+int(syscall.SIGTERM) || !strings.Contains(out, "Directus shut down OK") {
			t.Fatalf("exit %d, want %d after Directus's shutdown:\n%s", code, 128+int(syscall.SIGTERM), out)
		}
		if !strings.Contains(out, "Server started at") {
			t.Errorf("Directus's logs do not pass through:\n%s", out)
		}
		gone(t, pid)
	})

	t.Run("a server that cannot listen fails the boot with Directus's error", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		r := changedBoot(t, port)
		code := r.wait(t)
		out := r.out.String()
		if code == 0 || !strings.Contains(out, fmt.Sprintf("Port %d is already in use", port)) {
			t.Fatalf("exit %d, want non-zero naming the port:\n%s", code, out)
		}
		if last := lastLine(out); !strings.Contains(last, "step=start") || !strings.Contains(last, "fix=") {
			t.Errorf("last line should name the step and the fix: %s", last)
		}
		gone(t, servingPid(t, out))
	})

	t.Run("a killed server ends the entrypoint with its status", func(t *testing.T) {
		port := testenv.Port(t)
		r := changedBoot(t, port)
		waitHealthy(t, r, port)
		if err := syscall.Kill(servingPid(t, r.out.String()), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := r.wait(t); code != 128+int(syscall.SIGKILL) {
			t.Fatalf("exit %d, want %d:\n%s", code, 128+int(syscall.SIGKILL), r.out)
		}
	})

	t.Run("TRM_SERVE=exec execs the start command", func(t *testing.T) {
		port := testenv.Port(t)
		r := changedBoot(t, port, "TRM_SERVE=exec")
		waitHealthy(t, r, port)
		if out := r.out.String(); strings.Contains(out, "in the process that provisioned") || !strings.Contains(out, "step=start command=") {
			t.Fatalf("the start command was not exec'd:\n%s", out)
		}
	})
}
