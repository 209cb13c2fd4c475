package e2e

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
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

// processSwitches returns how often the process gave up the CPU before
// its time slice ended (voluntary context switches: a thread parking in
// a futex or in epoll), summed over its threads.
func processSwitches() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Nvcsw
}

// processIOCalls returns how many read and write system calls the
// process has made (syscr and syscw of /proc/self/io; 0 where the file
// is missing). The broker runs as another process, so these are the
// clients' calls.
func processIOCalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	var n int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if !ok || !(bytes.Equal(k, []byte("syscr")) || bytes.Equal(k, []byte("syscw"))) {
			continue
		}
		x, err := strconv.ParseInt(string(v), 10, 64)
		if err == nil {
			n += x
		}
	}
	return n
}
