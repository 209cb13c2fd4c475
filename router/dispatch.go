package router

import "strings"

// Dispatch runs the observers of e.Type and then exactly one handler for
// e, chosen as the package documentation describes; it reports whether a
// handler (conditional or fallback) took the event. An event no handler
// takes is counted and passed to the unhandled hook.
//
// Dispatch runs the handlers on the calling goroutine, from the table
// current when it starts, and never holds a lock while they run. A
// handler that panics is recovered and reported; Dispatch returns
// normally. Dispatch allocates nothing.
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
	for _, o := range tt.observers {
		if !o.done.Load() {
			r.run(o.h, e)
		}
	}
	for {
		g := tt.choose(e)
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

// choose returns the conditional registration of highest precedence
// whose condition holds for e, nil when there is none.
func (tt *typeTable) choose(e *Event) *Registration {
	p := pick{e: e}
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if tt.topics != nil {
		if topic, ok := e.Topic(); ok {
			p.walk(tt.topics, topic, true, true)
		}
	}
	p.offer(tt.scan)
	return p.best
}

// pick finds the winner among candidate lists, each in precedence order.
// The first registration of a list whose condition holds is the best that
// list can offer, and the first that does not beat the best so far ends
// the list: conditions that cannot win are not evaluated.
type pick struct {
	e    *Event
	best *Registration
	// seen, when set, collects the candidates instead (for Explain).
	seen map[*Registration]bool
}

func (p *pick) offer(l regList) {
	for i := range l.Len() {
		g := l.At(i).Value
		if p.seen != nil {
			p.seen[g] = true
			continue
		}
		if p.best != nil && !before(g, p.best) {
			return
		}
		if g.done.Load() {
			continue
		}
		if g.rest == nil || g.rest.match(p.e) {
			p.best = g
			return
		}
	}
}

// walk offers the registrations of n's subtree whose filter matches the
// rest of the topic: the levels of rest when more is true, none when it is
// false. root marks the trie's root, where the '$' rule applies: a filter
// starting with '+' or '#' does not match a topic starting with '$'.
func (p *pick) walk(n *topicNode, rest string, more, root bool) {
	if p.best != nil && !before(n.top, p.best) {
		return // nothing below can win
	}
	wild := !root || !more || len(rest) == 0 || rest[0] != '$'
	if wild && n.hash.Len() > 0 {
		p.offer(n.hash)
	}
	if !more {
		p.offer(n.here)
		return
	}
	level, tail, next := strings.Cut(rest, "/")
	if k := n.kids[level]; k != nil {
		p.walk(k, tail, next, false)
	}
	if wild && n.plus != nil {
		p.walk(n.plus, tail, next, false)
	}
}

// run calls h, recovering and reporting a panic.
func (r *Router) run(h Handler, e *Event) {
	defer func() {
		if v := recover(); v != nil {
			r.panics.Add(1)
			if f := r.snap.Load().panicked; f != nil {
				report(f, e, v)
			}
		}
	}()
	h(e)
}

// report calls the panic hook, dropping a panic of its own.
func report(f func(*Event, any), e *Event, v any) {
	defer func() { _ = recover() }()
	f(e, v)
}

func (r *Router) unhandledEvent(tb *table, e *Event) {
	r.unhandled.Add(1)
	if tb.unhandled != nil {
		r.run(tb.unhandled, e)
	}
}
