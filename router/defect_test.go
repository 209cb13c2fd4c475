package router

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// payloadIsHot is the natural condition on a payload that forgets that a
// QoS 2 PUBLISH event has no Message when the client delivers on PUBREL.
func payloadIsHot(e *Event) bool { return string(e.Message.Payload) == "hot" }

// TestDefectConditionPanicKillsProcess: a panicking condition used to
// unwind through Dispatch (handlers were recovered, conditions were not).
// It must be recovered, reported to the panic hook and counted, and count
// as false, so that the next candidate or the fallback runs.
func TestDefectConditionPanicKillsProcess(t *testing.T) {
	var reported []any
	var hooked *Event
	r := New(WithPanicHandler(func(e *Event, v any) { hooked, reported = e, append(reported, v) }))
	var ran []string
	on := func(name string, cond Condition, p priority.Level) {
		_, err := r.On(message.PUBLISH, func(*Event) { ran = append(ran, name) }, cond, p)
		require.NoError(t, err)
	}
	on("hot", Func(payloadIsHot), priority.High)
	on("indexed-hot", And(Topic("a/#"), Func(payloadIsHot)), priority.High)
	on("qos", QoS(message.QoS2), priority.Normal)
	on("fallback", nil, 0)

	e := &Event{Type: message.PUBLISH, ID: 7} // no Message: delivered on PUBREL
	require.NotPanics(t, func() { r.Dispatch(e) })
	assert.Equal(t, []string{"fallback"}, ran, "the panicking conditions count as false")
	assert.Len(t, reported, 1, "one panic reported: the second candidate is not evaluated on an event without a topic")
	assert.Same(t, e, hooked)
	assert.Equal(t, uint64(1), r.Stats().Panics)

	// With a topic, both panicking conditions are candidates; each is
	// reported once, and the QoS handler below them runs.
	ran, reported = nil, nil
	ev := &Event{Type: message.PUBLISH, ID: 7, Sent: &message.Message{Topic: "a/b", QoS: message.QoS2}}
	require.NotPanics(t, func() { r.Dispatch(ev) })
	assert.Equal(t, []string{"qos"}, ran)
	assert.Len(t, reported, 2)
	assert.Equal(t, uint64(3), r.Stats().Panics)
}

// TestDefectConditionPanicInCachedDispatch: the same through the topic
// cache, which evaluates the candidates of a familiar topic from its
// entry instead of the trie.
func TestDefectConditionPanicInCachedDispatch(t *testing.T) {
	r := New()
	var ran []string
	_, err := r.On(message.PUBACK, func(*Event) { ran = append(ran, "hot") }, And(Topic("a/+"), Func(payloadIsHot)), priority.High)
	require.NoError(t, err)
	_, err = r.On(message.PUBACK, func(*Event) { ran = append(ran, "topic") }, Topic("a/b"), priority.Normal)
	require.NoError(t, err)
	e := &Event{Type: message.PUBACK, ID: 3, Sent: &message.Message{Topic: "a/b"}}
	for range 3 * cacheAfter {
		require.NotPanics(t, func() { r.Dispatch(e) })
	}
	assert.Len(t, ran, 3*cacheAfter)
	assert.Equal(t, "topic", ran[len(ran)-1])
	assert.Equal(t, uint64(3*cacheAfter), r.Stats().Panics)
}

// TestDefectExplainPanicsOnPanickingCondition: Explain evaluated the
// conditions without recovering either. It must say that the condition
// panicked, with the value, and go on to the next candidate.
func TestDefectExplainPanicsOnPanickingCondition(t *testing.T) {
	r := New()
	_, err := r.On(message.PUBLISH, func(*Event) {}, Func(payloadIsHot), priority.High)
	require.NoError(t, err)
	_, err = r.On(message.PUBLISH, func(*Event) {}, nil, 0)
	require.NoError(t, err)
	var x Explanation
	require.NotPanics(t, func() { x = r.Explain(&Event{Type: message.PUBLISH, ID: 9}) })
	require.NotNil(t, x.Handler)
	assert.Equal(t, Fallback, x.Handler.Kind)
	require.Len(t, x.Rejected, 1)
	assert.Contains(t, x.Rejected[0].Reason, "panicked")
	assert.Contains(t, x.Rejected[0].Reason, "nil pointer")
	assert.Equal(t, uint64(0), r.Stats().Panics, "Explain dispatches nothing")
}

// TestDefectBuiltinConditionsWithoutMessage: every built-in condition
// holds or not, without panicking, on events with neither a Message nor
// a Sent message, in Dispatch and in Explain.
func TestDefectBuiltinConditionsWithoutMessage(t *testing.T) {
	conds := []Condition{
		Topic("a/#"), Topic("#"), Glob("**"), QoS(message.QoS1), Retained(), Dup(), ID(1),
		Field("temp", Gt(40)), Field("temp", Exists()), Not(Field("temp", Exists())),
		And(Topic("#"), Field("site", Eq("7"))), Or(Dup(), Field("temp", In(1, 2))),
	}
	for _, c := range conds {
		t.Run(c.String(), func(t *testing.T) {
			r := New(WithPanicHandler(func(_ *Event, v any) { assert.Failf(t, "panic", "panic: %v", v) }))
			_, err := r.On(message.PUBLISH, func(*Event) {}, c, priority.Normal)
			require.NoError(t, err)
			for _, e := range []*Event{{Type: message.PUBLISH}, {Type: message.PUBLISH, ID: 1}} {
				require.NotPanics(t, func() { r.Dispatch(e) })
				require.NotPanics(t, func() { _ = r.Explain(e).String() })
			}
			assert.Equal(t, uint64(0), r.Stats().Panics)
		})
	}
}
