//go:build !unix

package directusctl

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup has no equivalent here: a cancellation reaches the CLI
// process only.
func ownProcessGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error { return cmd.Process.Signal(sig) }
