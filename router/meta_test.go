package router

import (
	"fmt"
	"testing"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pub5 is a 5.0 PUBLISH event with the given properties, set on the
// message and, as a client sets them, on the event.
func pub5(topic string, p *message.Properties) *Event {
	return &Event{Type: message.PUBLISH, Message: &message.Message{Topic: topic, Properties: p}, Properties: p}
}

func TestMetaConditions(t *testing.T) {
	props := &message.Properties{
		SubscriptionIDs: []uint32{3, 70000},
		UserProperties:  []message.UserProperty{{Key: "tenant", Value: "a"}, {Key: "tenant", Value: "b"}, {Key: "empty", Value: ""}},
		ContentType:     "application/json; charset=utf-8",
		CorrelationData: []byte{0x0a, 0x1b},
	}
	full := pub5("t", props)
	bare := pub("t")                                                // 3.1.1: no properties
	noMsg := &Event{Type: message.PUBREL, ID: 4}                    // QoS 2 delivered on PUBREL
	onlyMsg := &Event{Type: message.PUBLISH, Message: full.Message} // Properties left unset
	ackProps := &Event{Type: message.PUBACK, ID: 5, ReasonCode: message.QuotaExceeded,
		Properties: &message.Properties{ReasonString: "slow down", UserProperties: []message.UserProperty{{Key: "k", Value: "v"}}},
		Sent:       &message.Message{Topic: "out", QoS: 1, Properties: &message.Properties{ContentType: "text/plain"}}}
	okAck := &Event{Type: message.PUBACK, ID: 5}
	disc := &Event{Type: message.DISCONNECT, ReasonCode: message.ServerShuttingDown}
	auth := &Event{Type: message.AUTH, ReasonCode: message.ContinueAuthentication}
	refused311 := &Event{Type: message.CONNACK, ConnackCode: message.RefusedNotAuthorized}
	refused5 := &Event{Type: message.CONNACK, ConnackCode: message.ConnackCode(message.Banned), ReasonCode: message.Banned}
	accepted := &Event{Type: message.CONNACK}
	suback := &Event{Type: message.SUBACK, ID: 2, ReturnCodes: []message.SubackCode{1, 0x87}}
	suback311 := &Event{Type: message.SUBACK, ID: 2, ReturnCodes: []message.SubackCode{0, message.SubackFailure}}
	subackOK := &Event{Type: message.SUBACK, ID: 2, ReturnCodes: []message.SubackCode{0, 2}}
	unsuback := &Event{Type: message.UNSUBACK, ID: 2, ReasonCodes: []message.ReasonCode{0, message.NoSubscriptionExisted}}
	unsuback311 := &Event{Type: message.UNSUBACK, ID: 2}
	emptyCorr := pub5("t", &message.Properties{CorrelationData: []byte{}})

	tests := []struct {
		name string
		cond Condition
		e    *Event
		want bool
		why  string // the reason Explain gives when want is false
	}{
		{"subscription id", SubscriptionID(3), full, true, ""},
		{"second subscription id", SubscriptionID(70000), full, true, ""},
		{"subscription id absent", SubscriptionID(4), full, false, "subscription identifiers [3 70000], not 4"},
		{"subscription id of the message only", SubscriptionID(3), onlyMsg, true, ""},
		{"subscription id at 3.1.1", SubscriptionID(3), bare, false, "no subscription identifier"},
		{"subscription id without a message", SubscriptionID(3), noMsg, false, "no message"},
		{"subscription id on an ack", SubscriptionID(3), ackProps, false, "no message"},
		{"user property", UserProperty("tenant", "a"), full, true, ""},
		{"user property, a repeated key", UserProperty("tenant", "b"), full, true, ""},
		{"user property, other value", UserProperty("tenant", "c"), full, false, `user property "tenant" = "a", "b", not "c"`},
		{"user property, empty value", UserProperty("empty", ""), full, true, ""},
		{"user property, missing key", UserProperty("zone", "a"), full, false, `no user property "zone"`},
		{"user property of the message only", UserProperty("tenant", "a"), onlyMsg, true, ""},
		{"user property of an ack", UserProperty("k", "v"), ackProps, true, ""},
		{"user property at 3.1.1", UserProperty("tenant", "a"), bare, false, `no user property "tenant"`},
		{"user property without a message", UserProperty("tenant", "a"), noMsg, false, `no user property "tenant"`},
		{"has user property", HasUserProperty("empty"), full, true, ""},
		{"has user property, missing", HasUserProperty("zone"), full, false, `no user property "zone"`},
		{"content type exact is not a prefix", ContentType("application/json"), full, false, `content type "application/json; charset=utf-8" does not match the pattern`},
		{"content type glob", ContentType("application/json*"), full, true, ""},
		{"content type star crosses /", ContentType("*json*"), full, true, ""},
		{"content type is case-sensitive", ContentType("Application/*"), full, false, `content type "application/json; charset=utf-8" does not match the pattern`},
		{"content type of the sent message", ContentType("text/plain"), ackProps, true, ""},
		{"content type at 3.1.1", ContentType("*"), bare, false, "no content type"},
		{"content type without a message", ContentType("*"), noMsg, false, "no message"},
		{"correlation", Correlation([]byte{0x0a, 0x1b}), full, true, ""},
		{"correlation mismatch", Correlation([]byte("req-1")), full, false, `correlation data 0x0a1b, not "req-1"`},
		{"correlation at 3.1.1", Correlation([]byte("x")), bare, false, "no correlation data"},
		{"correlation without a message", Correlation([]byte("x")), noMsg, false, "no message"},
		{"empty correlation data", Correlation([]byte{}), emptyCorr, true, ""},
		{"empty correlation is not absent", Correlation([]byte{}), bare, false, "no correlation data"},
		{"reason code of an ack", ReasonCode(message.QuotaExceeded), ackProps, true, ""},
		{"reason code of an ack, mismatch", ReasonCode(message.Success), ackProps, false, "reason code 0x97 (Quota exceeded), not 0x00 (Success)"},
		{"reason code Success at 3.1.1", ReasonCode(message.Success), okAck, true, ""},
		{"reason code of DISCONNECT", ReasonCode(message.ServerShuttingDown), disc, true, ""},
		{"reason code of DISCONNECT, named in it", ReasonCode(message.NormalDisconnection), disc, false, "reason code 0x8b (Server shutting down), not 0x00 (Normal disconnection)"},
		{"reason code of AUTH", ReasonCode(message.ContinueAuthentication), auth, true, ""},
		{"reason code of a 3.1.1 CONNACK refusal", ReasonCode(message.NotAuthorized), refused311, true, ""},
		{"reason code of a 5.0 CONNACK", ReasonCode(message.Banned), refused5, true, ""},
		{"reason code of a SUBACK filter", ReasonCode(message.NotAuthorized), suback, true, ""},
		{"reason code of no SUBACK filter", ReasonCode(message.QuotaExceeded), suback, false, "filter reason codes 0x01 (Granted QoS 1), 0x87 (Not authorized): none is 0x97 (Quota exceeded)"},
		{"reason code of an UNSUBACK filter", ReasonCode(message.NoSubscriptionExisted), unsuback, true, ""},
		{"reason code of a 3.1.1 UNSUBACK", ReasonCode(message.Success), unsuback311, false, "UNSUBACK carries no reason code"},
		{"reason code of a PUBLISH", ReasonCode(message.Success), full, false, "PUBLISH carries no reason code"},
		{"failed ack", Failed(), ackProps, true, ""},
		{"failed ack, success", Failed(), okAck, false, "reason code 0x00 (Success), not a failure"},
		{"failed DISCONNECT", Failed(), disc, true, ""},
		{"failed AUTH, continue", Failed(), auth, false, "reason code 0x18 (Continue authentication), not a failure"},
		{"failed 3.1.1 CONNACK", Failed(), refused311, true, ""},
		{"failed 5.0 CONNACK", Failed(), refused5, true, ""},
		{"failed CONNACK, accepted", Failed(), accepted, false, "reason code 0x00 (Success), not a failure"},
		{"failed SUBACK filter", Failed(), suback, true, ""},
		{"failed 3.1.1 SUBACK filter", Failed(), suback311, true, ""},
		{"failed SUBACK, all granted", Failed(), subackOK, false, "filter reason codes 0x00 (Granted QoS 0), 0x02 (Granted QoS 2): none is a failure"},
		{"failed PUBLISH", Failed(), bare, false, "PUBLISH carries no reason code"},
		{"and of metadata", And(SubscriptionID(3), UserProperty("tenant", "b"), ContentType("application/*")), full, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.cond.check())
			got, why := evaluate(tt.cond, tt.e)
			assert.Equal(t, tt.want, got, "match of %v", tt.cond)
			assert.Equal(t, tt.why, why)

			// Registered, indexed or not, the router agrees, and Explain
			// gives the same reason.
			r := New()
			ran := false
			_, err := r.On(tt.e.Type, func(*Event) { ran = true }, tt.cond, priority.Normal)
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.Dispatch(tt.e), "Dispatch")
			assert.Equal(t, tt.want, ran)
			x := r.Explain(tt.e)
			assert.Equal(t, tt.want, x.Handler != nil, "Explain")
			if !tt.want {
				var reasons []string
				for _, rj := range append(x.Rejected, x.RuledOut...) {
					reasons = append(reasons, rj.Reason)
				}
				assert.Equal(t, []string{tt.why}, reasons, "Explain reasons")
			}
		})
	}
}

