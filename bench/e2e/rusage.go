package e2e

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time the process has used.
// The broker runs as another process, so this is the clients' CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
