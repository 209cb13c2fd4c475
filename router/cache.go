package router

import (
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
)

// A topicIndex is one version of a type's topic trie together with a
// cache of its answers. MQTT applications see the same topics again and
// again (a sensor publishes to its topic every few seconds), so each
// version of the trie remembers, for the topics it has been asked about
// more than once, which of its registrations match them, in precedence
// order: a dispatch for such a topic hashes the topic and reads a short
// list instead of walking the trie.
//
// The cache belongs to the trie version: registering or removing a
// Topic-indexed handler publishes a new trie with an empty cache, while
// changes to the other handlers of the type keep both. It is created
// once the trie has served cacheAfter dispatches, so versions that
// registrations replace quickly never pay for it. It is a set-associative table of cacheSlots
// entries in buckets of cacheWays, whose hashes sit side by side in one
// cache line per bucket; a topic enters it on its second miss
// (remembered by its hash in a smaller table apart), so a stream of
// distinct topics never allocates, and an entry, once made, is never
// modified. All of it is read and written with atomic loads and stores:
// a dispatch still never locks.
type topicIndex struct {
	root  *topicNode
	after uint32        // dispatches to serve before making the cache
	uses  atomic.Uint32 // dispatches served before the cache exists
	cache atomic.Pointer[topicCache]
}

const (
	cacheAfter = 1024
	cacheSlots = 4096 // entries; the cache takes 72 KiB once created
	cacheWays  = 8    // entries a topic may take, in one bucket
	seenSlots  = 1024 // hashes of topics that missed once
	seenWays   = 4
	maxCached  = 16 // candidates in one entry; a topic with more is not cached
)

type topicCache struct {
	seed maphash.Seed
	// tags[i] is the hash of entries[i]'s topic: a hint, confirmed by
	// the entry itself.
	tags    [cacheSlots]atomic.Uint64
	entries [cacheSlots]atomic.Pointer[cacheEntry]
	// seen holds hashes of topics that missed once, in buckets chosen by
	// other bits of the hash.
	seen [seenSlots]atomic.Uint64
}

// A cacheEntry lists the trie's registrations whose filter matches topic,
// in precedence order. When complete is false the list stops at the first
// registration whose condition is its filter alone (rest == nil): it
// always holds, so the candidates after it matter only once it is done.
type cacheEntry struct {
	hash     uint64
	topic    string
	regs     []*Registration
	complete bool
}

func newTopicIndex(root *topicNode, after uint32) *topicIndex {
	if root == nil {
		return nil
	}
	return &topicIndex{root: root, after: after}
}

// trie returns the trie's root; nil for a nil index.
func (ti *topicIndex) trie() *topicNode {
	if ti == nil {
		return nil
	}
	return ti.root
}

// offer offers p the registrations whose filter matches topic.
func (ti *topicIndex) offer(p *pick, topic string) {
	c := ti.cache.Load()
	if c == nil {
		if ti.after > 0 && ti.uses.Load() < ti.after && ti.uses.Add(1) == ti.after {
			ti.cache.Store(&topicCache{seed: maphash.MakeSeed()})
		}
		ti.walk(p, topic)
		return
	}
	h := maphash.String(c.seed, topic)
	b := h % (cacheSlots / cacheWays) * cacheWays
	tags, entries := c.tags[b:][:cacheWays], c.entries[b:][:cacheWays]
	for i := range tags {
		if tags[i].Load() != h {
			continue
		}
		en := entries[i].Load()
		if en == nil || en.hash != h || en.topic != topic {
			continue
		}
		if p.offerAll(en.regs) || en.complete {
			return
		}
		// The entry's last, unconditional candidate is gone (a one-shot
		// that fired): walk for the ones after it.
		ti.walk(p, topic)
		return
	}
	ti.walk(p, topic)
	if !c.sawBefore(h) {
		return
	}
	en := ti.entry(p.seed, topic, h)
	if en == nil {
		return
	}
	i := 0
	for i < cacheWays && entries[i].Load() != nil {
		i++
	}
	if i == cacheWays {
		i = rand.IntN(cacheWays)
	}
	entries[i].Store(en)
	tags[i].Store(h)
}

// sawBefore reports whether the topic of hash h missed before, and
// remembers it otherwise, in a random way of its bucket so that topics
// that share a bucket do not keep evicting each other.
func (c *topicCache) sawBefore(h uint64) bool {
	bucket := c.seen[h>>32%(seenSlots/seenWays)*seenWays:][:seenWays]
	for i := range bucket {
		if bucket[i].Load() == h {
			bucket[i].Store(0)
			return true
		}
	}
	bucket[rand.IntN(seenWays)].Store(h)
	return false
}

// entry builds the cache entry of topic, whose hash is h; nil when the
// topic has too many candidates to cache.
func (ti *topicIndex) entry(seed uint64, topic string, h uint64) *cacheEntry {
	var regs []*Registration
	q := pick{seed: seed, rank: lowest, collected: &regs}
	ti.walk(&q, topic)
	slices.SortFunc(regs, byRank)
	complete := true
	if i := slices.IndexFunc(regs, func(g *Registration) bool { return g.rest == nil }); i >= 0 && i < len(regs)-1 {
		regs, complete = regs[:i+1], false
	}
	if len(regs) > maxCached {
		return nil
	}
	return &cacheEntry{hash: h, topic: strings.Clone(topic), regs: slices.Clip(regs), complete: complete}
}

// byRank orders registrations by precedence, for slices.SortFunc.
func byRank(a, b *Registration) int {
	switch {
	case before(a, b):
		return -1
	case before(b, a):
		return 1
	}
	return 0
}
