package testenv

import (
	"os/exec"
	"syscall"
)

// DieWithTest makes the kernel stop a server process when the test binary
// dies without running its cleanups (a go test -timeout panic, a kill):
// otherwise a ~300 MB server outlives every aborted run.
func DieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}
