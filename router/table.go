package router

import (
	"slices"

	"github.com/onmqtt/onmqtt/message"
)

// A table is one immutable version of everything registered with a
// Router. Dispatch loads the current table with one atomic load and never
// locks; writers build the next table under the router's mutex, copying
// only what changes, and publish it with one atomic store.
type table struct {
	types     [16]*typeTable // by packet type; nil when nothing is registered
	unhandled Handler
	panicked  func(e *Event, v any)
	subs      SubscriptionSource // nil when unknown
}

// A typeTable holds the registrations of one packet type. Conditional
// handlers live in exactly one of ids, topics and scan, chosen by plan.
type typeTable struct {
	seed      uint64          // of the topic levels' hash; the router's, fixed
	cacheAt   uint32          // the router's cacheAfter
	observers []*Registration // registration order
	fallback  *Registration
	ids       *idNode     // conditions indexed by packet identifier
	topics    *topicIndex // conditions indexed by topic filter
	scan      regList     // the other conditions, in precedence order
}

func (tt *typeTable) empty() bool {
	return len(tt.observers) == 0 && tt.fallback == nil && tt.ids == nil && tt.topics == nil && tt.scan.Len() == 0
}

// plan decides how the conditional registration g is indexed: by the
// packet identifier of an ID condition, else by the filter of a Topic
// condition, either the whole condition or an operand of a top-level And;
// otherwise it is scanned. It sets g.rest to what the index leaves to
// check.
func plan(g *Registration) {
	g.where, g.rest = byScan, g.cond
	switch c := g.cond.(type) {
	case *idCond:
		g.where, g.id, g.rest = byID, c.id, nil
	case *topicCond:
		g.where, g.filter, g.shared, g.rest = byTopic, c.matched, c.shared, nil
	case *andCond:
		pick := slices.IndexFunc(c.ops, func(op Condition) bool { _, ok := op.(*idCond); return ok })
		if pick < 0 {
			pick = slices.IndexFunc(c.ops, func(op Condition) bool { _, ok := op.(*topicCond); return ok })
		}
		if pick < 0 {
			return
		}
		switch op := c.ops[pick].(type) {
		case *idCond:
			g.where, g.id = byID, op.id
		case *topicCond:
			g.where, g.filter, g.shared = byTopic, op.matched, op.shared
		}
		rest := slices.Delete(slices.Clone(c.ops), pick, pick+1)
		switch len(rest) {
		case 0:
			g.rest = nil
		case 1:
			g.rest = rest[0]
		default:
			g.rest = &andCond{ops: rest}
		}
	}
}

// add records g in tt, which is a private copy. It returns the fallback g
// replaces, if any.
func (tt *typeTable) add(g *Registration) (replaced *Registration) {
	switch g.kind {
	case Observer:
		tt.observers = append(slices.Clip(tt.observers), g)
	case Fallback:
		replaced, tt.fallback = tt.fallback, g
	case Conditional:
		switch g.where {
		case byID:
			tt.ids = tt.ids.insert(0, g)
		case byTopic:
			tt.topics = newTopicIndex(tt.topics.trie().insert(tt.seed, "", message.SplitLevels(nil, g.filter), g), tt.cacheAt)
		default:
			tt.scan = tt.scan.Insert(g.level, g)
		}
	}
	return replaced
}

// del removes g from tt, which is a private copy; nothing happens when g
// is not there.
func (tt *typeTable) del(g *Registration) {
	switch g.kind {
	case Observer:
		if i := slices.Index(tt.observers, g); i >= 0 {
			tt.observers = slices.Delete(slices.Clone(tt.observers), i, i+1)
		}
	case Fallback:
		if tt.fallback == g {
			tt.fallback = nil
		}
	case Conditional:
		switch g.where {
		case byID:
			tt.ids = tt.ids.remove(0, g)
		case byTopic:
			if root := tt.topics.trie(); root != nil {
				if next := root.remove(tt.seed, message.SplitLevels(nil, g.filter), g); next != root {
					tt.topics = newTopicIndex(next, tt.cacheAt)
				}
			}
		default:
			tt.scan, _ = tt.scan.Remove(func(x *Registration) bool { return x == g })
		}
	}
}

// conditionals returns the conditional registrations of tt in precedence
// order.
func (tt *typeTable) conditionals() []*Registration {
	var all []*Registration
	collect := func(g *Registration) { all = append(all, g) }
	tt.ids.each(collect)
	tt.topics.trie().each(collect)
	for _, g := range tt.scan.All() {
		collect(g)
	}
	slices.SortFunc(all, byRank)
	return all
}
