package router

// An idNode is a node of the packet identifier index: a fixed-depth trie
// over the four nibbles of the 16-bit identifier, most significant first.
// A lookup is four array loads; an insertion or removal copies the four
// nodes on its path (a few hundred bytes) and shares the rest with the
// previous version, so registering the handler of one more in-flight
// packet costs the same whether 10 or 10 000 are pending (a map would
// have to be copied whole at every change).
type idNode struct {
	kids [16]*idNode
	regs regList // at depth 4 only, in precedence order
	size int
}

const idDepth = 4

func nibble(id uint16, depth int) uint16 { return id >> (4 * (idDepth - 1 - depth)) & 15 }

// lookup returns the registrations for id in precedence order.
func (n *idNode) lookup(id uint16) regList {
	for d := 0; d < idDepth && n != nil; d++ {
		n = n.kids[nibble(id, d)]
	}
	if n == nil {
		return regList{}
	}
	return n.regs
}

// insert returns a copy of n, the node at depth d (an empty one when nil),
// with g registered under g.id.
func (n *idNode) insert(d int, g *Registration) *idNode {
	var c idNode
	if n != nil {
		c = *n
	}
	c.size++
	if d == idDepth {
		c.regs = c.regs.Insert(g.level, g)
	} else {
		i := nibble(g.id, d)
		c.kids[i] = c.kids[i].insert(d+1, g)
	}
	return &c
}

// remove returns a copy of n, the node at depth d, without g; nil when
// nothing is left, n itself when g is not there.
func (n *idNode) remove(d int, g *Registration) *idNode {
	if n == nil {
		return nil
	}
	c := *n
	if d == idDepth {
		var k int
		if c.regs, k = c.regs.Remove(func(x *Registration) bool { return x == g }); k == 0 {
			return n
		}
	} else {
		i := nibble(g.id, d)
		k := c.kids[i].remove(d+1, g)
		if k == c.kids[i] {
			return n
		}
		c.kids[i] = k
	}
	c.size--
	if c.size == 0 {
		return nil
	}
	return &c
}

// each calls f for every registration in the subtree.
func (n *idNode) each(f func(*Registration)) {
	if n == nil {
		return
	}
	for _, g := range n.regs.All() {
		f(g)
	}
	for _, k := range n.kids {
		k.each(f)
	}
}
