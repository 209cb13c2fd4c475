package router

import (
	"hash/maphash"
	"slices"

	"github.com/onmqtt/onmqtt/message"
)

// Dispatch runs the observers of e.Type and then exactly one handler for
// e, chosen as the package documentation describes; it reports whether a
// handler (conditional or fallback) took the event. An event no handler
// takes is counted and passed to the unhandled hook.
//
// Dispatch runs the handlers on the calling goroutine, from the table
// current when it starts, and never holds a lock while they run. A
// handler that panics is recovered and reported; Dispatch returns
// normally. So is a condition that panics, which then counts as false.
// Dispatch allocates nothing, unless it runs a one-shot, which it
// removes from the table first, or a payload condition decodes the
// payload (see [Decode]).
func (r *Router) Dispatch(e *Event) (handled bool) {
	tb := r.snap.Load()
	var tt *typeTable
	if int(e.Type) < len(tb.types) {
		tt = tb.types[e.Type]
	}
	if tt == nil {
		r.unhandledEvent(tb, e)
		return false
	}
	if len(tt.observers) > 0 {
		r.observe(tt, e)
	}
	for {
		g := r.choose(tt, e)
		if g == nil {
			g = tt.fallback
			if g == nil || g.done.Load() {
				r.unhandledEvent(tb, e)
				return false
			}
		}
		if g.once {
			// Claim the one-shot; a concurrent dispatch that claimed it
			// first makes this one look again without it.
			if !g.done.CompareAndSwap(false, true) {
				continue
			}
			r.drop(g)
		}
		r.run(g.h, e)
		return true
	}
}

// observe runs the observers of tt.
func (r *Router) observe(tt *typeTable, e *Event) {
	for _, o := range tt.observers {
		if !o.done.Load() {
			r.run(o.h, e)
		}
	}
}

// choose returns the conditional registration of highest precedence
// whose condition holds for e, nil when there is none. A condition that
// panics is reported like a panicking handler and counts as false.
func (r *Router) choose(tt *typeTable, e *Event) *Registration {
	p := pick{e: e, seed: tt.seed, rank: lowest}
	if p.try(tt) {
		return p.best
	}
	// A condition panicked. Choose again, the slow way, evaluating each
	// candidate's condition apart, so that those that panic are reported
	// and count as false.
	for _, g := range tt.candidates(e) {
		if g.done.Load() {
			continue
		}
		if g.rest == nil {
			return g
		}
		ok, v := guarded(g.rest, e)
		if v != nil {
			r.recovered(e, v)
			continue
		}
		if ok {
			return g
		}
	}
	return nil
}

// try makes the choice among tt's candidates into p.best. It reports
// false when a condition panicked.
func (p *pick) try(tt *typeTable) (ok bool) {
	defer func() {
		if !ok {
			_ = recover()
		}
	}()
	e := p.e
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if (tt.subIDs != nil || tt.corrs != nil) && e.Message != nil && e.Message.Properties != nil {
		p.offerKeyed(tt, e.Message.Properties) // 5.0 only
	}
	if ti := tt.topics; ti != nil {
		if topic, ok := e.Topic(); ok {
			if ti.after == 0 {
				ti.walk(p, topic) // no cache
			} else {
				ti.offer(p, topic)
			}
		}
	}
	if tt.scan.Len() > 0 {
		p.offer(tt.scan)
	}
	return true
}

// candidates returns, in precedence order, the conditional registrations
// of tt that the indexes propose for e: those whose condition may hold.
func (tt *typeTable) candidates(e *Event) []*Registration {
	var all []*Registration
	p := pick{e: e, seed: tt.seed, rank: lowest, collected: &all}
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if m := e.Message; m != nil && m.Properties != nil {
		p.offerKeyed(tt, m.Properties)
	}
	if topic, ok := e.Topic(); ok && tt.topics != nil {
		tt.topics.walk(&p, topic)
	}
	p.offer(tt.scan)
	slices.SortFunc(all, byRank)
	return all
}

// offerKeyed offers the registrations that the subscription identifier
// and correlation data indexes of tt hold for a message of properties
// props: those of each of its Subscription Identifiers, and those of its
// Correlation Data.
func (p *pick) offerKeyed(tt *typeTable, props *message.Properties) {
	if x := tt.corrs; x != nil && props.CorrelationData != nil {
		d := props.CorrelationData
		p.offer(x.lookup(maphash.Bytes(tt.hseed, d), string(d)))
	}
	if x := tt.subIDs; x != nil {
		for _, id := range props.SubscriptionIDs {
			p.offer(x.lookup(uint64(id), id))
		}
	}
}

