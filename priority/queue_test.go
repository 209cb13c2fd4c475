package priority

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type push struct {
	c Class
	l Level
	v string
}

func TestSendQueueOrder(t *testing.T) {
	tests := []struct {
		name   string
		pushes []push
		want   []string
	}{
		{"empty", nil, nil},
		{"control is FIFO", []push{{Control, Normal, "a"}, {Control, Normal, "b"}, {Control, Normal, "c"}}, []string{"a", "b", "c"}},
		{"control ignores level", []push{{Control, Low, "a"}, {Control, Critical, "b"}, {Control, Normal, "c"}}, []string{"a", "b", "c"}},
		{"control before publish", []push{{Publish, Critical, "p"}, {Control, Low, "ack"}}, []string{"ack", "p"}},
		{"publish by level", []push{{Publish, Low, "low"}, {Publish, High, "high"}, {Publish, Normal, "normal"}}, []string{"high", "normal", "low"}},
		{"publish FIFO within level", []push{{Publish, Normal, "1"}, {Publish, High, "h"}, {Publish, Normal, "2"}, {Publish, Normal, "3"}},
			[]string{"h", "1", "2", "3"}},
		{"mixed", []push{
			{Publish, Normal, "p1"}, {Control, Normal, "puback1"}, {Publish, High, "p2"}, {Control, Normal, "pingreq"},
			{Publish, Normal, "p3"}, {Publish, Max, "p4"}, {Control, Normal, "pubrel"}, {Publish, Min, "p5"},
		}, []string{"puback1", "pingreq", "pubrel", "p4", "p2", "p1", "p3", "p5"}},
		{"ring growth keeps order", func() []push {
			var ps []push
			for i := range 40 {
				ps = append(ps, push{Publish, Normal, string(rune('A' + i))})
			}
			return ps
		}(), func() []string {
			var s []string
			for i := range 40 {
				s = append(s, string(rune('A'+i)))
			}
			return s
		}()},
	}
	pops := []struct {
		name string
		pop  func(q *SendQueue[string]) []string
	}{
		{"TryPop", func(q *SendQueue[string]) []string {
			var got []string
			for v, ok := q.tryPop(); ok; v, ok = q.tryPop() {
				got = append(got, v)
			}
			return got
		}},
		{"Pop", func(q *SendQueue[string]) []string {
			var got []string
			for q.size() > 0 {
				v, err := q.pop(context.Background())
				if err != nil {
					panic(err)
				}
				got = append(got, v)
			}
			return got
		}},
		{"TryPopBatch", func(q *SendQueue[string]) []string { return q.TryPopBatch(nil, 0) }},
		{"TryPopBatch by 3", func(q *SendQueue[string]) []string {
			var got []string
			for q.size() > 0 {
				got = q.TryPopBatch(got, 3)
			}
			return got
		}},
		{"PopBatch by 2", func(q *SendQueue[string]) []string {
			var got []string
			for q.size() > 0 {
				var err error
				if got, err = q.PopBatch(context.Background(), got, 2); err != nil {
					panic(err)
				}
			}
			return got
		}},
	}
	for _, tt := range tests {
		for _, p := range pops {
			t.Run(tt.name+"/"+p.name, func(t *testing.T) {
				q := NewSendQueue[string]()
				for _, ps := range tt.pushes {
					require.NoError(t, q.Push(ps.c, ps.l, ps.v), "Push")
				}
				assert.Equal(t, len(tt.pushes), q.size(), "Len()")
				assert.Equal(t, tt.want, p.pop(q))
				assert.Zero(t, q.size(), "Len() after draining")
			})
		}
	}
}

func TestSendQueueClose(t *testing.T) {
	tests := []struct {
		name   string
		before []string // pushed before Close
		want   []string // popped after Close
	}{
		{"empty", nil, nil},
		{"pending values still come out", []string{"a", "b"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewSendQueue[string]()
			for _, v := range tt.before {
				q.Push(Publish, Normal, v)
			}
			q.Close()
			q.Close() // idempotent
			assert.ErrorIs(t, q.Push(Control, Normal, "late"), ErrClosed, "Push after Close")
			var got []string
			for {
				v, err := q.pop(context.Background())
				if errors.Is(err, ErrClosed) {
					break
				}
				require.NoError(t, err, "Pop")
				got = append(got, v)
			}
			assert.Equal(t, tt.want, got)
			_, err := q.PopBatch(context.Background(), nil, 0)
			assert.ErrorIs(t, err, ErrClosed, "PopBatch")
		})
	}
}

