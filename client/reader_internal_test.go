package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// deadlineConn is a connection whose reads wait for the read deadline
// and then fail with err, as a transport reports it.
type deadlineConn struct {
	net.Conn
	dl  time.Time
	err error
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error { c.dl = t; return nil }

func (c *deadlineConn) Read([]byte) (int, error) {
	if c.dl.IsZero() {
		return 1, nil // the first byte of a packet
	}
	time.Sleep(time.Until(c.dl))
	return 0, c.err
}

// TestPacketClockExpired: the packet deadline is recognised whatever
// error the transport reports it with (TCP and TLS: os.ErrDeadlineExceeded;
// WebSocket: a context error), and only once a packet has begun.
func TestPacketClockExpired(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded),
		fmt.Errorf("failed to read: %w", context.DeadlineExceeded),
		errors.New("failed to get reader: context canceled"),
	} {
		nc := &deadlineConn{err: err}
		pc := &packetClock{nc: nc, limit: 10 * time.Millisecond}
		pc.between(false)
		assert.False(t, pc.expired(err), "no packet begun: %v", err)
		b := make([]byte, 8)
		n, rerr := pc.Read(b) // the first byte: the clock starts
		assert.Equal(t, 1, n)
		assert.NoError(t, rerr)
		_, rerr = pc.Read(b)
		assert.ErrorIs(t, rerr, err)
		assert.True(t, pc.expired(rerr), "%v", err)
	}
}
