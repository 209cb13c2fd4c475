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
// A node that holds no registrations and has no '+' child and one exact
// child, itself standing for one level, is folded with that child (as
// the '+' after "site" in site/+/device/+/temp is with "device"): one
// node then stands for both levels, the child's being its tail, which a
// walk checks on the way in. Most topic spaces have such constant
// levels, and a walk spends its time going from node to node.
//
// Nodes are immutable once published. Insertion and removal copy the nodes
// on the path from the root and share the rest with the previous version,
// so a dispatch walking an older version is never disturbed.
type topicNode struct {
	// A walk reads the first 64 bytes at every node it visits, the
	// next 64 at the nodes where a filter ends. Nodes are 128 bytes,
	// which the allocator aligns to 128: two cache lines that a
	// processor fetches together.
	top  rank       // of the highest precedence in the subtree
	plus *topicNode // the '+' level below this one
	kids kids       // the exact levels below this one
	// tail is the fingerprint of the folded level (see above) xor
	// tailMark, or 0 when the node stands for one level.
	tail uint64
	text *nodeText

	multi regList // filters ending in the multi-level wildcard: "#" is their next and last level
	here  regList // filters that end at this level
	// The first registration of multi and of here, so that a walk that
	// finds what it needs there does not read the lists.
	multiFirst, hereFirst *Registration
}

// nodeText holds the levels of a node, which a walk reads only to tell
// apart levels of eight bytes or more with the same fingerprint.
type nodeText struct {
	level string // the level that leads to the node from its parent: "+" or exact
	tail  string // the folded level, if any
}

type regList = priority.List[*Registration]

// tailMark is a word that is the fingerprint of no level (the top byte of
// a short level's fingerprint is its length, below 8, and that of a long
// level has its top bit set), so that a tail xor tailMark is never 0.
const tailMark = 0x7f << 56

// insert returns a copy of n (an empty node of the given level when n is
// nil) with g registered under the filter whose remaining levels are
// levels.
func (n *topicNode) insert(seed uint64, level string, levels []string, g *Registration) *topicNode {
	c := n.unfolded(seed, level)
	if c.empty() || g.rank().outranks(c.top) {
		c.top = g.rank()
	}
	switch {
	case len(levels) == 0:
		c.here = c.here.Insert(g.level, g)
	case levels[0] == "#": // always the last level of a valid filter
		c.multi = c.multi.Insert(g.level, g)
	case levels[0] == "+":
		c.plus = c.plus.insert(seed, "+", levels[1:], g)
	default:
		l := levels[0]
		c.kids = c.kids.with(seed, l, c.kids.get(seed, l).insert(seed, l, levels[1:], g))
	}
	c.firsts()
	return c.folded()
}