func TestSendQueueWakeups(t *testing.T) {
	tests := []struct {
		name    string
		wake    func(q *SendQueue[int], cancel context.CancelFunc)
		wantErr error
		want    int
	}{
		{"push", func(q *SendQueue[int], _ context.CancelFunc) { q.Push(Publish, Normal, 7) }, nil, 7},
		{"close", func(q *SendQueue[int], _ context.CancelFunc) { q.Close() }, ErrClosed, 0},
		{"context", func(_ *SendQueue[int], cancel context.CancelFunc) { cancel() }, context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewSendQueue[int]()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type result struct {
				v   int
				err error
			}
			const waiters = 3
			res := make(chan result, waiters)
			for range waiters {
				go func() {
					v, err := q.pop(ctx)
					res <- result{v, err}
				}()
			}
			// Let the waiters block; correctness does not depend on it.
			time.Sleep(10 * time.Millisecond)
			tt.wake(q, cancel)
			got := <-res
			if tt.wantErr == nil {
				assert.NoError(t, got.err)
			} else {
				assert.ErrorIs(t, got.err, tt.wantErr)
			}
			assert.Equal(t, tt.want, got.v)
			// Release the others.
			q.Close()
			for range waiters - 1 {
				r := <-res
				assert.Error(t, r.err, "second waiter got %v, want an error", r.v)
			}
		})
	}
}

// TestSendQueueConcurrent has producers push numbered values at several
// levels while one consumer pops in batches: nothing is lost or
// duplicated, and each producer's values of one class and level come out
// in the order it pushed them.
func TestSendQueueConcurrent(t *testing.T) {
	type item struct {
		producer, seq int
		c             Class
		l             Level
	}
	const producers, perProducer = 6, 5000
	levels := []Level{Low, Normal, High}
	q := NewSendQueue[item]()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				it := item{producer: p, seq: i, c: Publish, l: levels[i%len(levels)]}
				if i%4 == 0 {
					it.c = Control
				}
				if err := q.Push(it.c, it.l, it); err != nil {
					assert.NoError(t, err, "Push")
					return
				}
			}
		})
	}
	type key struct {
		producer int
		c        Class
		l        Level
	}
	last := map[key]int{}
	seen := make([][]bool, producers)
	for p := range seen {
		seen[p] = make([]bool, perProducer)
	}
	got := 0
	buf := make([]item, 0, 64)
	for got < producers*perProducer {
		var err error
		buf, err = q.PopBatch(context.Background(), buf[:0], 64)
		require.NoError(t, err, "PopBatch")
		for i, it := range buf {
			require.False(t, seen[it.producer][it.seq], "value %d/%d popped twice", it.producer, it.seq)
			seen[it.producer][it.seq] = true
			k := key{it.producer, it.c, it.l}
			if it.c == Control {
				k.l = 0
			}
			if prev, ok := last[k]; ok {
				require.LessOrEqual(t, prev, it.seq, "producer %d %v level %v: %d after %d", it.producer, it.c, it.l, it.seq, prev)
			}
			last[k] = it.seq
			// Within one batch the order is the sending order.
			if i > 0 {
				prev := buf[i-1]
				require.False(t, prev.c == Publish && it.c == Control, "control value after a publish in one batch")
				if prev.c == Publish && it.c == Publish {
					require.GreaterOrEqual(t, prev.l, it.l, "level %v after level %v in one batch", it.l, prev.l)
				}
			}
			got++
		}
	}
	wg.Wait()
	assert.Zero(t, q.size(), "Len() after draining")
}

func TestSendQueueAllocs(t *testing.T) {
	q := NewSendQueue[*int]()
	v := new(int)
	ctx := context.Background()
	buf := make([]*int, 0, 8)
	// Warm up the rings.
	for range 64 {
		q.Push(Control, Normal, v)
		q.Push(Publish, High, v)
		q.Push(Publish, Low, v)
	}
	q.TryPopBatch(nil, 0)
	tests := []struct {
		name string
		run  func()
	}{
		{"Push+Pop", func() {
			q.Push(Publish, High, v)
			q.pop(ctx)
		}},
		{"Push+TryPop", func() {
			q.Push(Control, Normal, v)
			q.tryPop()
		}},
		{"Push+PopBatch", func() {
			q.Push(Publish, Low, v)
			q.Push(Control, Normal, v)
			buf, _ = q.PopBatch(ctx, buf[:0], 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Zero(t, testing.AllocsPerRun(1000, tt.run), "allocations per run")
		})
	}
}

func TestSendQueueReleasesValues(t *testing.T) {
	q := NewSendQueue[*int]()
	q.Push(Publish, Normal, new(int))
	q.tryPop()
	for _, lr := range q.levels {
		for i, p := range lr.buf {
			assert.Nil(t, p, "slot %d still holds a popped value", i)
		}
	}
}

func TestClassString(t *testing.T) {
	tests := []struct {
		c    Class
		want string
	}{{Control, "Control"}, {Publish, "Publish"}, {Class(9), "Class(9)"}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.c.String(), "Class(%d).String()", int(tt.c))
	}
}

func TestLevelString(t *testing.T) {
	tests := []struct {
		l    Level
		want string
	}{{Min, "Min"}, {Low, "Low"}, {Normal, "Normal"}, {High, "High"}, {Critical, "Critical"}, {Max, "Max"}, {5, "Level(5)"}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.l.String(), "Level(%d).String()", int(tt.l))
	}
}
