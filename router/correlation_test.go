package router

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func response(data []byte) *Event {
	return pub5("replies/me", &message.Properties{CorrelationData: data})
}

func TestOnCorrelation(t *testing.T) {
	r := New()
	var fallback, fired int
	r.On(message.PUBLISH, func(*Event) { fallback++ }, nil, 0)
	g, err := r.OnCorrelation([]byte("req-1"), func(e *Event) { fired++ })
	require.NoError(t, err)
	route := g.Route()
	assert.Equal(t, "correlation", route.Index)
	assert.True(t, route.Once)
	assert.Equal(t, priority.Max, route.Priority)
	assert.Equal(t, `correlation("req-1")`, route.Condition)

	r.Dispatch(response([]byte("req-2")))
	r.Dispatch(pub("replies/me")) // 3.1.1: no properties
	assert.Equal(t, 0, fired)
	r.Dispatch(response([]byte("req-1")))
	r.Dispatch(response([]byte("req-1"))) // a second response: the one-shot is gone
	assert.Equal(t, 1, fired)
	assert.Equal(t, 3, fallback)
	assert.False(t, g.Remove(), "Remove after firing")
	assert.Nil(t, r.snap.Load().types[message.PUBLISH].corrs, "index after the one-shot fired")

	// Removed before the response (a request timed out): never fires.
	g, err = r.OnCorrelation([]byte("req-3"), func(e *Event) { fired++ })
	require.NoError(t, err)
	assert.True(t, g.Remove())
	r.Dispatch(response([]byte("req-3")))
	assert.Equal(t, 1, fired)

	x := r.Explain(response([]byte("req-9")))
	require.NotNil(t, x.Handler)
	assert.Equal(t, Fallback, x.Handler.Kind)
}

// TestOnCorrelationConcurrent registers 1000 correlation one-shots and
// dispatches their responses from many goroutines at once, each response
// twice and interleaved with registrations: each one-shot fires exactly
// once, for its own response.
func TestOnCorrelationConcurrent(t *testing.T) {
	const n = 1000
	r := New()
	var strays atomic.Int64
	r.On(message.PUBLISH, func(*Event) { strays.Add(1) }, nil, 0)
	var fired [n]atomic.Int32
	var wrong atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := fmt.Appendf(nil, "req-%d", i)
			_, err := r.OnCorrelation(data, func(e *Event) {
				if string(e.Message.Properties.CorrelationData) != string(data) {
					wrong.Add(1)
				}
				fired[i].Add(1)
			})
			assert.NoError(t, err)
			r.Dispatch(response(data))
			r.Dispatch(response(data))
		}()
	}
	wg.Wait()
	for i := range n {
		assert.Equal(t, int32(1), fired[i].Load(), "one-shot %d", i)
	}
	assert.Zero(t, wrong.Load())
	assert.Equal(t, int64(n), strays.Load(), "second responses go to the fallback")
	assert.Nil(t, r.snap.Load().types[message.PUBLISH].corrs)
}

func TestExpectReply(t *testing.T) {
	ctx := context.Background()
	r := New()
	w, err := r.ExpectReply([]byte("r1"))
	require.NoError(t, err)
	e := response([]byte("r1"))
	e.Message.Payload = []byte("42")
	r.Dispatch(e)
	e.Message.Topic, e.Message.Payload = "reused", nil // the client reuses its events
	m, err := w.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "replies/me", m.Topic)
	assert.Equal(t, "42", string(m.Payload))
	assert.Equal(t, "r1", string(m.Properties.CorrelationData))
	assert.False(t, w.Cancel(), "Cancel after the response")

	// Timed out: the registration is removed, a late response is not
	// taken, and Wait keeps returning the context's error.
	w, err = r.ExpectReply([]byte("r2"))
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err = w.Wait(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, r.Dispatch(response([]byte("r2"))), "a late response is unhandled")
	_, err = w.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, w.Cancel())

	// Canceled.
	w, err = r.ExpectReply([]byte("r3"))
	require.NoError(t, err)
	assert.True(t, w.Cancel())
	_, err = w.Wait(ctx)
	assert.ErrorIs(t, err, ErrReplyCanceled)
	assert.False(t, r.Dispatch(response([]byte("r3"))))

	// Delivered on PUBREL: the PUBLISH one-shot goes too.
	w, err = r.ExpectReply([]byte("r4"))
	require.NoError(t, err)
	rel := response([]byte("r4"))
	rel.Type, rel.ID = message.PUBREL, 9
	assert.True(t, r.Dispatch(rel))
	m, err = w.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "r4", string(m.Properties.CorrelationData))
	assert.False(t, r.Dispatch(response([]byte("r4"))), "the PUBLISH one-shot is removed")
	assert.Nil(t, r.snap.Load().types[message.PUBREL])

	_, err = r.ExpectReply(nil)
	assert.ErrorIs(t, err, ErrInvalidCondition)
}

// TestExpectReplyConcurrent runs 1000 requests at once, each waiting for
// its reply, some giving up: every waiter gets its own reply or its
// context's error, a reply given up goes to the fallback (or, dispatched
// in the instant its waiter gives up, nowhere), and no reply reaches
// another waiter.
func TestExpectReplyConcurrent(t *testing.T) {
	const n = 1000
	r := New()
	var late atomic.Int64
	r.On(message.PUBLISH, func(*Event) { late.Add(1) }, nil, 0)
	var wg, dispatched sync.WaitGroup
	var answered, gaveUp atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := fmt.Appendf(nil, "%08d", i)
			w, err := r.ExpectReply(data)
			if !assert.NoError(t, err) {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%10 == 0 {
				cancel() // gives up at once; the reply may still win
			}
			dispatched.Add(1)
			go func() {
				defer dispatched.Done()
				r.Dispatch(response(data))
			}()
			m, err := w.Wait(ctx)
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				gaveUp.Add(1)
				return
			}
			assert.Equal(t, string(data), string(m.Properties.CorrelationData))
			answered.Add(1)
		}()
	}
	wg.Wait()
	dispatched.Wait()
	assert.Equal(t, int64(n), answered.Load()+gaveUp.Load())
	assert.LessOrEqual(t, late.Load(), gaveUp.Load(), "only replies given up go to the fallback")
	assert.GreaterOrEqual(t, answered.Load(), int64(n*9/10))
	assert.Nil(t, r.snap.Load().types[message.PUBLISH].corrs, "PUBLISH index after all replies")
	assert.Nil(t, r.snap.Load().types[message.PUBREL], "PUBREL table after all replies")
}
