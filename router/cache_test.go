package router

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// warm dispatches e until the topic cache of its type holds its topic.
func warm(t *testing.T, r *Router, e *Event) *cacheEntry {
	t.Helper()
	for range r.cacheAfter + 2 {
		r.Dispatch(e)
	}
	ti := r.snap.Load().types[e.Type].topics
	c := ti.cache.Load()
	require.NotNil(t, c, "no cache after %d dispatches", r.cacheAfter+2)
	for i := range c.entries {
		if en := c.entries[i].Load(); en != nil && en.topic == e.Message.Topic {
			return en
		}
	}
	require.Failf(t, "not cached", "%s not cached", e.Message.Topic)
	return nil
}

func TestCacheEntries(t *testing.T) {
	never := Func(func(*Event) bool { return false })
	tests := []struct {
		name     string
		conds    []Condition // registered in order at decreasing priority
		topic    string
		regs     int // length of the entry
		complete bool
	}{
		{"unconditional first", []Condition{Topic("a/b"), Topic("a/+"), Topic("#")}, "a/b", 1, false},
		{"conditions before", []Condition{And(Topic("a/b"), never), And(Topic("#"), QoS(2)), Topic("a/+"), Topic("#")}, "a/b", 3, false},
		{"no unconditional", []Condition{And(Topic("a/b"), never), And(Topic("#"), Dup())}, "a/b", 2, true},
		{"last is unconditional", []Condition{And(Topic("a/b"), never), Topic("#")}, "a/b", 2, true},
		{"nothing matches", []Condition{Topic("x")}, "a/b", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for i, c := range tt.conds {
				_, err := r.On(message.PUBLISH, func(*Event) {}, c, priority.Level(100-i))
				require.NoError(t, err)
			}
			en := warm(t, r, pub(tt.topic))
			assert.Len(t, en.regs, tt.regs, "entry registrations")
			assert.Equal(t, tt.complete, en.complete, "entry complete")
		})
	}
}

// TestCacheDoneCandidate covers the moment between a registration being
// claimed or removed and its removal from the trie: a cached entry may
// still list it, and the dispatch must look past it.
func TestCacheDoneCandidate(t *testing.T) {
	var ran string
	r := New()
	first, _ := r.On(message.PUBLISH, func(*Event) { ran = "first" }, Topic("a"), priority.High)
	r.On(message.PUBLISH, func(*Event) { ran = "second" }, Topic("#"), priority.Normal)
	en := warm(t, r, pub("a"))
	require.Len(t, en.regs, 1, "entry registrations")
	require.False(t, en.complete, "entry complete")
	first.done.Store(true) // removed, but still in the table
	r.Dispatch(pub("a"))
	assert.Equal(t, "second", ran)
}

func TestCacheFollowsRegistrations(t *testing.T) {
	var ran string
	r := New()
	r.On(message.PUBLISH, func(*Event) { ran = "old" }, Topic("a/+"), priority.Normal)
	warm(t, r, pub("a/b"))
	g, _ := r.On(message.PUBLISH, func(*Event) { ran = "new" }, Topic("a/b"), priority.High)
	r.Dispatch(pub("a/b"))
	assert.Equal(t, "new", ran, "after On")
	warm(t, r, pub("a/b"))
	g.Remove()
	r.Dispatch(pub("a/b"))
	assert.Equal(t, "old", ran, "after Remove")
	// Changes to handlers of another kind keep the cache.
	before := r.snap.Load().types[message.PUBLISH].topics
	r.OnID(message.PUBLISH, 9, func(*Event) {})
	r.On(message.PUBLISH, func(*Event) {}, Dup(), priority.Low)
	assert.Same(t, before, r.snap.Load().types[message.PUBLISH].topics, "registering ID and Dup handlers replaced the topic index")
}

// TestCacheDistinctTopics checks that a stream of topics never seen
// twice does not allocate: topics enter the cache on their second miss.
func TestCacheDistinctTopics(t *testing.T) {
	r := New()
	for i := range 100 {
		r.On(message.PUBLISH, func(*Event) {}, Topic(fmt.Sprintf("site/%d/#", i)), priority.Normal)
	}
	events := make([]*Event, 20_000)
	for i := range events {
		events[i] = pub(fmt.Sprintf("site/%d/device/%d", i%100, i))
	}
	for _, e := range events[:cacheAfter+1] {
		r.Dispatch(e)
	}
	require.NotNil(t, r.snap.Load().types[message.PUBLISH].topics.cache.Load(), "no cache")
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for _, e := range events[cacheAfter+1:] {
		r.Dispatch(e)
	}
	runtime.ReadMemStats(&m1)
	assert.LessOrEqual(t, m1.Mallocs-m0.Mallocs, uint64(10), "allocations for %d distinct topics, want none", len(events)-cacheAfter-1)
}
