package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/priority"
)

func TestParseRoute(t *testing.T) {
	for _, tt := range []struct {
		spec, name, cond string // cond "" for a fallback
		level            priority.Level
	}{
		{"alarm=topic:alarms/#@high", "alarm", `topic("alarms/#")`, priority.High},
		{"temps=glob:site/*/temp@10", "temps", `glob("site/*/temp")`, 10},
		{"neg=topic:a/+@-3", "neg", `topic("a/+")`, -3},
		{"crit = topic:x @ Critical", "crit", `topic("x")`, priority.Critical},
		{"plain=topic:a", "plain", `topic("a")`, priority.Normal},
		{"at=topic:user@host", "at", `topic("user@host")`, priority.Normal},
		{"and=topic:site/# & qos:1 & !retained", "and", `and(topic("site/#"), qos(1), not(retained))`, 0},
		{"or=glob:**/status | dup & qos:2", "or", `or(glob("**/status"), and(dup, qos(2)))`, 0},
		{"rest=", "rest", "", 0},
		{"rest=@low", "rest", "", priority.Low},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			rs, err := parseRoute(tt.spec)
			require.NoError(t, err)
			assert.Equal(t, tt.name, rs.name)
			assert.Equal(t, tt.level, rs.level)
			if tt.cond == "" {
				assert.Nil(t, rs.cond, "a fallback")
				return
			}
			require.NotNil(t, rs.cond)
			assert.Equal(t, tt.cond, rs.cond.String())
		})
	}
}

func TestParseRouteErrors(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"no-equals", "NAME=CONDITION"},
		{"=topic:a", "NAME=CONDITION"},
		{"x=topic:a/#/b", "a/#/b"},
		{"x=qos:3", "qos:3"},
		{"x=color:red", `"color:"`},
		{"x=retain", `"retain"`},
		{"x=topic:a &", "empty term"},
		{"x=glob:", "empty glob"},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := parseRoute(tt.spec)
			require.Error(t, err)
			assert.ErrorIs(t, err, errUsage)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// routeArgs are the routes of the binary tests: an alarm route ahead of
// everything, temperatures by glob, QoS 2 messages, and a fallback.
var routeArgs = []string{
	"--route", "alarm=topic:site/+/alarm@critical",
	"--route", "temps=glob:site/*/temp*@high",
	"--route", "urgent=qos:2@10",
	"--route", "rest=",
}

func TestSubRoutes(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "site/a/temp", append([]string{"-t", "site/#", "-q", "2", "-v", "-C", "4"}, routeArgs...)...)
	for _, m := range []struct {
		topic, payload string
		qos            byte
	}{
		{"site/lyon/alarm", "fire", 0},
		{"site/lyon/temperature", "21.5", 0},
		{"site/lyon/door", "open", 2},
		{"site/lyon/door", "closed", 0},
	} {
		require.NoError(t, srv.Publish(m.topic, []byte(m.payload), m.qos, false))
	}
	r := sub.wait()
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, `alarm site/lyon/alarm fire
temps site/lyon/temperature 21.5
urgent site/lyon/door open
rest site/lyon/door closed
`, r.stdout)
}

func TestSubRoutesExplain(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "site/a/temp", "-v", "-C", "2", "--explain",
		"--route", "alarm=topic:site/+/alarm@critical",
		"--route", "temps=glob:site/*/temp*@high")
	require.NoError(t, srv.Publish("site/lyon/temperature", []byte("21.5"), 0, false))
	require.NoError(t, srv.Publish("elsewhere", []byte("x"), 0, false))
	r := sub.wait()
	require.Equal(t, exitOK, r.code, r.stderr)
	t.Logf("sub --explain output:\n%s", r.stdout)
	lines := strings.Split(r.stdout, "\n")
	require.GreaterOrEqual(t, len(lines), 5, r.stdout)
	// The temperature: the alarm route is ruled out by the topic index,
	// the glob route runs.
	assert.Equal(t, "temps site/lyon/temperature 21.5", lines[0])
	assert.Regexp(t, `^    ruled out\s+alarm\s+Critical\s+topic\("site/\+/alarm"\): topic does not match "site/\+/alarm" \(index\)$`, lines[1])
	assert.Regexp(t, `^    runs\s+temps\s+High\s+glob\("site/\*/temp\*"\)$`, lines[2])
	// No route takes "elsewhere", and there is no fallback.
	assert.Equal(t, "- elsewhere x", lines[3])
	// Both routes are listed in precedence order, whatever the way the
	// router set each aside.
	require.GreaterOrEqual(t, len(lines), 7, r.stdout)
	assert.Regexp(t, `^    ruled out\s+alarm\s+Critical`, lines[4])
	assert.Regexp(t, `^    passed over temps\s+High\s+glob\("site/\*/temp\*"\): topic does not match the pattern$`, lines[5])
	assert.Regexp(t, `^    unhandled\s+no route's condition holds`, lines[6])
}

func TestSubRoutesJSON(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "site/a/alarm", append([]string{"-t", "site/#", "-C", "2", "--json", "--explain"}, routeArgs...)...)
	require.NoError(t, srv.Publish("site/lyon/alarm", []byte("fire"), 0, false))
	require.NoError(t, srv.Publish("site/lyon/door", []byte("open"), 0, false))
	r := sub.wait()
	require.Equal(t, exitOK, r.code, r.stderr)
	ms := decodeJSON(t, r.stdout)
	require.Len(t, ms, 2)

	assert.Equal(t, "alarm", ms[0].Route)
	x := ms[0].Explain
	require.NotNil(t, x)
	assert.Equal(t, "conditional", x.Verdict)
	require.NotNil(t, x.Handler)
	assert.Equal(t, jsonRoute{Name: "alarm", Priority: "Critical", Condition: `topic("site/+/alarm")`}, *x.Handler)
	assert.Empty(t, x.PassedOver, "alarm is first in precedence")

	assert.Equal(t, "rest", ms[1].Route)
	x = ms[1].Explain
	require.NotNil(t, x)
	assert.Equal(t, "fallback", x.Verdict)
	var passed []string
	for _, p := range append(x.PassedOver, x.RuledOut...) {
		passed = append(passed, p.Name)
	}
	assert.ElementsMatch(t, []string{"alarm", "temps", "urgent"}, passed, "every conditional route is passed over or ruled out")
	assert.NotEmpty(t, x.Lines)
}
