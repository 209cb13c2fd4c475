package router

import "github.com/onmqtt/onmqtt/priority"

// A topicNode is one level of the topic trie that indexes Topic
// conditions. The layout follows the matching rules: each node keeps the
// registrations whose filter ends there, those whose filter ends with '#'
// just below it, and its '+' child apart from its exact-level children.
// Every list is in precedence order, and each node knows the rank of the
// best registration below it, so that a walk skips the subtrees that
// cannot beat what it has already found.
//
// Nodes are immutable once published. Insertion and removal copy the nodes
// on the path from the root and share the rest with the previous version,
// so a dispatch walking an older version is never disturbed.
type topicNode struct {
	here priority.List[*Registration] // filters that end at this level
	hash priority.List[*Registration] // filters whose next and last level is '#'
	plus *topicNode                   // the '+' level below this one
	kids kids                         // the exact levels below this one
	top  rank                         // of the highest precedence in the subtree
	size int                          // registrations in the subtree
}

type regList = priority.List[*Registration]

// insert returns a copy of n (an empty node when n is nil) with g
// registered under the filter whose remaining levels are levels.
func (n *topicNode) insert(seed uint64, levels []string, g *Registration) *topicNode {
	var c topicNode
	if n != nil {
		c = *n
	}
	if c.size == 0 || g.rank().outranks(c.top) {
		c.top = g.rank()
	}
	c.size++
	switch {
	case len(levels) == 0:
		c.here = c.here.Insert(g.level, g)
	case levels[0] == "#": // always the last level of a valid filter
		c.hash = c.hash.Insert(g.level, g)
	case levels[0] == "+":
		c.plus = c.plus.insert(seed, levels[1:], g)
	default:
		c.kids = c.kids.with(seed, levels[0], c.kids.get(seed, levels[0]).insert(seed, levels[1:], g))
	}
	return &c
}

// remove returns a copy of n without g, which is registered under the
// filter whose remaining levels are levels; nil when nothing is left, and
// n itself when g is not there.
func (n *topicNode) remove(seed uint64, levels []string, g *Registration) *topicNode {
	if n == nil {
		return nil
	}
	c := *n
	is := func(x *Registration) bool { return x == g }
	switch {
	case len(levels) == 0:
		var k int
		if c.here, k = c.here.Remove(is); k == 0 {
			return n
		}
	case levels[0] == "#":
		var k int
		if c.hash, k = c.hash.Remove(is); k == 0 {
			return n
		}
	case levels[0] == "+":
		p := c.plus.remove(seed, levels[1:], g)
		if p == c.plus {
			return n
		}
		c.plus = p
	default:
		kid := c.kids.get(seed, levels[0])
		k := kid.remove(seed, levels[1:], g)
		if k == kid {
			return n
		}
		c.kids = c.kids.with(seed, levels[0], k)
	}
	c.size--
	if c.size == 0 {
		return nil
	}
	if c.top == g.rank() {
		c.top = c.highest()
	}
	return &c
}

// highest returns the rank of highest precedence in the subtree, which
// must not be empty.
func (n *topicNode) highest() rank {
	var top rank
	found := false
	consider := func(r rank) {
		if !found || r.outranks(top) {
			top, found = r, true
		}
	}
	if n.here.Len() > 0 {
		consider(n.here.At(0).Value.rank())
	}
	if n.hash.Len() > 0 {
		consider(n.hash.At(0).Value.rank())
	}
	if n.plus != nil {
		consider(n.plus.top)
	}
	for _, k := range n.kids.slots {
		if k.node != nil {
			consider(k.node.top)
		}
	}
	return top
}

// each calls f for every registration in the subtree.
func (n *topicNode) each(f func(*Registration)) {
	if n == nil {
		return
	}
	for _, g := range n.here.All() {
		f(g)
	}
	for _, g := range n.hash.All() {
		f(g)
	}
	n.plus.each(f)
	for _, k := range n.kids.slots {
		k.node.each(f)
	}
}
