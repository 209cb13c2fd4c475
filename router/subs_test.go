package router

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"billing/#", "bill/#", false},
		{"billing/#", "billing/#", true},
		{"billing/#", "#", true},
		{"billing/#", "billing", true}, // "billing/#" matches "billing"
		{"billing/+", "billing", false},
		{"a/+/c", "a/b/+", true},
		{"a/+/c", "a/b/d", false},
		{"a/b", "a/b/c", false},
		{"+/+", "a/#", true},
		{"#", "$SYS/x", false},
		{"+/broker/uptime", "$SYS/broker/uptime", false},
		{"$SYS/#", "$SYS/broker/+", true},
		{"+/a", "#", true},
		{"", "", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, overlap(tt.a, tt.b), "overlap(%q, %q)", tt.a, tt.b)
		assert.Equal(t, tt.want, overlap(tt.b, tt.a), "overlap(%q, %q)", tt.b, tt.a)
	}
}

// TestSubscriptions: with the subscriptions known, Explain says which
// delivers the topic, and warns when none does; Routes and Explain warn
// about a handler whose filter no subscription can deliver.
func TestSubscriptions(t *testing.T) {
	r := New()
	nop := func(*Event) {}
	billing, err := r.On(message.PUBLISH, nop, Topic("billing/#"), priority.High)
	require.NoError(t, err)
	billing.SetName("billing")
	_, err = r.On(message.PUBLISH, nop, nil, 0)
	require.NoError(t, err)

	// Unknown subscriptions: nothing is said.
	x := r.Explain(reading("billing/eu", "{}"))
	assert.False(t, x.SubscriptionsKnown)
	assert.Empty(t, x.Warnings)
	assert.Empty(t, billing.Route().Warning)

	r.SetSubscriptionSource(Subscribed("bill/#", "alerts/+"))
	x = r.Explain(reading("billing/eu", "{}"))
	require.True(t, x.SubscriptionsKnown)
	assert.Equal(t, []string{"bill/#", "alerts/+"}, x.Subscriptions)
	assert.Empty(t, x.DeliveredBy)
	require.NotNil(t, x.Handler)
	assert.Equal(t, billing.seq, x.Handler.Seq)
	require.Len(t, x.Warnings, 2)
	assert.Equal(t, `no subscription delivers topic "billing/eu" (subscriptions: "bill/#", "alerts/+"): no such message can arrive`, x.Warnings[0])
	assert.Equal(t, `the handler that runs: no subscription delivers a topic that "billing/#" matches (subscriptions: "bill/#", "alerts/+")`, x.Warnings[1])
	s := x.String()
	assert.Contains(t, s, "  warning: no subscription delivers topic \"billing/eu\"")
	routes := r.Routes()
	require.Len(t, routes, 2)
	assert.Contains(t, routes[0].Warning, `"billing/#"`)
	assert.Contains(t, routes[0].String(), "(warning: no subscription delivers a topic that \"billing/#\" matches")
	assert.Empty(t, routes[1].Warning, "the fallback has no filter")
	assert.Equal(t, routes[0].Warning, billing.Route().Warning)

	// A subscription that covers the handler, shared or not, silences
	// both warnings.
	for _, sub := range []string{"billing/#", "$share/accounts/billing/+", "#"} {
		r.SetSubscriptionSource(Subscribed("bill/#", sub))
		x = r.Explain(reading("billing/eu", "{}"))
		assert.Equal(t, []string{sub}, x.DeliveredBy, sub)
		assert.Empty(t, x.Warnings, sub)
		assert.Contains(t, x.String(), "delivered by the subscription to "+`"`+sub+`"`)
		assert.Empty(t, r.Routes()[0].Warning, sub)
	}

	// Acknowledgements are about the client's own messages: their topics
	// need no subscription.
	r.SetSubscriptionSource(Subscribed("bill/#"))
	x = r.Explain(&Event{Type: message.PUBACK, ID: 4, Sent: &message.Message{Topic: "billing/eu"}})
	assert.Empty(t, x.Warnings)

	r.SetSubscriptionSource(nil)
	assert.False(t, r.Explain(reading("billing/eu", "{}")).SubscriptionsKnown)
}

