package message

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidString(t *testing.T) {
	tests := []struct {
		name string
		s    string
		err  error
	}{
		{"empty", "", nil},
		{"ASCII", "hello/world", nil},
		{"two-byte rune", "caf\u00e9", nil},
		{"four-byte rune", "\U0001F600", nil},
		{"U+FFFF noncharacter is allowed", "\uffff", nil},
		{"largest length", strings.Repeat("a", 65535), nil},
		{"longer than 65535 bytes", strings.Repeat("a", 65536), ErrStringTooLong},
		{"U+0000 first", "\x00a", ErrInvalidUTF8},
		{"U+0000 last", "a\x00", ErrInvalidUTF8},
		{"U+0000 after a multi-byte rune", "\u00e9\x00", ErrInvalidUTF8},
		{"lone continuation byte", "a\x80", ErrInvalidUTF8},
		{"truncated rune", "a\xe2\x82", ErrInvalidUTF8},
		{"overlong U+0000", "\xc0\x80", ErrInvalidUTF8},
		{"overlong slash", "\xc0\xaf", ErrInvalidUTF8},
		{"surrogate half", "\xed\xa0\x80", ErrInvalidUTF8},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", ErrInvalidUTF8},
		{"0xff byte", "\xff", ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidString(tt.s)
			if tt.err == nil {
				assert.NoError(t, err, "ValidString(%.20q)", tt.s)
			} else {
				assert.ErrorIs(t, err, tt.err, "ValidString(%.20q)", tt.s)
			}
			assert.NotErrorIs(t, err, ErrMalformed, "ValidString(%.20q): want no ErrMalformed for an argument", tt.s)
		})
	}
}

func TestValidTopic(t *testing.T) {
	tests := []struct {
		topic string
		err   error
	}{
		{"a", nil},
		{"a/b/c", nil},
		{"/", nil},
		{"/a", nil},
		{"a/", nil},
		{"a//b", nil},
		{" ", nil},
		{"$SYS/broker/load", nil},
		{"$", nil},
		{"a$b", nil},
		{"caf\u00e9/\u65e5\u672c", nil},
		{strings.Repeat("x", 65535), nil},
		{"", ErrInvalidTopic},
		{"+", ErrInvalidTopic},
		{"#", ErrInvalidTopic},
		{"a/+/b", ErrInvalidTopic},
		{"a/#", ErrInvalidTopic},
		{"a+b", ErrInvalidTopic},
		{"a#", ErrInvalidTopic},
		{"a\x00b", ErrInvalidUTF8},
		{"a/\xff", ErrInvalidUTF8},
		{strings.Repeat("x", 65536), ErrStringTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.topic[:min(len(tt.topic), 20)], func(t *testing.T) {
			err := ValidTopic(tt.topic)
			if tt.err == nil {
				assert.NoError(t, err, "ValidTopic(%.20q)", tt.topic)
			} else {
				assert.ErrorIs(t, err, tt.err, "ValidTopic(%.20q)", tt.topic)
			}
		})
	}
}

func TestValidFilter(t *testing.T) {
	tests := []struct {
		filter string
		err    error
	}{
		{"a", nil},
		{"a/b", nil},
		{"#", nil},
		{"+", nil},
		{"+/+", nil},
		{"/+", nil},
		{"+/", nil},
		{"a/#", nil},
		{"/#", nil},
		{"+/#", nil},
		{"a/+/b/#", nil},
		{"$SYS/#", nil},
		{"//", nil},
		{"$", nil},
		{"", ErrInvalidFilter},
		{"a/#/b", ErrInvalidFilter},
		{"#/", ErrInvalidFilter},
		{"#/a", ErrInvalidFilter},
		{"##", ErrInvalidFilter},
		{"#x", ErrInvalidFilter},
		{"x#", ErrInvalidFilter},
		{"a/b#", ErrInvalidFilter},
		{"a+/b", ErrInvalidFilter},
		{"a/+b", ErrInvalidFilter},
		{"++", ErrInvalidFilter},
		{"a/b+", ErrInvalidFilter},
		{"+#", ErrInvalidFilter},
		{"a\x00/#", ErrInvalidUTF8},
		{"\xc3/+", ErrInvalidUTF8},
		{strings.Repeat("+/", 32767) + "#", nil},
		{strings.Repeat("+/", 32768), ErrStringTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.filter[:min(len(tt.filter), 20)], func(t *testing.T) {
			err := ValidFilter(tt.filter)
			if tt.err == nil {
				assert.NoError(t, err, "ValidFilter(%.20q)", tt.filter)
			} else {
				assert.ErrorIs(t, err, tt.err, "ValidFilter(%.20q)", tt.filter)
			}
		})
	}
}