func TestMetaConditionStrings(t *testing.T) {
	tests := []struct {
		cond Condition
		want string
	}{
		{SubscriptionID(12), "subscriptionID(12)"},
		{UserProperty("tenant", "a b"), `userProperty("tenant", "a b")`},
		{HasUserProperty("tenant"), `hasUserProperty("tenant")`},
		{ContentType("application/*"), `contentType("application/*")`},
		{ReasonCode(message.NotAuthorized), "reasonCode(0x87)"},
		{Failed(), "failed"},
		{Correlation([]byte("req-7")), `correlation("req-7")`},
		{Correlation([]byte{0, 0xff}), "correlation(0x00ff)"},
		{And(Topic("r/#"), Correlation([]byte("x"))), `and(topic("r/#"), correlation("x"))`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.cond.String())
	}
}

func TestMetaConditionErrors(t *testing.T) {
	for _, c := range []Condition{SubscriptionID(0), SubscriptionID(maxSubscriptionID + 1), Correlation(nil), ContentType("[a"), And(Topic("x"), Correlation(nil))} {
		_, err := New().On(message.PUBLISH, func(*Event) {}, c, 0)
		assert.ErrorIs(t, err, ErrInvalidCondition, "%v", c)
	}
	_, err := New().OnCorrelation(nil, func(*Event) {})
	assert.ErrorIs(t, err, ErrInvalidCondition)
}

