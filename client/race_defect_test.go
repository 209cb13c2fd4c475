package client_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// Subscribe whose context ends before SUBACK comes returns at once; the
// SUBACK arriving later must not race with it (run with -race).
func TestDefectSubscribeRacesSuback(t *testing.T) {
	c, pc := connectScripted(t)
	subacks := make(chan struct{}, 1)
	_, err := c.Observe(message.SUBACK, func(*router.Event) { subacks <- struct{}{} })
	require.NoError(t, err)

	for range 30 {
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			codes []message.SubackCode
			err   error
		}
		done := make(chan result, 1)
		go func() {
			codes, err := c.Subscribe(ctx, message.Subscription{Filter: "a", QoS: 1})
			done <- result{codes, err}
		}()
		sub := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.Send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{1}})
		cancel()
		r := <-done
		if r.err == nil {
			assert.Equal(t, []message.SubackCode{1}, r.codes)
		} else {
			require.ErrorIs(t, r.err, context.Canceled)
		}
		select {
		case <-subacks:
		case <-time.After(waitLimit):
			require.FailNow(t, "no SUBACK event")
		}
	}
	// The subscription was granted in the end.
	assert.Equal(t, []message.Subscription{{Filter: "a", QoS: 1}}, c.Subscriptions())
}

// Disconnect while another goroutine publishes at QoS 0: the packets
// that will never be written fail with an error read without a race
// (run with -race).
func TestDefectDisconnectRacesQoS0Publisher(t *testing.T) {
	for range 5 {
		c, pc := connectScripted(t)
		var wg sync.WaitGroup
		var queued, failed atomic.Int32
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := c.Publish(context.Background(), "t", []byte("x"), message.QoS0)
				if err != nil {
					failed.Add(1) // refused once the connection is gone
					continue
				}
				queued.Add(1)
				// Bounded, so a token nobody completes fails the
				// test instead of hanging it.
				wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				werr := tok.Wait(wctx)
				cancel()
				if errors.Is(werr, context.DeadlineExceeded) {
					assert.Fail(t, "a QoS 0 token queued as the connection ended never completed")
					return
				}
				if werr != nil {
					failed.Add(1)
				}
			}
		}()
		go func() {
			for {
				if _, err := pc.ReadWithin(time.Second); err != nil {
					return
				}
			}
		}()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.Disconnect(ctx)
		cancel()
		// Publishing went on across the Disconnect: the race was run.
		require.Eventually(t, func() bool { return failed.Load() > 0 }, waitLimit, time.Millisecond,
			"no publish was refused or failed after Disconnect")
		close(stop)
		wg.Wait()
		assert.Positive(t, queued.Load(), "no publish was queued before Disconnect")
		assert.False(t, c.IsConnected())
		require.NoError(t, c.Close())
	}
}
