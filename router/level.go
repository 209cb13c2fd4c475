package router

import (
	"math/bits"
	"strings"
)

// Levels of topics and filters are compared through a fingerprint: their
// first eight bytes packed into a word (for a shorter level, two
// overlapping loads that cover it). Two levels of at most eight bytes are
// equal exactly when their lengths and fingerprints are, so comparing the
// levels a dispatch meets in the trie is mostly integer comparisons; a
// longer level compares its other bytes too. The hash that indexes the
// children tables of nodes with many children is derived from the
// fingerprint, the rest of the level and the router's random seed.

// fingerprint returns the fingerprint of level s.
func fingerprint(s string) uint64 {
	n := len(s)
	switch {
	case n >= 8:
		return le64(s)
	case n >= 4:
		return le32(s) | le32(s[n-4:])<<32
	case n >= 2:
		return le16(s) | le16(s[n-2:])<<16
	case n == 1:
		return uint64(s[0])
	}
	return 0
}

// sameLevel reports whether levels x and y, of fingerprints fx and fy,
// are equal.
func sameLevel(x string, fx uint64, y string, fy uint64) bool {
	return fx == fy && len(x) == len(y) && (len(x) <= 8 || x[8:] == y[8:])
}

// levelHash hashes level s of fingerprint f under seed: the fingerprint,
// the length, and the bytes past the eighth, eight at a time, folded in
// with multiplications and rotations, then a final avalanche. It is not
// meant to resist an attacker: a table's probe sequences depend only on
// the levels of the registered filters, which the application chooses,
// so a topic crafted to collide costs at most a few more comparisons.
func levelHash(seed uint64, s string, f uint64) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := (seed ^ f) * m
	h ^= uint64(len(s))
	if len(s) > 8 {
		s = s[8:]
		for len(s) >= 8 {
			h = bits.RotateLeft64((h^le64(s))*m, 29)
			s = s[8:]
		}
		h = bits.RotateLeft64((h^fingerprint(s))*m, 29)
	}
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return h ^ h>>31
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

func le16(s string) uint64 {
	_ = s[1]
	return uint64(s[0]) | uint64(s[1])<<8
}

// cachedLevels is how many levels of a topic a dispatch splits and
// fingerprints up front; deeper levels, rare in practice, are worked out
// when the walk reaches them.
const cachedLevels = 8

// topicLevels is a topic split into levels: level d is lv[d], of
// fingerprint fp[d], for the first cachedLevels levels.
type topicLevels struct {
	n      int   // number of levels
	dollar bool  // the topic starts with '$'
	hashed uint8 // bit d set: hash[d] is computed
	seed   uint64
	lv     [cachedLevels]string
	fp     [cachedLevels]uint64
	hash   [cachedLevels]uint64
	rest   string // what follows level cachedLevels-1, when n > cachedLevels
}

func (t *topicLevels) split(seed uint64, topic string) {
	t.seed = seed
	t.dollar = len(topic) > 0 && topic[0] == '$'
	for d := range cachedLevels {
		i := strings.IndexByte(topic, '/')
		if i < 0 {
			t.lv[d], t.fp[d] = topic, fingerprint(topic)
			t.n = d + 1
			return
		}
		t.lv[d], t.fp[d] = topic[:i], fingerprint(topic[:i])
		topic = topic[i+1:]
	}
	t.rest = topic
	t.n = cachedLevels + 1 + strings.Count(topic, "/")
}

// beyond returns level d, past the cached ones, and its fingerprint.
func (t *topicLevels) beyond(d int) (string, uint64) {
	rest := t.rest
	for range d - cachedLevels {
		_, rest, _ = strings.Cut(rest, "/")
	}
	l, _, _ := strings.Cut(rest, "/")
	return l, fingerprint(l)
}

// hashAt returns the hash of level d, which is l of fingerprint f.
func (t *topicLevels) hashAt(d int, l string, f uint64) uint64 {
	if d >= cachedLevels {
		return levelHash(t.seed, l, f)
	}
	if t.hashed&(1<<d) == 0 {
		t.hash[d] = levelHash(t.seed, l, f)
		t.hashed |= 1 << d
	}
	return t.hash[d]
}
