package router

import (
	"fmt"
	"runtime"
	"testing"

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
	if c == nil {
		t.Fatalf("no cache after %d dispatches", r.cacheAfter+2)
	}
	for i := range c.entries {
		if en := c.entries[i].Load(); en != nil && en.topic == e.Message.Topic {
			return en
		}
	}
	t.Fatalf("%s not cached", e.Message.Topic)
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
				if _, err := r.On(message.PUBLISH, func(*Event) {}, c, priority.Level(100-i)); err != nil {
					t.Fatal(err)
				}
			}
			en := warm(t, r, pub(tt.topic))
			if len(en.regs) != tt.regs || en.complete != tt.complete {
				t.Errorf("entry has %d registrations, complete=%v; want %d, %v", len(en.regs), en.complete, tt.regs, tt.complete)
			}
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
	if en := warm(t, r, pub("a")); len(en.regs) != 1 || en.complete {
		t.Fatalf("entry has %d registrations, complete=%v; want 1, false", len(en.regs), en.complete)
	}
	first.done.Store(true) // removed, but still in the table
	r.Dispatch(pub("a"))
	if ran != "second" {
		t.Errorf("ran %q, want second", ran)
	}
}

func TestCacheFollowsRegistrations(t *testing.T) {
	var ran string
	r := New()
	r.On(message.PUBLISH, func(*Event) { ran = "old" }, Topic("a/+"), priority.Normal)
	warm(t, r, pub("a/b"))
	g, _ := r.On(message.PUBLISH, func(*Event) { ran = "new" }, Topic("a/b"), priority.High)
	r.Dispatch(pub("a/b"))
	if ran != "new" {
		t.Errorf("after On: ran %q, want new", ran)
	}
	warm(t, r, pub("a/b"))
	g.Remove()
	r.Dispatch(pub("a/b"))
	if ran != "old" {
		t.Errorf("after Remove: ran %q, want old", ran)
	}
	// Changes to handlers of another kind keep the cache.
	before := r.snap.Load().types[message.PUBLISH].topics
	r.OnID(message.PUBLISH, 9, func(*Event) {})
	r.On(message.PUBLISH, func(*Event) {}, Dup(), priority.Low)
	if after := r.snap.Load().types[message.PUBLISH].topics; after != before {
		t.Errorf("registering ID and Dup handlers replaced the topic index")
	}
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
	if r.snap.Load().types[message.PUBLISH].topics.cache.Load() == nil {
		t.Fatal("no cache")
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for _, e := range events[cacheAfter+1:] {
		r.Dispatch(e)
	}
	runtime.ReadMemStats(&m1)
	if n := m1.Mallocs - m0.Mallocs; n > 10 {
		t.Errorf("%d allocations for %d distinct topics, want none", n, len(events)-cacheAfter-1)
	}
}
