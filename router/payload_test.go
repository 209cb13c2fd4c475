package router

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

func reading(topic, payload string) *Event {
	return &Event{Type: message.PUBLISH, Message: &message.Message{Topic: topic, Payload: []byte(payload)}}
}

// countingJSON is JSON that counts its decodes.
func countingJSON(n *int) *Codec[Document] {
	return NewCodec("json", func(p []byte) (Document, error) {
		*n++
		return decodeJSON(p)
	})
}

// TestDecodeOnce: the conditions of one dispatch and the handler that
// runs share one decode of the payload, whichever of them asks first.
func TestDecodeOnce(t *testing.T) {
	var decodes int
	js := countingJSON(&decodes)
	r := New()
	var got []string
	on := func(name string, cond Condition, p priority.Level) {
		_, err := r.On(message.PUBLISH, func(e *Event) {
			doc, err := Decode(e, js)
			require.NoError(t, err)
			temp, _ := doc.Field("temp")
			got = append(got, name+" "+render(temp))
		}, cond, p)
		require.NoError(t, err)
	}
	on("critical", And(Topic("site/+/temp"), FieldOf(js, "temp", Gt(80))), priority.Critical)
	on("site7", And(Topic("site/7/temp"), FieldOf(js, "temp", Gt(40))), priority.High)
	on("warm", And(Topic("site/+/temp"), FieldOf(js, "temp", Between(30, 40))), priority.Normal)
	on("store", nil, 0)

	tests := []struct {
		topic, payload, want string
	}{
		{"site/7/temp", `{"temp": 85}`, "critical 85"},
		{"site/7/temp", `{"temp": 45}`, "site7 45"},
		{"site/3/temp", `{"temp": 45}`, "store 45"},
		{"site/3/temp", `{"temp": 35.5}`, "warm 35.5"},
		{"site/7/temp", `{"temp": 12}`, "store 12"}, // three conditions evaluated, one decode
	}
	for _, tt := range tests {
		decodes, got = 0, nil
		r.Dispatch(reading(tt.topic, tt.payload))
		assert.Equal(t, []string{tt.want}, got, "%s %s", tt.topic, tt.payload)
		assert.Equal(t, 1, decodes, "decodes for %s %s", tt.topic, tt.payload)
	}

	// No payload condition looks at an event on another topic: the one
	// decode is the fallback's own.
	decodes, got = 0, nil
	r.Dispatch(reading("other", `{"temp": 99}`))
	assert.Equal(t, []string{"store 99"}, got)
	assert.Equal(t, 1, decodes)
}

// TestDecodeTyped: PayloadFunc with a codec of the application's type,
// shared by the conditions and the handler.
func TestDecodeTyped(t *testing.T) {
	type sample struct{ v float64 }
	decodes := 0
	samples := NewCodec("sample", func(p []byte) (*sample, error) {
		decodes++
		v, err := strconv.ParseFloat(string(p), 64)
		return &sample{v}, err
	})
	r := New()
	var seen *sample
	h := func(e *Event) { seen, _ = Decode(e, samples) }
	_, err := r.On(message.PUBLISH, h, PayloadFunc(samples, "hot", func(s *sample) bool { return s.v > 40 }), priority.High)
	require.NoError(t, err)
	_, err = r.On(message.PUBLISH, h, PayloadFunc(samples, "cold", func(s *sample) bool { return s.v < 0 }), priority.Normal)
	require.NoError(t, err)
	e := reading("t", "-3")
	require.True(t, r.Dispatch(e))
	require.NotNil(t, seen)
	assert.Equal(t, -3.0, seen.v)
	assert.Equal(t, 1, decodes)

	x := r.Explain(reading("t", "12"))
	assert.Nil(t, x.Handler)
	require.Len(t, x.Rejected, 2)
	assert.Equal(t, "payload(sample, hot)", x.Rejected[0].Condition)
	assert.Equal(t, "hot is false for the sample", x.Rejected[0].Reason)

	x = r.Explain(reading("t", "n/a"))
	require.Len(t, x.Rejected, 2)
	assert.Contains(t, x.Rejected[1].Reason, "payload does not decode as sample")
}

