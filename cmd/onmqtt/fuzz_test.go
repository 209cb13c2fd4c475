package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// FuzzParseRoute checks that any --route value either parses into a
// condition the router accepts (a bad glob pattern aside, which only the
// router checks) or is refused with a usage error, and never panics.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{
		"alarm=topic:alarms/#@high", "temps=glob:site/*/temp@10", "rest=", "x=!retained & qos:1 | dup@-4",
		"a=topic:+/+/#", "b=glob:{a,b}/**", "c=glob:[", "=", "x", "x=topic:a/#/b", "x=qos:9", "x=!!dup@critical",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		rs, err := parseRoute(spec)
		if err != nil {
			require.ErrorIsf(t, err, errUsage, "parseRoute(%q)", spec)
			return
		}
		require.NotEmptyf(t, rs.name, "parseRoute(%q): empty name accepted", spec)
		r := router.New()
		if _, err := r.On(message.PUBLISH, func(*router.Event) {}, rs.cond, rs.level); err != nil {
			require.ErrorIsf(t, err, router.ErrInvalidGlob, "parseRoute(%q) gave %v, which the router refuses", spec, rs.cond)
		}
	})
}