// TestMetaIndexes checks where SubscriptionID and Correlation
// registrations are indexed, and that the index keeps the precedence:
// the winner is the highest (priority, registration) whose whole
// condition holds, across the indexes.
func TestMetaIndexes(t *testing.T) {
	r := New()
	var ran []string
	on := func(name string, c Condition, p priority.Level) *Registration {
		g, err := r.On(message.PUBLISH, func(*Event) { ran = append(ran, name) }, c, p)
		require.NoError(t, err)
		g.SetName(name)
		return g
	}
	sub3 := on("sub3", SubscriptionID(3), priority.Normal)
	sub3hi := on("sub3 tenant b", And(Topic("t/#"), SubscriptionID(3), UserProperty("tenant", "b")), priority.High)
	topic := on("topic", Topic("t/#"), priority.Critical-1)
	corr := on("corr", And(Correlation([]byte("c1")), Topic("t/#")), priority.Low)
	for _, tt := range []struct {
		g     *Registration
		index string
	}{{sub3, "subscription id"}, {sub3hi, "subscription id"}, {topic, "topic"}, {corr, "correlation"}} {
		assert.Equal(t, tt.index, tt.g.Route().Index, tt.g.Name())
	}

	e := func(tenant string, ids ...uint32) *Event {
		return pub5("t/1", &message.Properties{SubscriptionIDs: ids, CorrelationData: []byte("c1"),
			UserProperties: []message.UserProperty{{Key: "tenant", Value: tenant}}})
	}
	for _, tt := range []struct {
		name   string
		e      *Event
		want   string
		remove *Registration // before dispatching
	}{
		{"topic outranks", e("b", 3), "topic", nil},
		{"subscription id with the rest holding", e("b", 3), "sub3 tenant b", topic},
		{"subscription id, rest fails", e("a", 3), "sub3", nil},
		{"second identifier", e("a", 9, 3), "sub3", nil},
		{"no identifier: correlation", e("a"), "corr", nil},
	} {
		if tt.remove != nil {
			require.True(t, tt.remove.Remove())
		}
		ran = nil
		r.Dispatch(tt.e)
		assert.Equal(t, []string{tt.want}, ran, tt.name)
	}
	x := r.Explain(e("a", 9))
	require.NotNil(t, x.Handler)
	assert.Equal(t, "corr", x.Handler.Name)
	require.Len(t, x.RuledOut, 2)
	assert.Equal(t, "subscription identifiers [9], not 3", x.RuledOut[0].Reason)
	assert.Contains(t, x.String(), `ruled out by the index: High and(topic("t/#"), subscriptionID(3), userProperty("tenant", "b")) named "sub3 tenant b"`)
	assert.Contains(t, x.String(), "(subscription identifiers [9], not 3)")

	// Removing every registration of the indexes empties them.
	for _, g := range []*Registration{sub3, sub3hi, corr} {
		assert.True(t, g.Remove())
	}
	tt := r.snap.Load().types[message.PUBLISH]
	assert.Nil(t, tt, "type table after removing everything")
}

