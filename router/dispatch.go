package router

import "slices"

// Dispatch runs the observers of e.Type and then exactly one handler for
// e, chosen as the package documentation describes; it reports whether a
// handler (conditional or fallback) took the event. An event no handler
// takes is counted and passed to the unhandled hook.
//
// Dispatch runs the handlers on the calling goroutine, from the table
// current when it starts, and never holds a lock while they run. A
// handler that panics is recovered and reported; Dispatch returns
// normally. So is a condition that panics, which then counts as false. Dispatch allocates nothing, unless it runs a one-shot, which
// it removes from the table first.
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
// panics is reported like a panicking handler and counts as false: the
// choice starts again without it.
func (r *Router) choose(tt *typeTable, e *Event) *Registration {
	p := pick{e: e, seed: tt.seed, rank: lowest}
	for !p.try(tt) {
		if p.current == nil {
			panic(p.panic) // not a condition's: the router's own
		}
		r.recovered(e, p.panic)
		p.failed = append(p.failed, p.current)
		p.best, p.rank, p.current, p.panic = nil, lowest, nil, nil
	}
	return p.best
}

// try runs one choice among tt's candidates. It reports false when it
// panicked, with the value in p.panic; p.current is then the
// registration whose condition panicked, nil if none was being
// evaluated.
func (p *pick) try(tt *typeTable) (ok bool) {
	defer func() {
		if !ok {
			p.panic = recover()
		}
	}()
	e := p.e
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
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

	// current is the registration whose condition is being evaluated,
	// so that a panic can be blamed on it; failed are those whose
	// condition panicked in this dispatch, which count as false, and
	// panic is the value recovered from the last.
	current *Registration
	failed  []*Registration
	panic   any
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
		if p.holds(g) {
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
		if p.holds(first) {
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
	if !p.holds(g) {
		return false
	}
	p.best, p.rank = g, g.rank()
	return true
}

// holds reports whether g can run for the event: it is not done, and the
// part of its condition that its index leaves to check holds.
func (p *pick) holds(g *Registration) bool {
	return !g.done.Load() && (g.rest == nil || p.check(g))
}

// check evaluates the part of g's condition that its index leaves to
// check, which counts as false once it has panicked in this dispatch.
func (p *pick) check(g *Registration) bool {
	if p.failed != nil && slices.Contains(p.failed, g) {
		return false
	}
	p.current = g
	ok := g.rest.match(p.e)
	p.current = nil
	return ok
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
