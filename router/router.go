package router

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// A Router holds the handlers of inbound packets and chooses, for each
// event, the one that runs. The zero Router is not usable; create one with
// [New]. All methods are safe for concurrent use.
type Router struct {
	mu   sync.Mutex // serializes writers; dispatch never takes it
	seq  uint64     // last registration sequence number, under mu
	snap atomic.Pointer[table]
	seed uint64 // of the topic levels' hash, see levelHash
	// hseed is the seed of the hash that spreads the keys of the
	// subscription identifier and correlation indexes over their shards.
	hseed maphash.Seed
	// cacheAfter is the number of dispatches after which a topic trie
	// gets its cache, 0 for none; see topicIndex.
	cacheAfter uint32

	// unhandled counts the events no handler took, by packet type; the
	// last counter is for types outside 0 to 15.
	unhandled [17]atomic.Uint64
	panics    atomic.Uint64
}

// An Option configures a Router.
type Option func(*Router)

// WithUnhandled sets the unhandled hook; see [Router.OnUnhandled].
func WithUnhandled(h Handler) Option {
	return func(r *Router) { r.OnUnhandled(h) }
}

// WithPanicHandler sets the panic hook; see [Router.OnPanic].
func WithPanicHandler(f func(e *Event, v any)) Option {
	return func(r *Router) { r.OnPanic(f) }
}

// WithoutTopicCache turns off the cache that remembers, for topics seen
// repeatedly, which Topic-indexed handlers match them (see the package
// documentation). Every dispatch then walks the topic trie. It saves the
// cache's memory (about 72 KiB per packet type with Topic conditions)
// for applications whose topics rarely repeat.
func WithoutTopicCache() Option {
	return func(r *Router) { r.cacheAfter = 0 }
}

// New returns a router with no handlers.
func New(opts ...Option) *Router {
	r := &Router{seed: rand.Uint64(), hseed: maphash.MakeSeed(), cacheAfter: cacheAfter}
	r.snap.Store(&table{})
	for _, o := range opts {
		o(r)
	}
	return r
}

// On registers h for events of packet type t.
//
// With a nil cond, h becomes the type's fallback, replacing the previous
// one (whose Registration then reports false from Remove); p is then
// irrelevant. Otherwise h is a conditional handler at priority p; see the
// package documentation for the precedence rules.
//
// On returns an error, and registers nothing, when h is nil, when t is
// not a packet type (1 to 15), or when cond is malformed (an invalid topic
// filter or glob pattern, ID(0), a nil operand).
func (r *Router) On(t message.Type, h Handler, cond Condition, p priority.Level) (*Registration, error) {
	return r.register(t, h, cond, p, false, 0)
}

// Once is [Router.On] for a one-shot handler: it runs at most once, even
// when events are dispatched concurrently, and is removed when it runs.
// A one-shot with a nil condition is a fallback that runs once.
func (r *Router) Once(t message.Type, h Handler, cond Condition, p priority.Level) (*Registration, error) {
	return r.register(t, h, cond, p, true, 0)
}

// OnID registers a one-shot handler for the next event of type t carrying
// packet identifier id, at the highest precedence ([priority.Max]). It is
// the handler for one acknowledgement flow: because it is removed when it
// fires, it never runs for a later packet that reuses the identifier.
// Register it before sending the packet the acknowledgement answers, so
// the acknowledgement cannot arrive first.
func (r *Router) OnID(t message.Type, id uint16, h Handler) (*Registration, error) {
	return r.register(t, h, ID(id), priority.Max, true, 0)
}

// Observe registers h to see every event of type t, before the handler
// that the event is dispatched to, whether or not there is one. Observers
// run in registration order and take no part in choosing the handler.
func (r *Router) Observe(t message.Type, h Handler) (*Registration, error) {
	return r.register(t, h, nil, 0, false, Observer)
}

func (r *Router) register(t message.Type, h Handler, cond Condition, p priority.Level, once bool, kind Kind) (*Registration, error) {
	if h == nil {
		return nil, ErrNilHandler
	}
	if t == 0 || int(t) >= len(table{}.types) {
		return nil, fmt.Errorf("%w: %v", ErrInvalidType, t)
	}
	if cond != nil {
		if err := cond.check(); err != nil {
			return nil, err
		}
	}
	g := &Registration{router: r, typ: t, h: h, cond: cond, level: p, once: once, kind: kind}
	switch {
	case kind == Observer:
		g.cond, g.level = nil, 0
	case cond == nil:
		g.kind, g.level = Fallback, 0
	default:
		g.kind = Conditional
		plan(g)
	}
	callers(&g.site)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	g.seq = r.seq
	var replaced *Registration
	r.update(t, func(tt *typeTable) { replaced = tt.add(g) })
	if replaced != nil {
		replaced.done.Store(true)
	}
	return g, nil
}

// drop removes g from the current table. g.done is already set.
func (r *Router) drop(g *Registration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.update(g.typ, func(tt *typeTable) { tt.del(g) })
}

// update publishes a new table in which the type table of t is f's
// modification of a private copy of the current one. r.mu must be held.
func (r *Router) update(t message.Type, f func(tt *typeTable)) {
	old := r.snap.Load()
	next := *old
	tt := typeTable{seed: r.seed, hseed: r.hseed, cacheAt: r.cacheAfter}
	if cur := old.types[t]; cur != nil {
		tt = *cur
	}
	f(&tt)
	if tt.empty() {
		next.types[t] = nil
	} else {
		next.types[t] = &tt
	}
	r.snap.Store(&next)
}

// OnUnhandled sets the hook that receives the events no handler took (nil
// removes it). It runs like a handler, on the dispatching goroutine,
// after the observers; a panic in it is recovered and reported like one.
func (r *Router) OnUnhandled(h Handler) {
	r.setHooks(func(t *table) { t.unhandled = h })
}

// OnPanic sets the hook that receives the event and the recovered value
// when a handler, an observer or the unhandled hook panics (nil removes
// it). It runs on the dispatching goroutine; a panic in it is recovered
// and dropped.
func (r *Router) OnPanic(f func(e *Event, v any)) {
	r.setHooks(func(t *table) { t.panicked = f })
}

func (r *Router) setHooks(f func(t *table)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := *r.snap.Load()
	f(&next)
	r.snap.Store(&next)
}

// Stats are a router's counters since it was created.
type Stats struct {
	// Unhandled counts the events no handler took.
	Unhandled uint64
	// UnhandledByType counts them by packet type:
	// UnhandledByType[message.PUBACK] is the number of unhandled PUBACK
	// events. An event whose Type is not below 16 counts in Unhandled
	// only.
	UnhandledByType [16]uint64
	// Panics counts the panics recovered from handlers and hooks.
	Panics uint64
}

// Stats returns the router's counters. Each is read atomically, but not
// all at one instant: with dispatches in progress, Unhandled may differ
// from the sum of UnhandledByType by the events counted in between.
func (r *Router) Stats() Stats {
	st := Stats{Panics: r.panics.Load()}
	for t := range r.unhandled {
		n := r.unhandled[t].Load()
		st.Unhandled += n
		if t < len(st.UnhandledByType) {
			st.UnhandledByType[t] = n
		}
	}
	return st
}

// Unhandled returns the number of events no handler took, of every type;
// [Router.Stats] has them by type.
func (r *Router) Unhandled() uint64 {
	var n uint64
	for t := range r.unhandled {
		n += r.unhandled[t].Load()
	}
	return n
}
