package router

import (
	"hash/maphash"
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
	hseed     maphash.Seed      // of the keyed indexes' shards; the router's, fixed
	ids       *idNode           // conditions indexed by packet identifier
	subIDs    *keyIndex[uint32] // conditions indexed by subscription identifier
	corrs     *keyIndex[string] // conditions indexed by correlation data
	topics    *topicIndex       // conditions indexed by topic filter
	scan      regList           // the other conditions, in precedence order
}

func (tt *typeTable) empty() bool {
	return len(tt.observers) == 0 && tt.fallback == nil && tt.ids == nil && tt.subIDs == nil && tt.corrs == nil &&
		tt.topics == nil && tt.scan.Len() == 0
}

// plan decides how the conditional registration g is indexed: by the
// packet identifier of an ID condition, else by the data of a
// Correlation condition, else by the identifier of a SubscriptionID
// condition, else by the filter of a Topic condition, either the whole
// condition or an operand of a top-level And; otherwise it is scanned.
// It sets g.rest to what the index leaves to check.
func plan(g *Registration) {
	g.where, g.rest = byScan, g.cond
	if indexBy(g, g.cond) {
		g.rest = nil
		return
	}
	if c, ok := g.cond.(*andCond); ok {
		pick := -1
		for _, w := range [...]index{byID, byCorrelation, bySubID, byTopic} {
			if pick = slices.IndexFunc(c.ops, func(op Condition) bool { return indexOf(op) == w }); pick >= 0 {
				break
			}
		}
		if pick < 0 {
			return
		}
		indexBy(g, c.ops[pick])
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

// indexOf returns the index that holds a registration of condition c.
func indexOf(c Condition) index {
	switch c.(type) {
	case *idCond:
		return byID
	case *corrCond:
		return byCorrelation
	case *subIDCond:
		return bySubID
	case *topicCond:
		return byTopic
	}
	return byScan
}

// indexBy records in g the index key of c, and reports whether c is
// indexed.
func indexBy(g *Registration, c Condition) bool {
	switch c := c.(type) {
	case *idCond:
		g.where, g.id = byID, c.id
	case *corrCond:
		g.where, g.key = byCorrelation, c.key
	case *subIDCond:
		g.where, g.subID = bySubID, c.id
	case *topicCond:
		g.where, g.filter, g.shared = byTopic, c.matched, c.shared
	default:
		return false
	}
	return true
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
		case bySubID:
			tt.subIDs = tt.subIDs.insert(uint64(g.subID), g.subID, g)
		case byCorrelation:
			tt.corrs = tt.corrs.insert(maphash.String(tt.hseed, g.key), g.key, g)
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
		case bySubID:
			tt.subIDs = tt.subIDs.remove(uint64(g.subID), g.subID, g)
		case byCorrelation:
			tt.corrs = tt.corrs.remove(maphash.String(tt.hseed, g.key), g.key, g)
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
	tt.subIDs.each(collect)
	tt.corrs.each(collect)
	tt.topics.trie().each(collect)
	for _, g := range tt.scan.All() {
		collect(g)
	}
	slices.SortFunc(all, byRank)
	return all
}
