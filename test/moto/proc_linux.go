package moto

import (
	"os/exec"
	"syscall"
)

// moto_server is often a pyenv shim: run it in its own process group and
// stop the whole group, so no Python server outlives the test. Pdeathsig
// also stops it when the test binary dies without cleanup (a -timeout
// panic, a kill).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
