package router

// kids maps the exact levels below a trie node to their nodes. A node
// with at most smallKids children keeps them in a plain list, compared by
// fingerprint; beyond, they are in an open-addressing hash table, at most
// half full, indexed by levelHash.
//
// Like the nodes, a kids value is immutable once published: with returns
// a new one.
type kids struct {
	// slots holds the n children in any order while n <= smallKids;
	// beyond, it is the hash table, of power-of-two length, in which a
	// nil node marks a free slot.
	slots []kidSlot
	n     int
}

type kidSlot struct {
	fp   uint64 // fingerprint of key
	h    uint64 // levelHash of key, in a hash table only
	key  string
	node *topicNode
}

const smallKids = 8

func (k *kids) hashed() bool { return k.n > smallKids }

// scan returns the node of level l, of fingerprint f, in a plain list;
// nil when absent.
func (k *kids) scan(l string, f uint64) *topicNode {
	for i := range k.slots {
		if s := &k.slots[i]; sameLevel(s.key, s.fp, l, f) {
			return s.node
		}
	}
	return nil
}

// lookup returns the node of level l, of fingerprint f and hash h, in a
// hash table; nil when absent.
func (k *kids) lookup(l string, f, h uint64) *topicNode {
	mask := uint64(len(k.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &k.slots[i]
		if s.node == nil {
			return nil
		}
		if s.h == h && sameLevel(s.key, s.fp, l, f) {
			return s.node
		}
	}
}

// get returns the node of level l; nil when absent.
func (k *kids) get(seed uint64, l string) *topicNode {
	f := fingerprint(l)
	if k.hashed() {
		return k.lookup(l, f, levelHash(seed, l, f))
	}
	return k.scan(l, f)
}

// with returns a copy of k in which level l leads to node, or is absent
// when node is nil.
func (k kids) with(seed uint64, l string, node *topicNode) kids {
	var all []kidSlot
	for _, s := range k.slots {
		if s.node != nil && s.key != l {
			all = append(all, s)
		}
	}
	if node != nil {
		all = append(all, kidSlot{fp: fingerprint(l), key: l, node: node})
	}
	out := kids{n: len(all)}
	if !out.hashed() {
		out.slots = all
		return out
	}
	size := 2
	for size < 2*len(all) {
		size *= 2
	}
	out.slots = make([]kidSlot, size)
	mask := uint64(size - 1)
	for _, s := range all {
		s.h = levelHash(seed, s.key, s.fp)
		i := s.h & mask
		for out.slots[i].node != nil {
			i = (i + 1) & mask
		}
		out.slots[i] = s
	}
	return out
}
