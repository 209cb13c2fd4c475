package router

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// levelsOf draws topics whose levels cover the cases split treats apart:
// empty, one to seven bytes, exactly eight, longer, a '/' at every
// position of a word, and more levels than cachedLevels.
func levelsOf(r *rand.Rand) string {
	parts := make([]string, 1+r.IntN(12))
	for i := range parts {
		n := []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 40}[r.IntN(12)]
		b := make([]byte, n)
		for j := range b {
			b[j] = "ab$+#-_0123456789\xc3\xa9"[r.IntN(19)]
		}
		parts[i] = string(b)
	}
	return strings.Join(parts, "/")
}

// splitCases are topics at the edges of split's cases.
var splitCases = []string{"", "/", "//", "a", "a/", "/a", "abcdefg", "abcdefgh", "abcdefgh/", "abcdefg/h", "abcdefghi/", "site/1/device/2/temp", "$SYS/broker/load", "a/b/c/d/e/f/g/h/i/j"}

func TestSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	topics := slices.Clone(splitCases)
	for range 20_000 {
		topics = append(topics, levelsOf(r))
	}
	for _, topic := range topics {
		checkSplit(t, topic)
	}
}

func FuzzSplit(f *testing.F) {
	for _, topic := range splitCases {
		f.Add(topic)
	}
	f.Fuzz(checkSplit)
}

// checkSplit checks split and scan on topic against strings.Split
// and fingerprint.
func checkSplit(t *testing.T, topic string) {
	var tl topicLevels
	tl.split(topic)
	want := strings.Split(topic, "/")
	require.Equal(t, min(len(want), cachedLevels), tl.n, "split(%q): levels", topic)
	start := 0
	for d := range tl.n {
		end := start + len(want[d])
		if l := tl.levels[d]; l.end != end || l.fp != fingerprint(want[d]) { // checked only on failure: fuzzed
			require.Failf(t, "split", "split(%q) level %d: end %d fingerprint %#x, want %d %#x", topic, d, l.end, l.fp, end, fingerprint(want[d]))
		}
		start = end + 1
	}
	// Deeper levels are found by scan.
	for d := tl.n; d < len(want); d++ {
		end, fp := tl.scan(start)
		if end != start+len(want[d]) || fp != fingerprint(want[d]) { // checked only on failure: fuzzed
			require.Failf(t, "scan", "scan(%q, %d) = %d, %#x; want %d, %#x", topic, start, end, fp, start+len(want[d]), fingerprint(want[d]))
		}
		start = end + 1
	}
}

func TestFingerprint(t *testing.T) {
	short := map[uint64]string{}
	for _, s := range []string{"", "a", "a\x00", "\x00", "ab", "ba", "abcdefg", "abcdef", "0", "00", "temp", "\xff\xff\xff\xff\xff\xff\xff"} {
		f := fingerprint(s)
		other, dup := short[f]
		assert.False(t, dup, "fingerprint(%q) = fingerprint(%q) = %#x", s, other, f)
		short[f] = s
		assert.Zero(t, f&longLevel, "fingerprint(%q) = %#x, marked long", s, f)
		assert.True(t, sameLevel(f, s, s), "fingerprint(%q) = %#x: sameLevel(f, s, s) false", s, f)
	}
	tests := []struct {
		x, y string
		same bool
	}{
		{"abcdefgh", "abcdefgh", true},
		{"abcdefgh", "abcdefg\xe8", false}, // differ in the bit the mark hides
		{"sensor-00000001", "sensor-00000002", false},
		{"sensor-0000000", "sensor-00000001", false},
		{"sensor-00000001", "sensor-00000001", true},
	}
	for _, tt := range tests {
		fx, fy := fingerprint(tt.x), fingerprint(tt.y)
		assert.NotZero(t, fx&longLevel, "fingerprint(%q) = %#x, not marked long", tt.x, fx)
		assert.Equal(t, tt.same, fx == fy && sameLevel(fx, tt.x, tt.y), "%q and %q: same", tt.x, tt.y)
	}
}

// TestFolding registers and removes filters so that levels are folded
// into their only child and unfolded again, and checks the trie's
// answers and its shape after each step.
func TestFolding(t *testing.T) {
	steps := []struct {
		add, del string // a filter to register or to remove
		folded   int    // nodes standing for two levels afterwards
	}{
		{add: "site/1/device/2/temp", folded: 3},  // the root into "site", "1" into "device", "2" into "temp"
		{add: "site/1/device/+/temp", folded: 4},  // and the new '+' into "temp"
		{add: "site/+/device/3/hum", folded: 6},   // and "3" into "hum", the second '+' into "device"
		{add: "site/1/#", folded: 5},              // "1" holds a registration: not folded
		{del: "site/1/#", folded: 6},              // folded again
		{del: "site/1/device/2/temp", folded: 5},  // "device" is left with a '+' child only
		{add: "site", folded: 5},                  // "site" holds a registration, the root still folds into it
		{del: "site/+/device/3/hum", folded: 3},   //
		{del: "site", folded: 3},                  // back to one filter
		{del: "site/1/device/+/temp", folded: -1}, // nothing left
	}
	topics := []string{"site", "site/1", "site/1/device/2/temp", "site/1/device/9/temp", "site/7/device/3/hum", "site/1/device/3/hum", "site/1/x", "x"}
	r := New(WithoutTopicCache())
	regs := map[string]*Registration{}
	for i, st := range steps {
		if st.add != "" {
			g, err := r.On(message.PUBLISH, func(*Event) {}, Topic(st.add), 0)
			require.NoError(t, err)
			regs[st.add] = g
		} else {
			require.True(t, regs[st.del].Remove(), "step %d: Remove(%s)", i, st.del)
		}
		var root *topicNode
		if tt := r.snap.Load().types[message.PUBLISH]; tt != nil {
			root = tt.topics.trie()
		}
		if !(st.folded < 0 && root == nil) {
			assert.Equal(t, st.folded, countFolded(root), "step %d: folded nodes", i)
		}
		for _, topic := range topics {
			var want *Registration
			for f, g := range regs {
				if !g.done.Load() && message.MatchFilter(f, topic) && (want == nil || before(g, want)) {
					want = g
				}
			}
			if got := r.snap.Load().types[message.PUBLISH]; got != nil {
				if g := r.choose(got, pub(topic)); g != want {
					assert.Failf(t, "chose another registration", "step %d, topic %q: chose %v, want %v", i, topic, routeOf(g), routeOf(want))
				}
			}
		}
	}
}

func countFolded(n *topicNode) int {
	if n == nil {
		return 0
	}
	c := 0
	if n.tail != 0 {
		c++
	}
	c += countFolded(n.plus)
	n.kids.each(func(k *topicNode) { c += countFolded(k) })
	return c
}

func routeOf(g *Registration) string {
	if g == nil {
		return "none"
	}
	return fmt.Sprint(g.cond)
}