// remove returns a copy of n without g, which is registered under the
// filter whose remaining levels are levels; nil when nothing is left, and
// n itself when g is not there.
func (n *topicNode) remove(seed uint64, levels []string, g *Registration) *topicNode {
	if n == nil {
		return nil
	}
	c := n.unfolded(seed, n.text.level)
	is := func(x *Registration) bool { return x == g }
	switch {
	case len(levels) == 0:
		var k int
		if c.here, k = c.here.Remove(is); k == 0 {
			return n
		}
	case levels[0] == "#":
		var k int
		if c.multi, k = c.multi.Remove(is); k == 0 {
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
	if c.empty() {
		return nil
	}
	if c.top == g.rank() {
		c.top = c.highest()
	}
	c.firsts()
	return c.folded()
}

// unfolded returns a private copy of n as one level: when n stands for
// two, a node of n's level whose only child is the rest of n. A nil n
// gives an empty node of the given level.
func (n *topicNode) unfolded(seed uint64, level string) *topicNode {
	if n == nil {
		return &topicNode{text: &nodeText{level: level}}
	}
	c := *n
	if n.tail == 0 {
		return &c
	}
	c.tail, c.text = 0, &nodeText{level: n.text.tail}
	return &topicNode{top: n.top, text: &nodeText{level: n.text.level}, kids: kids(nil).with(seed, c.text.level, &c)}
}

// folded returns n, which stands for one level, with its only child
// folded into it when it has nothing else: no registrations, no '+'
// child, and a child that stands for one level.
func (n *topicNode) folded() *topicNode {
	if n.here.Len() > 0 || n.multi.Len() > 0 || n.plus != nil || len(n.kids) != 1 || n.kids[0].node.tail != 0 {
		return n
	}
	c := *n.kids[0].node
	c.tail, c.text = n.kids[0].fp^tailMark, &nodeText{level: n.text.level, tail: c.text.level}
	return &c
}

// firsts sets n.multiFirst and n.hereFirst.
func (n *topicNode) firsts() {
	n.multiFirst, n.hereFirst = nil, nil
	if n.multi.Len() > 0 {
		n.multiFirst = n.multi.At(0).Value
	}
	if n.here.Len() > 0 {
		n.hereFirst = n.here.At(0).Value
	}
}

// empty reports whether the subtree of n holds no registration.
func (n *topicNode) empty() bool {
	return n.here.Len() == 0 && n.multi.Len() == 0 && n.plus == nil && len(n.kids) == 0
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
	if n.multi.Len() > 0 {
		consider(n.multi.At(0).Value.rank())
	}
	if n.plus != nil {
		consider(n.plus.top)
	}
	n.kids.each(func(k *topicNode) { consider(k.top) })
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
	for _, g := range n.multi.All() {
		f(g)
	}
	n.plus.each(f)
	n.kids.each(func(k *topicNode) { k.each(f) })
}

// walk offers p the registrations whose filter matches topic, walking
// the trie.
func (ti *topicIndex) walk(p *pick, topic string) {
	var t topicLevels
	t.split(topic)
	root := ti.root
	if len(topic) == 0 || topic[0] != '$' || root.tail != 0 {
		// A root standing for two levels has no '+' or '#' filters at
		// the first level, which is all the '$' rule is about.
		p.walk(&t, root, 0, 0)
		return
	}
	// A filter starting with '+' or '#' does not match a topic starting
	// with '$' [MQTT-4.7.2-1]: only the exact child of the first level
	// is followed.
	if !root.top.outranks(p.rank) || len(root.kids) == 0 {
		return
	}
	j, f := t.levels[0].end, t.levels[0].fp
	if n := root.kids.find(p.seed, topic[:j], f); n != nil {
		p.walk(&t, n, j+1, 1)
	}
}

// walk offers the registrations of n's subtree whose filter matches the
// levels of t's topic from level d on, which starts at offset i; i is
// len(topic)+1 once every level is matched. n is the node reached by the
// level before, or, when it stands for two levels, by the one before its
// tail, which is then level d. The walk follows one child in a loop and
// recurses only where both an exact and a '+' child match, into the one
// holding the best registration first; it skips a subtree whose best
// registration cannot beat the best found so far.
func (p *pick) walk(t *topicLevels, n *topicNode, i, d int) {
	for n.top.outranks(p.rank) {
		if n.tail != 0 {
			// n stands for two levels: the first is its tail.
			if i > len(t.topic) {
				return
			}
			l := t.level(d, i)
			j, f := l.end, l.fp
			if f^tailMark != n.tail || f&longLevel != 0 && !sameLevel(f, n.text.tail, t.topic[i:j]) {
				return
			}
			i, d = j+1, d+1
		}
		if n.multiFirst != nil {
			p.offerFirst(n.multiFirst, n.multi)
		}
		if i > len(t.topic) {
			if n.hereFirst != nil {
				p.offerFirst(n.hereFirst, n.here)
			}
			return
		}
		l := t.level(d, i)
		j, f := l.end, l.fp
		var exact *topicNode
		if k := n.kids; !k.hashed() {
			for s := range k {
				if k[s].fp == f && (f&longLevel == 0 || sameLevel(f, k[s].node.text.level, t.topic[i:j])) {
					exact = k[s].node
					break
				}
			}
		} else {
			// k.lookup, inlined.
			h := f
			if f&longLevel != 0 {
				h = longHash(t.topic[i:j])
			}
			mask := uint64(len(k) - 1)
			for s := slotOf(h, p.seed, len(k)); ; s = (s + 1) & mask {
				if k[s].node == nil {
					break
				}
				if k[s].fp == f && (f&longLevel == 0 || sameLevel(f, k[s].node.text.level, t.topic[i:j])) {
					exact = k[s].node
					break
				}
			}
		}
		switch plus := n.plus; {
		case exact == nil:
			if n = plus; n == nil {
				return
			}
		case plus == nil:
			n = exact
		case plus.top.outranks(exact.top):
			// Both branches match: walk first the one that holds the
			// best registration, so that it can prune the other.
			p.walk(t, plus, j+1, d+1)
			n = exact
		default:
			p.walk(t, exact, j+1, d+1)
			n = plus
		}
		i, d = j+1, d+1
	}
}
