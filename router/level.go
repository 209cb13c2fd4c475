package router

import (
	"math/bits"
	"strings"
)

// Levels of topics and filters are compared through a fingerprint, a
// word that a dispatch computes with a few word operations. A level of at
// most seven bytes is its own fingerprint: its bytes, little-endian, with
// its length in the top byte, so two such levels are equal exactly when
// their fingerprints are. A longer level's fingerprint is its first eight
// bytes with the top bit set (never the case for a short one), and equal
// fingerprints then mean equal levels only if the lengths and the bytes
// from the eighth on are equal too. The hash that indexes the children
// tables of nodes with many children is derived from the fingerprint, or,
// for a long level, from all of its bytes.

// longLevel marks the fingerprint of a level of eight bytes or more.
const longLevel = 1 << 63

// fingerprint returns the fingerprint of level s.
func fingerprint(s string) uint64 {
	if len(s) >= 8 {
		return le64(s) | longLevel
	}
	var f uint64
	for i := range len(s) {
		f |= uint64(s[i]) << (8 * i)
	}
	return f | uint64(len(s))<<56
}

// sameLevel reports whether levels x and y, of equal fingerprint f, are
// equal.
func sameLevel(f uint64, x, y string) bool {
	return f&longLevel == 0 || len(x) == len(y) && x[7:] == y[7:]
}

// levelHash returns the hash of level s, of fingerprint f, for the
// children table of size slots (a power of two) of a router of the given
// seed: the top bits of a multiplication of the fingerprint, or for a
// long level of all its bytes folded in eight at a time. It is not meant
// to resist an attacker: a table's probe sequences depend only on the
// levels of the registered filters, which the application chooses, so a
// topic crafted to collide costs at most a few more comparisons.
func levelHash(seed uint64, s string, f uint64, size int) uint64 {
	h := f
	if f&longLevel != 0 {
		h = longHash(s)
	}
	return slotOf(h, seed, size)
}

// slotOf returns the slot of a table of size slots for a level hashed
// (or, short, fingerprinted) to h.
func slotOf(h, seed uint64, size int) uint64 {
	return (h ^ seed) * golden >> (64 - bits.TrailingZeros(uint(size)))
}

const golden = 0x9e3779b97f4a7c15 // 2**64 divided by the golden ratio, odd

// longHash folds all the bytes of a long level into a word.
func longHash(s string) uint64 {
	h := uint64(len(s))
	for len(s) >= 8 {
		h = bits.RotateLeft64((h^le64(s))*golden, 29)
		s = s[8:]
	}
	return h ^ fingerprint(s)
}

const slashes = 0x2f2f2f2f2f2f2f2f // '/' in every byte

// scan returns the end of the topic level that starts at i (the index of
// the next '/', or len(topic)) and its fingerprint.
func (t *topicLevels) scan(i int) (end int, fp uint64) {
	end = len(t.topic)
	if n := strings.IndexByte(t.topic[i:], '/'); n >= 0 {
		end = i + n
	}
	return end, fingerprint(t.topic[i:end])
}

// le64 returns the first eight bytes of s as a little-endian word; the
// compiler makes it one load.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// cachedLevels is how many levels of a topic a dispatch locates up
// front; deeper levels, rare in practice, are located by each branch of
// the walk that reaches them.
const cachedLevels = 8

// topicLevels is a topic with its first levels located: level d < n
// ends at levels[d].end and has fingerprint levels[d].fp.
type topicLevels struct {
	topic  string
	n      int
	levels [cachedLevels]located
	deeper located // a level beyond the located ones; see level
}

// located is where a topic level ends and its fingerprint.
type located struct {
	end int
	fp  uint64
}

// split locates the first cachedLevels levels of topic, a level at a
// time: it loads the eight bytes at the start of the level as a word and
// finds the first '/' among them with word operations, so that a level
// shorter than eight bytes, the usual case, costs a few instructions and
// no loop. Near the end of a topic, the word is the topic's last eight
// bytes, shifted to drop those before the level. A topic shorter than
// eight bytes is read byte by byte.
func (t *topicLevels) split(topic string) {
	t.topic = topic
	if len(topic) < 8 {
		t.splitShort()
		return
	}
	i := 0
	for d := range cachedLevels {
		var w uint64
		if rem := len(topic) - i; rem >= 8 {
			w = le64(topic[i:])
		} else {
			w = le64(topic[len(topic)-8:]) >> (8 * (8 - rem))
		}
		// x has a zero byte where w has a '/'; the lowest byte that m
		// marks with its top bit is the first of them (a borrow may
		// mark bytes above it too, which are not used).
		x := w ^ slashes
		if m := (x - 0x0101010101010101) &^ x & 0x8080808080808080; m != 0 {
			n := bits.TrailingZeros64(m) >> 3
			t.levels[d].end, t.levels[d].fp = i+n, w&byteMasks[n&7]|uint64(n)<<56
			i += n + 1
			continue
		}
		t.n = d + 1
		switch rem := len(topic) - i; {
		case rem < 8:
			t.levels[d].end, t.levels[d].fp = len(topic), w|uint64(rem)<<56
			return
		case rem == 8:
			t.levels[d].end, t.levels[d].fp = len(topic), w|longLevel
			return
		}
		t.levels[d].fp = w | longLevel
		n := strings.IndexByte(topic[i+8:], '/')
		if n < 0 {
			t.levels[d].end = len(topic)
			return
		}
		t.levels[d].end = i + 8 + n
		i += 8 + n + 1
	}
	t.n = cachedLevels
}

// splitShort is split for a topic shorter than eight bytes.
func (t *topicLevels) splitShort() {
	i := 0
	for d := range cachedLevels {
		end, fp := t.scan(i)
		t.levels[d].end, t.levels[d].fp, t.n = end, fp, d+1
		if end == len(t.topic) {
			return
		}
		i = end + 1
	}
}

// byteMasks[n] keeps the n low bytes of a word. It is read only.
var byteMasks = [...]uint64{0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff}

// level returns where level d of the topic, which starts at offset i,
// ends and its fingerprint: one of the levels located up front when d is
// one of them, else the scratch entry, filled by scanning. Read the
// result before the next call. level is small enough to be inlined into
// the walk.
func (t *topicLevels) level(d, i int) *located {
	if d < t.n {
		return &t.levels[d]
	}
	return t.scanDeeper(i)
}

// scanDeeper is level for a level that was not located up front. It is
// kept out of line so that level stays small enough to inline.
//
//go:noinline
func (t *topicLevels) scanDeeper(i int) *located {
	t.deeper.end, t.deeper.fp = t.scan(i)
	return &t.deeper
}
