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
	// precedence whose condition was evaluated and does not hold for
	// the event, in precedence order: those the indexes proposed, and
	// those checked one by one.
	Rejected []Route
	// RuledOut are the conditional handlers ahead of Handler in
	// precedence that the topic or packet identifier index ruled out
	// without evaluating their conditions, in precedence order: their
	// topic filter or packet identifier does not match the event's (see
	// [Route.Index]). The handlers behind Handler are listed nowhere.
	RuledOut []Route
	// Skipped is the number of RuledOut.
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
	var proposed []*Registration
	p := pick{e: e, seed: tt.seed, rank: lowest, collected: &proposed}
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if tt.topics != nil && x.HasTopic {
		tt.topics.walk(&p, x.Topic)
	}
	p.offer(tt.scan)
	seen := make(map[*Registration]bool, len(proposed))
	for _, g := range proposed {
		seen[g] = true
	}
	for _, g := range tt.conditionals() {
		switch {
		case g.done.Load():
			continue
		case !seen[g]:
			x.RuledOut = append(x.RuledOut, g.Route())
		case g.rest == nil || g.rest.match(e):
			route := g.Route()
			x.Handler = &route
			x.Skipped = len(x.RuledOut)
			return x
		default:
			x.Rejected = append(x.Rejected, g.Route())
		}
	}
	if g := tt.fallback; g != nil && !g.done.Load() {
		route := g.Route()
		x.Handler = &route
	}
	x.Skipped = len(x.RuledOut)
	return x
}

// maxRuledOut is how many of the handlers ruled out by the index
// Explanation.String lists one by one.
const maxRuledOut = 10

// String renders the explanation as a short report, one fact per line:
// the observers; the conditional handlers ahead of the chosen one, in
// precedence order, each passed over because its condition does not hold
// or ruled out by an index (the first ten of these, then their number);
// and the verdict. Each handler is shown with its priority, condition,
// name and registration site.
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
		b.WriteString("  observed by the observer")
		o.writeName(&b)
		b.WriteString(" at ")
		b.WriteString(o.Site())
		b.WriteByte('\n')
	}
	// The handlers ahead of the chosen one, in precedence order.
	rejected, ruledOut, more := x.Rejected, x.RuledOut, 0
	for len(rejected) > 0 || len(ruledOut) > 0 {
		if len(ruledOut) == 0 || len(rejected) > 0 && rankOf(rejected[0]).outranks(rankOf(ruledOut[0])) {
			b.WriteString("  passed over: ")
			writeConditional(&b, rejected[0])
			b.WriteString(" (condition does not hold)\n")
			rejected = rejected[1:]
			continue
		}
		if listed := len(x.RuledOut) - len(ruledOut); listed < maxRuledOut {
			b.WriteString("  ruled out by the index: ")
			writeConditional(&b, ruledOut[0])
			b.WriteString(" (")
			b.WriteString(x.mismatch(ruledOut[0]))
			b.WriteString(")\n")
		} else {
			more++
		}
		ruledOut = ruledOut[1:]
	}
	if more > 0 {
		b.WriteString("  ruled out by the index: ")
		b.WriteString(strconv.Itoa(more))
		b.WriteString(" more\n")
	}
	switch h := x.Handler; {
	case h == nil:
		b.WriteString("  unhandled: no condition holds and there is no fallback\n")
	case h.Kind == Fallback:
		b.WriteString("  runs: the fallback")
		h.writeName(&b)
		b.WriteString(" at ")
		b.WriteString(h.Site())
		if h.Once {
			b.WriteString(" (once)")
		}
		b.WriteString(", no condition holds\n")
	default:
		b.WriteString("  runs: ")
		writeConditional(&b, *h)
		if h.Once {
			b.WriteString(" (once)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func rankOf(r Route) rank { return rank{r.Priority, r.Seq} }

// writeConditional writes the priority, condition, name and site of the
// conditional route c.
func writeConditional(b *strings.Builder, c Route) {
	b.WriteString(c.Priority.String())
	b.WriteByte(' ')
	b.WriteString(c.Condition)
	c.writeName(b)
	b.WriteString(" at ")
	b.WriteString(c.Site())
}

// mismatch says why the index ruled out c for the explained event.
func (x Explanation) mismatch(c Route) string {
	switch {
	case c.Index == "id" && x.ID == 0:
		return "no packet id"
	case c.Index == "id":
		return "packet id does not match"
	case !x.HasTopic:
		return "no topic"
	}
	return "topic does not match"
}
