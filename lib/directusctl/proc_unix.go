//go:build unix && !linux

package directusctl

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the CLI in a process group of its own, so that a
// cancellation reaches everything it started. Only Linux can also have
// the kernel kill it when its caller dies.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the process group of cmd.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
