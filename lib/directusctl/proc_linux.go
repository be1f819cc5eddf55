package directusctl

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the CLI in a process group of its own, so that a
// cancellation reaches everything it started, and has the kernel kill it
// when the process that started it dies: a killed caller must not leave
// a schema apply running behind it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the process group of cmd.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