// TestMetaEventsRouted routes DISCONNECT and AUTH events like the other
// types: conditions, fallback, unhandled counts by type.
func TestMetaEventsRouted(t *testing.T) {
	r := New()
	var got []string
	r.On(message.DISCONNECT, func(e *Event) { got = append(got, "moved "+e.Properties.ServerReference) }, Or(ReasonCode(message.ServerMoved), ReasonCode(message.UseAnotherServer)), priority.High)
	r.On(message.DISCONNECT, func(e *Event) { got = append(got, "failed "+e.ReasonString()) }, Failed(), priority.Normal)
	r.On(message.DISCONNECT, func(e *Event) { got = append(got, "normal") }, nil, 0)
	r.On(message.AUTH, func(e *Event) { got = append(got, "continue "+e.Properties.AuthMethod) }, ReasonCode(message.ContinueAuthentication), 0)

	r.Dispatch(&Event{Type: message.DISCONNECT, ReasonCode: message.ServerMoved, Properties: &message.Properties{ServerReference: "b:2883"}})
	r.Dispatch(&Event{Type: message.DISCONNECT, ReasonCode: message.SessionTakenOver, Properties: &message.Properties{ReasonString: "taken over"}})
	r.Dispatch(&Event{Type: message.DISCONNECT})
	r.Dispatch(&Event{Type: message.AUTH, ReasonCode: message.ContinueAuthentication, Properties: &message.Properties{AuthMethod: "SCRAM-SHA-256"}})
	r.Dispatch(&Event{Type: message.AUTH, ReasonCode: message.ReAuthenticate})
	assert.Equal(t, []string{"moved b:2883", "failed taken over", "normal", "continue SCRAM-SHA-256"}, got)
	st := r.Stats()
	assert.Equal(t, uint64(1), st.UnhandledByType[message.AUTH])
	assert.Equal(t, uint64(0), st.UnhandledByType[message.DISCONNECT])
	assert.Equal(t, "", (&Event{Type: message.DISCONNECT}).ReasonString())

	x := r.Explain(&Event{Type: message.DISCONNECT, ReasonCode: message.SessionTakenOver})
	assert.True(t, x.HasReasonCode)
	assert.Equal(t, message.SessionTakenOver, x.ReasonCode)
	assert.Contains(t, x.String(), "DISCONNECT reason code 0x8e (Session taken over)\n  passed over: High or(reasonCode(0x9d), reasonCode(0x9c))")
	assert.Contains(t, x.String(), "or(reasonCode(0x9d), reasonCode(0x9c)) at meta_test.go:")
	assert.Contains(t, x.String(), ": no operand of or holds; 1, reasonCode(0x9d): reason code 0x8e (Session taken over), not 0x9d (Server moved); 2, reasonCode(0x9c): reason code 0x8e (Session taken over), not 0x9c (Use another server)\n  runs: Normal failed")
	assert.False(t, r.Explain(&Event{Type: message.PUBLISH}).HasReasonCode)
}

