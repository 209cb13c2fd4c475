package router

import (
	"strconv"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// Routes returns every registered handler, by packet type; within a type
// the observers in registration order, then the conditional handlers in
// precedence order, then the fallback. When the router knows the
// subscriptions in effect (see [Router.SetSubscriptionSource]), a
// Topic-indexed handler whose filter no subscription can deliver a
// message for carries a [Route.Warning].
func (r *Router) Routes() []Route {
	tb := r.snap.Load()
	subs, known := tb.subscriptionFilters()
	var out []Route
	for _, tt := range tb.types {
		if tt == nil {
			continue
		}
		for _, g := range tt.routable() {
			out = append(out, g.route(subs, known))
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
	// ReasonCode is the event's reason code, when its type carries one
	// (see the [ReasonCode] condition): HasReasonCode is then true.
	ReasonCode    message.ReasonCode
	HasReasonCode bool

	// SubscriptionsKnown reports whether the router knows the
	// subscriptions in effect (see [Router.SetSubscriptionSource]);
	// Subscriptions are their filters.
	SubscriptionsKnown bool
	Subscriptions      []string
	// DeliveredBy are the Subscriptions that match the topic of the
	// event's delivered Message, through which the broker sends such a
	// message. When the subscriptions are known and none matches, no
	// such message can arrive, and Warnings says so.
	DeliveredBy []string

	// Observers would see the event, in this order.
	Observers []Route
	// Handler would run: a conditional handler or the fallback. It is nil
	// when the event would be unhandled.
	Handler *Route
	// Rejected are the conditional handlers ahead of Handler in
	// precedence whose condition was evaluated and does not hold for
	// the event, in precedence order: those the indexes proposed, and
	// those checked one by one. Each says why.
	Rejected []Rejection
	// RuledOut are the conditional handlers ahead of Handler in
	// precedence that the topic or packet identifier index ruled out
	// without evaluating their conditions, in precedence order: their
	// topic filter or packet identifier does not match the event's (see
	// [Route.Index]), as each Reason says. The handlers behind Handler
	// are listed nowhere.
	RuledOut []Rejection
	// Skipped is the number of RuledOut.
	Skipped int
	// Warnings are the reasons why the explained dispatch cannot happen
	// as shown: no subscription delivers the topic, or none delivers a
	// topic that the filter of Handler matches.
	Warnings []string
}

// A Rejection is a handler that does not take the explained event, and
// why: for a condition that was evaluated, the operand that does not hold
// and the value it saw ("operand 2 of and, field("temp", gt(40)): temp =
// 38.5, not > 40"); for one an index ruled out, how the topic or packet
// identifier differs.
type Rejection struct {
	Route
	Reason string
}

// Explain reports which handler an event would be dispatched to and why,
// without running anything or claiming one-shots. It evaluates the
// conditions of the candidates (a Func condition is called, a payload is
// decoded, once, on e), and costs far more than Dispatch; it is meant for
// debugging and tests. A condition that panics is reported as not
// holding, the Reason giving the panic's value; Explain neither calls the
// panic hook nor counts it.
func (r *Router) Explain(e *Event) (x Explanation) {
	x = Explanation{Type: e.Type, ID: e.ID}
	x.Topic, x.HasTopic = e.Topic()
	x.ReasonCode, x.HasReasonCode = e.code()
	tb := r.snap.Load()
	subs, known := tb.subscriptionFilters()
	x.SubscriptionsKnown, x.Subscriptions = known, subs
	if known && e.Message != nil {
		x.DeliveredBy = delivering(subs, x.Topic)
		if len(x.DeliveredBy) == 0 {
			x.Warnings = append(x.Warnings, "no subscription delivers topic "+strconv.Quote(x.Topic)+
				" (subscriptions: "+quoteAll(subs)+"): no such message can arrive")
		}
	}
	var tt *typeTable
	if int(e.Type) < len(tb.types) {
		tt = tb.types[e.Type]
	}
	if tt == nil {
		return x
	}
	for _, g := range tt.observers {
		if !g.done.Load() {
			x.Observers = append(x.Observers, g.route(subs, known))
		}
	}
	proposed := tt.candidates(e)
	seen := make(map[*Registration]bool, len(proposed))
	for _, g := range proposed {
		seen[g] = true
	}
	defer func() { x.Skipped = len(x.RuledOut) }()
	for _, g := range tt.conditionals() {
		if g.done.Load() {
			continue
		}
		route := g.route(subs, known)
		if !seen[g] {
			x.RuledOut = append(x.RuledOut, Rejection{route, g.indexMismatch(e)})
			continue
		}
		if ok, why := evaluate(g.cond, e); !ok {
			x.Rejected = append(x.Rejected, Rejection{route, why})
			continue
		}
		x.chose(route)
		return x
	}
	if g := tt.fallback; g != nil && !g.done.Load() {
		x.chose(g.route(subs, known))
	}
	return x
}

// chose records h as the handler that runs.
func (x *Explanation) chose(h Route) {
	x.Handler = &h
	if h.Warning != "" {
		x.Warnings = append(x.Warnings, "the handler that runs: "+h.Warning)
	}
}

// indexMismatch says why the index of g ruled it out for e.
func (g *Registration) indexMismatch(e *Event) string {
	switch g.where {
	case byID:
		return (&idCond{id: g.id}).why(e)
	case bySubID:
		return (&subIDCond{id: g.subID}).why(e)
	case byCorrelation:
		return (&corrCond{key: g.key, set: true}).why(e)
	}
	t, ok := e.Topic()
	if !ok {
		return "no topic"
	}
	return topicMismatch(t, g.filter, g.shared)
}

// maxRuledOut is how many of the handlers ruled out by the index
// Explanation.String lists one by one.
const maxRuledOut = 10

// String renders the explanation as a short report, one fact per line:
// the event (its type, packet identifier, topic and reason code other
// than Success), the subscriptions that deliver the topic, when known; the observers;
// the conditional handlers ahead of the chosen one, in precedence order,
// each passed over because its condition does not hold (and why) or
// ruled out by an index (the first ten of these, with the reason, then
// their number); the verdict; and the warnings. Each handler is shown
// with its priority, condition, name and registration site.
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
	if x.HasReasonCode && x.ReasonCode != 0 {
		b.WriteString(" reason code ")
		b.WriteString(nameCode(x.Type, x.ReasonCode))
	}
	b.WriteByte('\n')
	if x.SubscriptionsKnown && len(x.DeliveredBy) > 0 {
		b.WriteString("  delivered by the subscription to ")
		b.WriteString(quoteAll(x.DeliveredBy))
		b.WriteByte('\n')
	}
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
		if len(ruledOut) == 0 || len(rejected) > 0 && rankOf(rejected[0].Route).outranks(rankOf(ruledOut[0].Route)) {
			b.WriteString("  passed over: ")
			writeConditional(&b, rejected[0].Route)
			b.WriteString(": ")
			b.WriteString(rejected[0].Reason)
			b.WriteByte('\n')
			rejected = rejected[1:]
			continue
		}
		if listed := len(x.RuledOut) - len(ruledOut); listed < maxRuledOut {
			b.WriteString("  ruled out by the index: ")
			writeConditional(&b, ruledOut[0].Route)
			b.WriteString(" (")
			b.WriteString(ruledOut[0].Reason)
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
	for _, w := range x.Warnings {
		b.WriteString("  warning: ")
		b.WriteString(w)
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
	if c.Index == "topic" && !strings.Contains(c.Condition, strconv.Quote(c.Filter)) {
		b.WriteString(" (a shared subscription's filter: matches what ")
		b.WriteString(strconv.Quote(c.Filter))
		b.WriteString(" matches)")
	}
	c.writeName(b)
	b.WriteString(" at ")
	b.WriteString(c.Site())
}
