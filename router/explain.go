package router

import (
	"strconv"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// Routes returns every registered handler, by packet type; within a type
// the observers in registration order, then the conditional handlers in
// precedence order, then the fallback.
func (r *Router) Routes() []Route {
	tb := r.snap.Load()
	var out []Route
	for _, tt := range tb.types {
		if tt == nil {
			continue
		}
		for _, g := range tt.routable() {
			out = append(out, g.Route())
		}
	}
	return out
}

// routable returns tt's live registrations in the order of Routes.
func (tt *typeTable) routable() []*Registration {
	var out []*Registration
	for _, g := range tt.observers {
		if !g.done.Load() {
			out = append(out, g)
		}
	}
	for _, g := range tt.conditionals() {
		if !g.done.Load() {
			out = append(out, g)
		}
	}
	if g := tt.fallback; g != nil && !g.done.Load() {
		out = append(out, g)
	}
	return out
}

// An Explanation tells how the router would dispatch an event; see
// [Router.Explain].
type Explanation struct {
	Type  message.Type
	ID    uint16
	Topic string // the event's topic, if HasTopic
	// HasTopic reports whether the event has a topic (see [Event.Topic]).
	HasTopic bool

	// Observers would see the event, in this order.
	Observers []Route
	// Handler would run: a conditional handler or the fallback. It is nil
	// when the event would be unhandled.
	Handler *Route
	// Rejected are the conditional handlers ahead of Handler in
	// precedence that the indexes proposed but whose condition does not
	// hold for the event, in precedence order.
	Rejected []Route
	// Skipped counts the conditional handlers ahead of Handler that the
	// topic or packet identifier index ruled out without evaluating their
	// conditions.
	Skipped int
}

// Explain reports which handler an event would be dispatched to and why,
// without running anything or claiming one-shots. It evaluates the
// conditions of the candidates (a Func condition is called), and costs
// far more than Dispatch; it is meant for debugging and tests.
func (r *Router) Explain(e *Event) Explanation {
	x := Explanation{Type: e.Type, ID: e.ID}
	x.Topic, x.HasTopic = e.Topic()
	tb := r.snap.Load()
	var tt *typeTable
	if int(e.Type) < len(tb.types) {
		tt = tb.types[e.Type]
	}
	if tt == nil {
		return x
	}
	for _, g := range tt.observers {
		if !g.done.Load() {
			x.Observers = append(x.Observers, g.Route())
		}
	}
	// The candidates the indexes would propose.
	var collected []*Registration
	p := pick{e: e, seed: tt.seed, rank: lowest, collected: &collected}
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if tt.topics != nil && x.HasTopic {
		tt.topics.walk(&p, x.Topic)
	}
	p.offer(tt.scan)
	seen := make(map[*Registration]bool, len(collected))
	for _, g := range collected {
		seen[g] = true
	}
	for _, g := range tt.conditionals() {
		switch {
		case g.done.Load():
			continue
		case !seen[g]:
			x.Skipped++
		case g.rest == nil || g.rest.match(e):
			route := g.Route()
			x.Handler = &route
			return x
		default:
			x.Rejected = append(x.Rejected, g.Route())
		}
	}
	if g := tt.fallback; g != nil && !g.done.Load() {
		route := g.Route()
		x.Handler = &route
	}
	return x
}

// String renders the explanation as a short report, one fact per line.
func (x Explanation) String() string {
	var b strings.Builder
	b.WriteString(x.Type.String())
	if x.ID != 0 {
		b.WriteString(" id ")
		b.WriteString(strconv.Itoa(int(x.ID)))
	}
	if x.HasTopic {
		b.WriteString(" topic ")
		b.WriteString(strconv.Quote(x.Topic))
	}
	b.WriteByte('\n')
	for _, o := range x.Observers {
		b.WriteString("  observed by the observer at ")
		b.WriteString(o.Site())
		b.WriteByte('\n')
	}
	for _, c := range x.Rejected {
		b.WriteString("  passed over: ")
		b.WriteString(c.Priority.String())
		b.WriteByte(' ')
		b.WriteString(c.Condition)
		b.WriteString(" at ")
		b.WriteString(c.Site())
		b.WriteString(" (condition does not hold)\n")
	}
	if x.Skipped > 0 {
		b.WriteString("  ruled out by the index: ")
		b.WriteString(strconv.Itoa(x.Skipped))
		b.WriteString(" conditional handler")
		if x.Skipped > 1 {
			b.WriteByte('s')
		}
		b.WriteString(" ahead (topic or packet id does not match)\n")
	}
	switch h := x.Handler; {
	case h == nil:
		b.WriteString("  unhandled: no condition holds and there is no fallback\n")
	case h.Kind == Fallback:
		b.WriteString("  runs: the fallback at ")
		b.WriteString(h.Site())
		if h.Once {
			b.WriteString(" (once)")
		}
		b.WriteString(", no condition holds\n")
	default:
		b.WriteString("  runs: ")
		b.WriteString(h.Priority.String())
		b.WriteByte(' ')
		b.WriteString(h.Condition)
		b.WriteString(" at ")
		b.WriteString(h.Site())
		if h.Once {
			b.WriteString(" (once)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