func TestFilterCodes(t *testing.T) {
	tests := []struct {
		e    *Event
		want []message.ReasonCode
	}{
		{&Event{Type: message.SUBACK, ReturnCodes: []message.SubackCode{0, 1, 0x80}}, []message.ReasonCode{0, 1, 0x80}},
		{&Event{Type: message.SUBACK}, nil},
		{&Event{Type: message.UNSUBACK, ReasonCodes: []message.ReasonCode{0x11}}, []message.ReasonCode{0x11}},
		{&Event{Type: message.PUBACK, ReasonCodes: []message.ReasonCode{0x11}}, nil},
	}
	for i, tt := range tests {
		assert.Equal(t, tt.want, tt.e.FilterCodes(), fmt.Sprint(i))
	}
}

// TestMetaDispatchAllocatesNothing dispatches 3.1.1 and 5.0 events
// through the subscription identifier and correlation indexes and the
// other 5.0 conditions: no dispatch allocates.
func TestMetaDispatchAllocatesNothing(t *testing.T) {
	r := New()
	h := func(*Event) {}
	for id := uint32(1); id <= 100; id++ {
		_, err := r.On(message.PUBLISH, h, SubscriptionID(id), priority.Normal)
		require.NoError(t, err)
		_, err = r.OnCorrelation(fmt.Appendf(nil, "pending-%d", id), h)
		require.NoError(t, err)
	}
	r.On(message.PUBLISH, h, And(Topic("a/#"), UserProperty("k", "v"), ContentType("text/*")), priority.High)
	r.On(message.PUBACK, h, Failed(), priority.High)
	r.On(message.PUBLISH, h, nil, 0)
	for name, e := range map[string]*Event{
		"3.1.1 PUBLISH":   pub("a/b"),
		"5.0 PUBLISH":     pub5("a/b", &message.Properties{SubscriptionIDs: []uint32{7, 300}, CorrelationData: []byte("pending-7"), ContentType: "text/plain"}),
		"5.0 PUBLISH, no": pub5("a/b", &message.Properties{CorrelationData: []byte("other")}),
		"5.0 PUBACK":      {Type: message.PUBACK, ID: 3, ReasonCode: message.QuotaExceeded},
	} {
		// The one-shot for pending-7 fires in the warm-up run, which is
		// not counted; the runs counted look it up and miss.
		assert.Zero(t, testing.AllocsPerRun(100, func() { r.Dispatch(e) }), name)
	}
}
