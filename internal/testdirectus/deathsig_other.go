//go:build !linux

package testdirectus

import "os/exec"

// setDeathSignal has no equivalent outside Linux: an aborted test run may
// leave its server behind there.
func setDeathSignal(*exec.Cmd) {}
