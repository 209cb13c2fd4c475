package router

// Dispatch runs the observers of e.Type and then exactly one handler for
// e, chosen as the package documentation describes; it reports whether a
// handler (conditional or fallback) took the event. An event no handler
// takes is counted and passed to the unhandled hook.
//
// Dispatch runs the handlers on the calling goroutine, from the table
// current when it starts, and never holds a lock while they run. A
// handler that panics is recovered and reported; Dispatch returns
// normally. Dispatch allocates nothing, unless it runs a one-shot, which
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
	p := pick{e: e, rank: lowest}
	if tt.ids != nil && e.ID != 0 {
		p.offer(tt.ids.lookup(e.ID))
	}
	if tt.topics != nil {
		if topic, ok := e.Topic(); ok {
			tt.topics.offer(&p, tt.seed, topic)
		}
	}
	p.offer(tt.scan)
	return p.best
}

// pick finds the winner among candidate lists, each in precedence order.
// The first registration of a list whose condition holds is the best that
// list can offer, and the first that does not beat the best so far ends
// the list: conditions that cannot win are not evaluated. offer reports
// whether the list was settled that way rather than exhausted.
type pick struct {
	e    *Event
	best *Registration
	rank rank // best's, lowest while there is none
	// When collecting, the candidates are gathered in collected instead,
	// and nothing is chosen.
	collecting bool
	collected  []*Registration
}

func (p *pick) offer(l regList) bool {
	if p.collecting {
		for _, g := range l.All() {
			p.collected = append(p.collected, g)
		}
		return false
	}
	for i := range l.Len() {
		if p.take(l.At(i).Value) {
			return true
		}
	}
	return false
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
	if g.done.Load() || (g.rest != nil && !g.rest.match(p.e)) {
		return false
	}
	p.best, p.rank = g, g.rank()
	return true
}

// walk offers the registrations of n's subtree whose filter matches the
// levels of topic t from depth d on. At the root (d == 0) the '$' rule
// applies: a filter starting with '+' or '#' does not match a topic
// starting with '$'. The walk follows the exact child in a loop and
// recurses only where a '+' child branches off too; it skips a subtree
// whose best registration cannot beat the best found so far.
func (p *pick) walk(t *topicLevels, n *topicNode, d int) {
	for {
		if !n.top.outranks(p.rank) {
			return // nothing below can win
		}
		if n.hash.Len() > 0 && (d > 0 || !t.dollar) {
			p.offer(n.hash)
		}
		if d == t.n {
			if n.here.Len() > 0 {
				p.offer(n.here)
			}
			return
		}
		var exact *topicNode
		if n.kids.n > 0 {
			var l string
			var f uint64
			if d < cachedLevels {
				l, f = t.lv[d], t.fp[d]
			} else {
				l, f = t.beyond(d)
			}
			if n.kids.hashed() {
				exact = n.kids.lookup(l, f, t.hashAt(d, l, f))
			} else {
				exact = n.kids.scan(l, f)
			}
		}
		plus := n.plus
		if d == 0 && t.dollar {
			plus = nil
		}
		if exact == nil {
			if plus == nil {
				return
			}
			n = plus
		} else {
			if plus != nil {
				p.walk(t, plus, d+1)
			}
			n = exact
		}
		d++
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
