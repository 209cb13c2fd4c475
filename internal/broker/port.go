package broker

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Errors returned by this package.
var (
	// ErrNoMosquitto reports that no mosquitto binary was found.
	ErrNoMosquitto = errors.New("broker: mosquitto binary not found")
	// ErrNoDynsec reports that mosquitto's dynamic-security plugin, needed
	// for [MosquittoOptions.DenyFilters], was not found.
	ErrNoDynsec = errors.New("broker: mosquitto dynamic-security plugin not found")
	// ErrNotReady reports a broker that did not accept connections in time.
	ErrNotReady = errors.New("broker: not accepting connections")
	// ErrClosed reports a call on a broker that was closed for good.
	ErrClosed = errors.New("broker: closed")
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; callers that
// start a server on it should retry with a new port when binding fails.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("broker: free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("broker: free port: %w", err)
	}
	return port, nil
}

// listenRetry binds addr, retrying for up to wait while the address is in
// use: a restarted broker must get its old port back, and the previous
// socket may take a moment to go.
func listenRetry(network, addr string, wait time.Duration) (net.Listener, error) {
	deadline := time.Now().Add(wait)
	for {
		ln, err := net.Listen(network, addr)
		if err == nil || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDial polls addr until it accepts a connection, alive reports false,
// or the deadline passes.
func waitDial(network, addr string, deadline time.Time, alive func() bool) error {
	for {
		c, err := net.DialTimeout(network, addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if !alive() {
			return fmt.Errorf("%w: %s %s: process exited", ErrNotReady, network, addr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s %s: %v", ErrNotReady, network, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