// TestSharedTopic: a Topic condition on a shared subscription's filter
// matches the topics of the filter without the prefix, is indexed under
// it, and Explain says so.
func TestSharedTopic(t *testing.T) {
	rec := newRecorder(t, []reg{
		{name: "jobs", cond: Topic("$share/workers/jobs/#"), p: priority.High},
		{name: "and", cond: And(Topic("$share/w/tasks/+"), Not(Dup())), p: priority.Normal},
		{name: "fallback"},
	})
	assert.Equal(t, []string{"jobs"}, rec.dispatch(pub("jobs/7")))
	assert.Equal(t, []string{"and"}, rec.dispatch(pub("tasks/1")))
	assert.Equal(t, []string{"fallback"}, rec.dispatch(pub("$share/workers/jobs/7")))
	routes := rec.r.Routes()
	assert.Equal(t, "topic", routes[0].Index)
	assert.Equal(t, "jobs/#", routes[0].Filter)
	assert.Equal(t, `topic("$share/workers/jobs/#")`, routes[0].Condition)
	s := rec.r.Explain(pub("jobs/7")).String()
	assert.Contains(t, s, `runs: High topic("$share/workers/jobs/#") (a shared subscription's filter: matches what "jobs/#" matches)`)
	x := rec.r.Explain(pub("other"))
	require.Len(t, x.RuledOut, 2)
	assert.Equal(t, `topic does not match "jobs/#" (the shared subscription's filter without $share/<group>/)`, x.RuledOut[0].Reason)

	for _, bad := range []string{"$share/", "$share/g", "$share//a", "$share/g+/a", "$share/#/a", "$share/g/a/#/b"} {
		_, err := rec.r.On(message.PUBLISH, func(*Event) {}, Topic(bad), priority.Normal)
		assert.ErrorIs(t, err, ErrInvalidCondition, bad)
	}
}

// TestExplainReasons: each candidate passed over says which operand
// failed and what it saw; the '$' rule is named when it is the reason.
func TestExplainReasons(t *testing.T) {
	r := New()
	nop := func(*Event) {}
	conds := []Condition{
		And(Topic("site/+/temp"), Field("temp", Gt(40))),
		And(Field("site", Eq("7")), Not(Retained()), QoS(message.QoS1)),
		Or(Topic("+/broker/uptime"), Dup()),
		Glob("**/hum"),
		Func(isCool2),
		ID(12),
	}
	for i, c := range conds {
		_, err := r.On(message.PUBLISH, nop, c, priority.Level(10-i))
		require.NoError(t, err)
	}
	_, err := r.On(message.PUBLISH, nop, Topic("+/broker/+"), priority.Low)
	require.NoError(t, err)

	x := r.Explain(reading("site/7/temp", `{"temp": 38.5, "site": "7"}`))
	require.Nil(t, x.Handler)
	reasons := map[string]string{}
	for _, rj := range x.Rejected {
		reasons[rj.Condition] = rj.Reason
	}
	assert.Equal(t, map[string]string{
		`and(topic("site/+/temp"), field("temp", gt(40)))`:   `operand 2 of and, field("temp", gt(40)): temp = 38.5, not > 40`,
		`and(field("site", eq("7")), not(retained), qos(1))`: `operand 3 of and, qos(1): QoS 0, not 1`,
		`or(topic("+/broker/uptime"), dup)`:                  `no operand of or holds; 1, topic("+/broker/uptime"): topic does not match "+/broker/uptime"; 2, dup: DUP not set`,
		`glob("**/hum")`:                                     `topic does not match the pattern`,
		`func(router.isCool2)`:                               `router.isCool2 returned false`,
	}, reasons)
	require.Len(t, x.RuledOut, 2)
	assert.Equal(t, "no packet id", x.RuledOut[0].Reason)
	assert.Equal(t, `topic does not match "+/broker/+"`, x.RuledOut[1].Reason)

	// The '$' rule, evaluated and ruled out by the index.
	x = r.Explain(reading("$SYS/broker/uptime", "12"))
	for _, rj := range x.Rejected {
		if strings.HasPrefix(rj.Condition, "or(") {
			assert.Equal(t, `no operand of or holds; 1, topic("+/broker/uptime"): "+/broker/uptime" does not match a topic starting with '$': no filter starting with a wildcard does [MQTT-4.7.2-1]; 2, dup: DUP not set`, rj.Reason)
		}
		if strings.HasPrefix(rj.Condition, "and(field") {
			assert.Contains(t, rj.Reason, "operand 1 of and, field(\"site\", eq(\"7\")): site is missing")
		}
	}
	last := x.RuledOut[len(x.RuledOut)-1]
	assert.Equal(t, `topic("+/broker/+")`, last.Condition)
	assert.Equal(t, `"+/broker/+" does not match a topic starting with '$': no filter starting with a wildcard does [MQTT-4.7.2-1]`, last.Reason)
	assert.Contains(t, x.String(), "[MQTT-4.7.2-1]")
	assert.Equal(t, `topic does not match "+/broker/+"`, topicMismatch("$SYS/other/x", "+/broker/+", false), "not the '$' rule: the levels differ")
}

func isCool2(*Event) bool { return false }
