package client

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSessionLogLiveness: while a connection with a liveness period is
// up, the writer records the session again, at most every half period;
// the end record stops that; nothing is recorded after stop.
func TestSessionLogLiveness(t *testing.T) {
	store := NewMemoryStore()
	c := &Client{log: slog.New(slog.DiscardHandler)}
	c.sessLog.st = store
	load := func() Session {
		snap, err := store.Load()
		require.NoError(t, err)
		return snap.Session
	}
	start := time.Now().Round(0)
	c.recordSession(Session{Interval: 1, At: start, Period: 100 * time.Millisecond})
	require.Eventually(t, func() bool { s := load(); return s.At.After(start) && !s.Ended }, 10*time.Second, 5*time.Millisecond,
		"a liveness record follows the connect record")
	first := load().At
	require.Eventually(t, func() bool { return load().At.After(first) }, 10*time.Second, 5*time.Millisecond,
		"and another")
	assert.Equal(t, uint32(1), load().Interval)
	assert.Equal(t, 100*time.Millisecond, load().Period)

	end := time.Now().Round(0)
	c.recordSession(Session{Interval: 1, At: end, Ended: true})
	assert.Equal(t, Session{Interval: 1, At: end, Ended: true}, load(), "written before recordSession returns")
	time.Sleep(200 * time.Millisecond) // two periods: no liveness record after the end
	assert.Equal(t, Session{Interval: 1, At: end, Ended: true}, load())

	last := Session{Interval: 7, At: time.Now().Round(0), Ended: true}
	c.recordSession(last)
	c.stopSessionLog()
	c.recordSession(Session{Interval: 9, At: time.Now()})
	assert.Equal(t, last, load(), "nothing is recorded after stop")
}