// matchTests are MatchFilter cases, also the seeds of FuzzTopic.
var matchTests = []struct {
	filter, topic string
	want          bool
}{
	{"a/b", "a/b", true},
	{"a/b", "a/c", false},
	{"a/b", "a", false},
	{"a", "a/b", false},
	{"a/b", "a/b/", false},
	{"a/b/", "a/b", false},
	{"a/b/", "a/b/", true},
	{"A", "a", false},

	// '+' matches exactly one level, also an empty one.
	{"+", "a", true},
	{"+", "a/b", false},
	{"+", "/", false},
	{"+/+", "/", true},
	{"+/a", "/a", true},
	{"/+", "/a", true},
	{"/+", "/", true},
	{"a/+", "a/", true},
	{"a/+", "a", false},
	{"a/+/c", "a/b/c", true},
	{"a/+/c", "a//c", true},
	{"a/+/c", "a/b/d", false},
	{"a/+/c", "a/b/x/c", false},
	{"+/+/+", "a/b/c", true},
	{"+/+/+", "a/b", false},

	// '#' matches its parent level and every level below it.
	{"#", "a", true},
	{"#", "a/b/c", true},
	{"#", "/", true},
	{"#", "/a", true},
	{"a/#", "a", true},
	{"a/#", "a/", true},
	{"a/#", "a/b", true},
	{"a/#", "a/b/c", true},
	{"a/#", "ab", false},
	{"a/#", "b/a", false},
	{"a/b/#", "a", false},
	{"+/#", "a", true},
	{"+/#", "a/b/c", true},
	{"/#", "/", true},
	{"/#", "a", false},
	{"a/+/#", "a", false},
	{"a/+/#", "a/b", true},

	// [MQTT-4.7.2-1]: a leading wildcard matches no '$' topic.
	{"#", "$SYS/x", false},
	{"#", "$SYS", false},
	{"+/x", "$SYS/x", false},
	{"+", "$SYS", false},
	{"+/#", "$SYS/x", false},
	{"$SYS/#", "$SYS/x", true},
	{"$SYS/#", "$SYS", true},
	{"$SYS/+", "$SYS/x", true},
	{"$SYS/x", "$SYS/x", true},
	{"$SYS/#", "$SYSTEM/x", false},
	{"a/#", "a/$x", true},
	{"a/+", "a/$x", true},
	{"#", "a$", true},
	{"+", "a$", true},
}

func TestMatchFilter(t *testing.T) {
	for _, tt := range matchTests {
		t.Run(tt.filter+" vs "+tt.topic, func(t *testing.T) {
			assert.Equal(t, tt.want, MatchFilter(tt.filter, tt.topic), "MatchFilter(%q, %q)", tt.filter, tt.topic)
			assert.Equal(t, tt.want, matchReference(tt.filter, tt.topic), "matchReference(%q, %q)", tt.filter, tt.topic)
		})
	}
}

// matchReference is MatchFilter written from the specification's words,
// level by level, for the fuzz target to compare against.
func matchReference(filter, topic string) bool {
	fl := SplitLevels(nil, filter)
	tl := SplitLevels(nil, topic)
	if strings.HasPrefix(topic, "$") && (fl[0] == "+" || fl[0] == "#") {
		return false
	}
	for i, f := range fl {
		if f == "#" {
			return true // this level, possibly absent, and all below
		}
		if i >= len(tl) || (f != "+" && f != tl[i]) {
			return false
		}
	}
	return len(fl) == len(tl)
}

func TestSplitLevels(t *testing.T) {
	tests := []struct {
		s    string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a/b/c", []string{"a", "b", "c"}},
		{"/", []string{"", ""}},
		{"/a/", []string{"", "a", ""}},
		{"a//b", []string{"a", "", "b"}},
		{"+/#", []string{"+", "#"}},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			assert.Equal(t, tt.want, SplitLevels(nil, tt.s), "SplitLevels(%q)", tt.s)
			dst := make([]string, 0, 8)
			assert.Zero(t, testing.AllocsPerRun(10, func() { SplitLevels(dst, tt.s) }), "SplitLevels into a slice with room: allocations")
		})
	}
}
