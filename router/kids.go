package router

// kids maps the exact levels below a trie node to their nodes. A node
// with at most smallKids children keeps them in a plain list, compared by
// fingerprint; beyond, they are in an open-addressing hash table, at most
// half full, indexed by levelHash. Either way a slot holds only a
// fingerprint and a node: a lookup reads 16 bytes per slot it visits, and
// a matching fingerprint is the level itself unless the level is eight
// bytes or more, in which case the node's level confirms it.
//
// Like the nodes, a kids value is immutable once published: with returns
// a new one.
type kids []kidSlot

type kidSlot struct {
	fp   uint64 // fingerprint of node.text.level
	node *topicNode
}

const smallKids = 8

// hashed reports whether k is a hash table rather than a plain list: a
// table has at least twice as many slots as children, and more children
// than smallKids.
func (k kids) hashed() bool { return len(k) > smallKids }

// find returns the node of level l, of fingerprint f; nil when there is
// none. seed is the router's, for the hash.
func (k kids) find(seed uint64, l string, f uint64) *topicNode {
	if k.hashed() {
		return k.lookup(seed, l, f)
	}
	for i := range k {
		if k[i].fp == f && sameLevel(f, k[i].node.text.level, l) {
			return k[i].node
		}
	}
	return nil
}

// lookup is find in a hash table.
func (k kids) lookup(seed uint64, l string, f uint64) *topicNode {
	mask := uint64(len(k) - 1)
	for i := levelHash(seed, l, f, len(k)); ; i = (i + 1) & mask {
		s := &k[i]
		if s.node == nil {
			return nil
		}
		if s.fp == f && sameLevel(f, s.node.text.level, l) {
			return s.node
		}
	}
}

// get returns the node of level l; nil when there is none.
func (k kids) get(seed uint64, l string) *topicNode {
	return k.find(seed, l, fingerprint(l))
}

// with returns a copy of k in which level l leads to node, or is absent
// when node is nil. node.text.level must be l.
func (k kids) with(seed uint64, l string, node *topicNode) kids {
	all := make([]kidSlot, 0, len(k)+1)
	for _, s := range k {
		if s.node != nil && s.node.text.level != l {
			all = append(all, s)
		}
	}
	if node != nil {
		all = append(all, kidSlot{fp: fingerprint(l), node: node})
	}
	if len(all) <= smallKids {
		return kids(all)
	}
	size := 2
	for size < 2*len(all) {
		size *= 2
	}
	out := make(kids, size)
	mask := uint64(size - 1)
	for _, s := range all {
		i := levelHash(seed, s.node.text.level, s.fp, size)
		for out[i].node != nil {
			i = (i + 1) & mask
		}
		out[i] = s
	}
	return out
}

// each calls f for every child.
func (k kids) each(f func(*topicNode)) {
	for _, s := range k {
		if s.node != nil {
			f(s.node)
		}
	}
}
