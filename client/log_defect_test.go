package client_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// countHandler counts log records at WARN and above.
type countHandler struct{ warns atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.warns.Add(1)
	}
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

// Dropped QoS 0 messages are logged in aggregate, not one line each.
func TestDefectDropLogFlood(t *testing.T) {
	h := &countHandler{}
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithManualLoop(), client.WithMaxPending(1), client.WithLogger(slog.New(h)))
	const n = 300
	for range n {
		pc.Send(&message.Publish{Message: message.Message{Topic: "flood", Payload: []byte("x")}})
	}
	deadline := time.Now().Add(waitLimit)
	for c.Stats().Dropped < n-1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, uint64(n-1), c.Stats().Dropped)
	assert.LessOrEqual(t, h.warns.Load(), int64(1+int(waitLimit/time.Second)), "log lines for %d drops", n-1)
}
