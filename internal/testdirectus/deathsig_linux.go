package testdirectus

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel stop the server when the test binary
// dies without running its cleanups (a go test -timeout panic, a kill):
// otherwise a ~300 MB server outlives every aborted run.
func setDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}