// guarded evaluates c for e, recovering a panic: v is then its value.
func guarded(c Condition, e *Event) (ok bool, v any) {
	defer func() {
		if x := recover(); x != nil {
			ok, v = false, x
		}
	}()
	return c.match(e), nil
}

// pick finds the winner among candidate lists, each in precedence order.
// The first registration of a list whose condition holds is the best that
// list can offer, and the first that does not beat the best so far ends
// the list: conditions that cannot win are not evaluated. offer reports
// whether the list was settled that way rather than exhausted.
type pick struct {
	e    *Event
	seed uint64 // the router's, for the topic trie's hash tables
	best *Registration
	rank rank // best's, lowest while there is none
	// When collected is not nil, the candidates are appended to it
	// instead, and nothing is chosen.
	collected *[]*Registration
}

func (p *pick) offer(l regList) bool {
	if p.collected != nil {
		for _, g := range l.All() {
			*p.collected = append(*p.collected, g)
		}
		return false
	}
	for i := range l.Len() {
		// p.take(l.At(i).Value), inlined.
		g := l.At(i).Value
		if !g.rank().outranks(p.rank) {
			return true
		}
		if g.holds(p.e) {
			p.best, p.rank = g, g.rank()
			return true
		}
	}
	return false
}

// offerFirst is offer for a list whose first registration is first: it
// reads the list only when first does not settle it.
func (p *pick) offerFirst(first *Registration, l regList) {
	if p.collected == nil {
		if !first.rank().outranks(p.rank) {
			return
		}
		if first.holds(p.e) {
			p.best, p.rank = first, first.rank()
			return
		}
		if l.Len() == 1 {
			return
		}
	}
	p.offer(l)
}

// offerAll is offer for a slice in precedence order.
func (p *pick) offerAll(regs []*Registration) bool {
	for _, g := range regs {
		if p.take(g) {
			return true
		}
	}
	return false
}

// take considers g, the next candidate of a list in precedence order. It
// reports whether the list is settled: g won, or neither g nor any
// candidate after it can win.
func (p *pick) take(g *Registration) bool {
	if !g.rank().outranks(p.rank) {
		return true
	}
	if !g.holds(p.e) {
		return false
	}
	p.best, p.rank = g, g.rank()
	return true
}

// holds reports whether g can run for e: it is not done, and the part
// of its condition that its index leaves to check holds.
func (g *Registration) holds(e *Event) bool {
	return !g.done.Load() && (g.rest == nil || g.rest.match(e))
}

// run calls h, recovering and reporting a panic.
func (r *Router) run(h Handler, e *Event) {
	defer func() {
		if v := recover(); v != nil {
			r.recovered(e, v)
		}
	}()
	h(e)
}

// recovered counts the panic v of a handler run for e and reports it to
// the panic hook.
func (r *Router) recovered(e *Event, v any) {
	r.panics.Add(1)
	if f := r.snap.Load().panicked; f != nil {
		report(f, e, v)
	}
}

// report calls the panic hook, dropping a panic of its own.
func report(f func(*Event, any), e *Event, v any) {
	defer func() { _ = recover() }()
	f(e, v)
}

func (r *Router) unhandledEvent(tb *table, e *Event) {
	r.unhandled[min(int(e.Type), len(r.unhandled)-1)].Add(1)
	if tb.unhandled != nil {
		r.run(tb.unhandled, e)
	}
}

// Unheard reports whether an event of type t would reach nothing: no
// handler, one-shot, fallback or observer of that type is registered
// and no unhandled hook is set. When so, it counts the event as
// unhandled, as [Router.Dispatch] would have, so a caller may skip
// building and dispatching it. A registration made concurrently may or
// may not be seen, as with Dispatch.
func (r *Router) Unheard(t message.Type) bool {
	tb := r.snap.Load()
	if tb.unhandled != nil {
		return false
	}
	if int(t) < len(tb.types) {
		if tt := tb.types[t]; tt != nil && !tt.empty() {
			return false
		}
	}
	r.unhandled[min(int(t), len(r.unhandled)-1)].Add(1)
	return true
}