// TestDecodeErrors: no message, a payload the codec rejects and a
// decoder that panics are errors wrapping sentinels, and make payload
// conditions false.
func TestDecodeErrors(t *testing.T) {
	_, err := Decode(&Event{Type: message.PUBLISH, ID: 3}, JSON)
	require.ErrorIs(t, err, ErrNoPayload)

	e := reading("t", `{"temp": `)
	_, err = Decode(e, JSON)
	require.ErrorIs(t, err, ErrDecode)
	var syntax interface{ Error() string }
	require.True(t, errors.As(err, &syntax))
	_, again := Decode(e, JSON)
	assert.Same(t, err, again, "the error is remembered too")

	boom := NewCodec("boom", func([]byte) (Document, error) { panic("bad codec") })
	_, err = Decode(reading("t", "{}"), boom)
	require.ErrorIs(t, err, ErrDecode)
	assert.Contains(t, err.Error(), "bad codec")

	r := New(WithPanicHandler(func(_ *Event, v any) { assert.Failf(t, "panic", "panic reached the hook: %v", v) }))
	_, err = r.On(message.PUBLISH, func(*Event) { assert.Fail(t, "ran on a payload that does not decode") }, FieldOf(boom, "x", Exists()), priority.High)
	require.NoError(t, err)
	_, err = r.On(message.PUBLISH, func(*Event) { assert.Fail(t, "ran on a payload that does not decode") }, Field("temp", Exists()), priority.Normal)
	require.NoError(t, err)
	assert.False(t, r.Dispatch(reading("t", "not json")))
	assert.False(t, r.Dispatch(&Event{Type: message.PUBLISH}))
}

// TestDecodeFollowsMessage: an event whose message is replaced is
// decoded again; an event remembers two codecs.
func TestDecodeFollowsMessage(t *testing.T) {
	var a, b, c int
	ca, cb, cc := countingJSON(&a), countingJSON(&b), countingJSON(&c)
	e := reading("t", `{"v": 1}`)
	for range 3 {
		_, _ = Decode(e, ca)
		_, _ = Decode(e, cb)
	}
	assert.Equal(t, [2]int{1, 1}, [2]int{a, b})
	_, _ = Decode(e, cc) // evicts ca, the older
	_, _ = Decode(e, cb)
	_, _ = Decode(e, ca)
	assert.Equal(t, [3]int{2, 1, 1}, [3]int{a, b, c})

	e.Message = &message.Message{Topic: "t", Payload: []byte(`{"v": 2}`)}
	doc, err := Decode(e, cb)
	require.NoError(t, err)
	v, _ := doc.Field("v")
	assert.Equal(t, 2.0, v)
	assert.Equal(t, 2, b)
}

func TestFieldConditions(t *testing.T) {
	const doc = `{"temp": 38.5, "site": "7", "ok": true, "none": null, "n": 7,
		"sensor": {"battery": 15, "tags": ["a", "b"]}, "list": [10, 20]}`
	tests := []struct {
		cond Condition
		want bool
		why  string // when not want
	}{
		{Field("temp", Gt(40)), false, "temp = 38.5, not > 40"},
		{Field("temp", Gt(38)), true, ""},
		{Field("temp", Ge(38.5)), true, ""},
		{Field("temp", Le(38)), false, "temp = 38.5, not <= 38"},
		{Field("temp", Lt(39)), true, ""},
		{Field("temp", Between(30, 38.5)), true, ""},
		{Field("temp", Between(39, 50)), false, "temp = 38.5, not between 39 and 50"},
		{Field("site", Eq("7")), true, ""},
		{Field("site", Eq(7)), false, `site = "7", not 7`},
		{Field("site", Gt(5)), false, `site = "7", not a number`},
		{Field("n", Eq(7)), true, ""},
		{Field("n", Eq(uint8(7))), true, ""},
		{Field("n", In(1, 2, 3)), false, "n = 7, not one of 1, 2, 3"},
		{Field("site", In("3", "7")), true, ""},
		{Field("ok", Eq(true)), true, ""},
		{Field("none", Eq(nil)), true, ""},
		{Field("none", Exists()), true, ""},
		{Field("missing", Exists()), false, "missing is missing"},
		{Field("sensor.battery", Lt(20)), true, ""},
		{Field("sensor.tags.1", Eq("b")), true, ""},
		{Field("sensor.tags.2", Exists()), false, "sensor.tags.2 is missing"},
		{Field("list.0", Eq(10)), true, ""},
		{Field("sensor", Eq(1)), false, "sensor = an object, not 1"},
		{Field("", Exists()), true, ""},
		{Not(Field("temp", Gt(40))), true, ""},
		{Not(Field("temp", Gt(30))), false, `field("temp", gt(30)) holds`},
		{Or(Field("temp", Gt(40)), Field("site", Eq("9"))), false,
			`no operand of or holds; 1, field("temp", gt(40)): temp = 38.5, not > 40; 2, field("site", eq("9")): site = "7", not "9"`},
	}
	for _, tt := range tests {
		t.Run(tt.cond.String(), func(t *testing.T) {
			require.NoError(t, tt.cond.check())
			e := reading("t", doc)
			ok, why := evaluate(tt.cond, e)
			assert.Equal(t, tt.want, ok)
			assert.Equal(t, tt.why, why)
		})
	}
	ok, why := evaluate(Field("temp", Gt(1)), reading("t", "[1"))
	assert.False(t, ok)
	assert.Contains(t, why, "payload does not decode as json: unexpected end of JSON input")
	ok, why = evaluate(Field("temp", Gt(1)), &Event{Type: message.PUBLISH})
	assert.False(t, ok)
	assert.Equal(t, "event has no message", why)
}

