package agreement

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the benchmarks' Directus if the test binary dies
// without stopping it.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
