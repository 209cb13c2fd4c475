//go:build !linux

package broker

import "syscall"

// sysProcAttr returns nil: only Linux can tie the broker's life to ours.
func sysProcAttr() *syscall.SysProcAttr { return nil }