func TestFieldStringAndCheck(t *testing.T) {
	other := NewCodec("cbor", decodeJSON)
	strs := map[Condition]string{
		Field("temp", Gt(40)):                                          `field("temp", gt(40))`,
		Field("a.b", Between(-1.5, 2)):                                 `field("a.b", between(-1.5, 2))`,
		Field("site", In("7", 12, true, nil)):                          `field("site", in("7", 12, true, null))`,
		Field("x", Exists()):                                           `field("x", exists)`,
		FieldOf(other, "t", Le(3)):                                     `field(cbor, "t", le(3))`,
		PayloadFunc(other, "odd", func(Document) bool { return true }): "payload(cbor, odd)",
	}
	for c, want := range strs {
		assert.Equal(t, want, c.String())
	}
	bad := []Condition{
		Field("t", Between(5, 1)),
		Field("t", In()),
		Field("t", Eq(struct{}{})),
		Field("t", nil),
		FieldOf(nil, "t", Gt(1)),
		PayloadFunc[Document](nil, "x", func(Document) bool { return true }),
		PayloadFunc[Document](JSON, "x", nil),
		And(Topic("a"), Field("t", In())),
	}
	r := New()
	for _, c := range bad {
		_, err := r.On(message.PUBLISH, func(*Event) {}, c, priority.Normal)
		assert.ErrorIs(t, err, ErrInvalidCondition, c.String())
	}
}

// TestDispatchAllocations: a dispatch that no payload condition reaches
// allocates nothing, with payload conditions registered.
func TestDispatchAllocations(t *testing.T) {
	r := New()
	nop := func(*Event) {}
	for _, c := range []Condition{
		And(Topic("site/+/temp"), Field("temp", Gt(80))),
		And(Topic("site/7/temp"), Field("temp", Gt(40))),
		Topic("site/+/hum"),
		Func(func(e *Event) bool { return e.ID == 9 }),
	} {
		_, err := r.On(message.PUBLISH, nop, c, priority.Normal)
		require.NoError(t, err)
	}
	e := reading("site/3/hum", `{"hum": 40}`)
	allocs := testing.AllocsPerRun(1000, func() { r.Dispatch(e) })
	assert.Zero(t, allocs)
}

// FuzzField checks Field conditions on arbitrary payloads and paths:
// they never panic, agree with a direct decode by encoding/json, and
// Explain gives a reason whenever one does not hold.
func FuzzField(f *testing.F) {
	for _, seed := range []struct{ payload, path string }{
		{`{"temp": 38.5}`, "temp"},
		{`{"a": {"b": [1, {"c": "x"}]}}`, "a.b.1.c"},
		{`[1, 2, 3]`, "2"},
		{`{"": {"": 1}}`, "."},
		{`null`, ""},
		{`{"temp": "hot"}`, "temp"},
		{`not json`, "x"},
		{`{"a": 1}`, "a.-1"},
	} {
		f.Add([]byte(seed.payload), seed.path)
	}
	f.Fuzz(func(t *testing.T, payload []byte, path string) {
		e := &Event{Type: message.PUBLISH, Message: &message.Message{Topic: "t", Payload: payload}}
		var want any
		decodable := json.Unmarshal(payload, &want) == nil
		wantValue, present := lookup(want, path)
		for _, test := range []Test{Exists(), Gt(0), Eq("x"), Between(-1, 1)} {
			c := Field(path, test)
			ok, why := evaluate(c, e)
			require.Equal(t, decodable && present && test.pass(wantValue), ok, "%s on %q", c, payload)
			if !ok {
				require.NotEmpty(t, why)
			}
			require.False(t, strings.HasPrefix(why, "the condition panicked"), "%s on %q: %s", c, payload, why)
		}
	})
}
