package router

// A keyIndex maps exact keys (the Subscription Identifier of a
// SubscriptionID condition, the Correlation Data of a Correlation one)
// to their registrations, each list in precedence order. Like every part
// of a table it is immutable once published. Its keys are spread over
// keyShards maps by a hash the caller computes, so that a registration
// copies one small map and the array of shards (half a kilobyte), not
// every key: registering the thousandth pending request costs about what
// the first did, and a lookup is one map access whatever the number of
// keys.
type keyIndex[K comparable] struct {
	shards [keyShards]map[K]regList
	size   int
}

const keyShards = 64

// lookup returns the registrations under k, of hash h.
func (x *keyIndex[K]) lookup(h uint64, k K) regList {
	return x.shards[h%keyShards][k]
}

// insert returns a copy of x (an empty index when nil) with g under k,
// of hash h.
func (x *keyIndex[K]) insert(h uint64, k K, g *Registration) *keyIndex[K] {
	var c keyIndex[K]
	if x != nil {
		c = *x
	}
	s := h % keyShards
	m := make(map[K]regList, len(c.shards[s])+1)
	for key, l := range c.shards[s] {
		m[key] = l
	}
	m[k] = m[k].Insert(g.level, g)
	c.shards[s] = m
	c.size++
	return &c
}

// remove returns a copy of x without g under k, of hash h; nil when
// nothing is left, x itself when g is not there.
func (x *keyIndex[K]) remove(h uint64, k K, g *Registration) *keyIndex[K] {
	if x == nil {
		return nil
	}
	s := h % keyShards
	l, n := x.shards[s][k].Remove(func(y *Registration) bool { return y == g })
	if n == 0 {
		return x
	}
	if x.size == n {
		return nil
	}
	c := *x
	m := make(map[K]regList, len(c.shards[s]))
	for key, v := range c.shards[s] {
		if key != k {
			m[key] = v
		}
	}
	if l.Len() > 0 {
		m[k] = l
	}
	c.shards[s] = m
	c.size -= n
	return &c
}

// each calls f for every registration, in no particular order.
func (x *keyIndex[K]) each(f func(*Registration)) {
	if x == nil {
		return
	}
	for _, m := range x.shards {
		for _, l := range m {
			for _, g := range l.All() {
				f(g)
			}
		}
	}
}
