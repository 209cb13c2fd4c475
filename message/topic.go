package message

import (
	"strings"
	"unicode/utf8"
)

// maxString is the longest UTF-8 string MQTT can carry (a 16-bit length).
const maxString = 65535

// ValidString reports whether s may be sent as an MQTT UTF-8 string: at
// most 65535 bytes, well-formed UTF-8, and no U+0000 [MQTT-1.5.3-1]
// [MQTT-1.5.3-2]. The error wraps [ErrStringTooLong] or [ErrInvalidUTF8].
func ValidString(s string) error {
	if len(s) > maxString {
		return invalid(ErrStringTooLong, "%d bytes", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return invalid(ErrInvalidUTF8, "U+0000 at byte %d", i)
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return invalid(ErrInvalidUTF8, "ill-formed sequence after byte %d", i)
			}
			if strings.IndexByte(s[i:], 0) >= 0 {
				return invalid(ErrInvalidUTF8, "U+0000 in string")
			}
			return nil
		}
	}
	return nil
}

// ValidTopic reports whether name may be used as the topic of a PUBLISH: a
// valid string of at least one byte without the wildcards '+' and '#'
// [MQTT-4.7.3-1] [MQTT-3.3.2-2]. The error wraps [ErrInvalidTopic] or a
// string error.
func ValidTopic(name string) error {
	if name == "" {
		return invalid(ErrInvalidTopic, "empty topic name")
	}
	if i := strings.IndexAny(name, "+#"); i >= 0 {
		return invalid(ErrInvalidTopic, "%q has wildcard %q", name, name[i])
	}
	return ValidString(name)
}

// ValidFilter reports whether filter may be used in SUBSCRIBE or
// UNSUBSCRIBE: a valid non-empty string where '#' stands alone as the last
// level [MQTT-4.7.1-2] and '+' stands alone in its level [MQTT-4.7.1-3].
// The error wraps [ErrInvalidFilter] or a string error.
func ValidFilter(filter string) error {
	if filter == "" {
		return invalid(ErrInvalidFilter, "empty topic filter")
	}
	for i := 0; i < len(filter); i++ {
		switch filter[i] {
		case '#':
			if (i > 0 && filter[i-1] != '/') || i != len(filter)-1 {
				return invalid(ErrInvalidFilter, "%q: '#' must be the whole last level", filter)
			}
		case '+':
			if (i > 0 && filter[i-1] != '/') || (i < len(filter)-1 && filter[i+1] != '/') {
				return invalid(ErrInvalidFilter, "%q: '+' must be a whole level", filter)
			}
		}
	}
	return ValidString(filter)
}

// MatchFilter reports whether topic matches filter. Both are assumed
// valid. '+' matches exactly one level, '#' the parent level and any number
// of levels below it. A filter starting with a wildcard does not match a
// topic starting with '$' [MQTT-4.7.2-1].
func MatchFilter(filter, topic string) bool {
	if len(topic) > 0 && topic[0] == '$' && len(filter) > 0 && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case !fmore && !tmore:
			return true
		case !tmore:
			// "a/#" matches "a": the remaining filter must be exactly "#".
			return frest == "#"
		case !fmore:
			return false
		}
		filter, topic = frest, trest
	}
}

// SplitLevels appends the levels of a topic name or filter to dst and
// returns it. It allocates nothing when dst has room.
func SplitLevels(dst []string, s string) []string {
	for {
		l, rest, more := strings.Cut(s, "/")
		dst = append(dst, l)
		if !more {
			return dst
		}
		s = rest
	}
}
