package router

// A keyIndex maps exact keys (the Subscription Identifier of a
// SubscriptionID condition, the Correlation Data of a Correlation one)
// to their registrations, each list in precedence order. Like every part
// of a table it is immutable once published. Its keys are spread, by a
// hash the caller computes, over keyFan groups of keyFan small maps, so
// that a registration copies one such map and the two arrays on its path
// (a kilobyte), never every key: registering the ten-thousandth pending
// request costs about what the first did. A lookup is two array loads
// and one map access, whatever the number of keys.
type keyIndex[K comparable] struct {
	groups [keyFan]*keyGroup[K]
	size   int
}

type keyGroup[K comparable] struct {
	maps [keyFan]map[K]regList
	size int
}

const keyFan = 64

// slots returns the group and the map within it of a key of hash h.
func slots(h uint64) (g, m uint64) { return h % keyFan, h / keyFan % keyFan }

// lookup returns the registrations under k, of hash h.
func (x *keyIndex[K]) lookup(h uint64, k K) regList {
	gi, mi := slots(h)
	if g := x.groups[gi]; g != nil {
		return g.maps[mi][k]
	}
	return regList{}
}

// insert returns a copy of x (an empty index when nil) with g under k,
// of hash h.
func (x *keyIndex[K]) insert(h uint64, k K, g *Registration) *keyIndex[K] {
	return x.with(h, k, func(l regList) (regList, int) { return l.Insert(g.level, g), 1 })
}

// remove returns a copy of x without g under k, of hash h; nil when
// nothing is left, x itself when g is not there.
func (x *keyIndex[K]) remove(h uint64, k K, g *Registration) *keyIndex[K] {
	return x.with(h, k, func(l regList) (regList, int) {
		l, n := l.Remove(func(y *Registration) bool { return y == g })
		return l, -n
	})
}

// with returns a copy of x in which the list under k, of hash h, is f's
// change of it, f also returning the change in size; x itself when the
// size does not change, nil when the copy would be empty.
func (x *keyIndex[K]) with(h uint64, k K, f func(regList) (regList, int)) *keyIndex[K] {
	var c keyIndex[K]
	if x != nil {
		c = *x
	}
	gi, mi := slots(h)
	var grp keyGroup[K]
	if p := c.groups[gi]; p != nil {
		grp = *p
	}
	l, d := f(grp.maps[mi][k])
	if d == 0 {
		return x
	}
	if c.size += d; c.size == 0 {
		return nil
	}
	m := make(map[K]regList, len(grp.maps[mi])+1)
	for key, v := range grp.maps[mi] {
		m[key] = v
	}
	if l.Len() > 0 {
		m[k] = l
	} else {
		delete(m, k)
	}
	grp.maps[mi] = m
	if grp.size += d; grp.size == 0 {
		c.groups[gi] = nil
	} else {
		c.groups[gi] = &grp
	}
	return &c
}

// each calls f for every registration, in no particular order.
func (x *keyIndex[K]) each(f func(*Registration)) {
	if x == nil {
		return
	}
	for _, grp := range x.groups {
		if grp == nil {
			continue
		}
		for _, m := range grp.maps {
			for _, l := range m {
				for _, g := range l.All() {
					f(g)
				}
			}
		}
	}
}
