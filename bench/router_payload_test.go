package bench

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// The payload benchmarks dispatch JSON readings through rules on the
// payload: Field conditions, which share one decode per event with each
// other and with the handler, against the same rules written as Func
// conditions that each decode the payload, as they must without a place
// to keep it.

// sensorReading is a JSON reading as a fleet of sensors sends it.
const sensorReading = `{"site":"7","device":"t1","temp":21.5,"hum":48,"battery":76}`

type sensorDoc struct {
	Site    string  `json:"site"`
	Device  string  `json:"device"`
	Temp    float64 `json:"temp"`
	Hum     float64 `json:"hum"`
	Battery float64 `json:"battery"`
}

// threeRules are the thresholds of BenchmarkRouterPayload: a critical
// one for every site, a site override, a warm band. The reading passes
// none, so a dispatch evaluates all three and the fallback runs.
var threeRules = []struct {
	filter string
	level  priority.Level
	test   router.Test
	f      func(float64) bool
}{
	{"site/+/device/+/temp", priority.Critical, router.Gt(80), func(t float64) bool { return t > 80 }},
	{"site/7/device/+/temp", priority.High, router.Gt(40), func(t float64) bool { return t > 40 }},
	{"site/+/device/+/temp", priority.Normal, router.Between(30, 40), func(t float64) bool { return 30 <= t && t <= 40 }},
}

var benchSink float64

// decodingFunc returns rule i of threeRules as a Func condition that
// decodes the payload with decode.
func decodingFunc(decode func([]byte) (float64, bool)) func(i int) router.Condition {
	return func(i int) router.Condition {
		f := threeRules[i].f
		return router.And(router.Topic(threeRules[i].filter), router.Func(func(e *router.Event) bool {
			t, ok := decode(e.Message.Payload)
			return ok && f(t)
		}))
	}
}

// BenchmarkRouterPayload dispatches one JSON reading through three
// payload rules and a fallback whose handler reads the temperature:
//
//	field:          Field conditions and router.Decode in the handler, one decode in all
//	payloadfunc:    PayloadFunc conditions on a codec to a struct, one decode in all
//	func=map:       Func conditions that each json.Unmarshal into a map, and the handler again
//	func=struct:    the same, unmarshalling into a struct
func BenchmarkRouterPayload(b *testing.B) {
	e := &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "site/7/device/t1/temp", Payload: []byte(sensorReading)}}
	fresh := func() *router.Event { c := *e.Message; return &router.Event{Type: e.Type, Message: &c} }

	decodeMap := func(p []byte) (float64, bool) {
		var m map[string]any
		if json.Unmarshal(p, &m) != nil {
			return 0, false
		}
		t, ok := m["temp"].(float64)
		return t, ok
	}
	decodeStruct := func(p []byte) (float64, bool) {
		var d sensorDoc
		if json.Unmarshal(p, &d) != nil {
			return 0, false
		}
		return d.Temp, true
	}
	docs := router.NewCodec("sensor", func(p []byte) (*sensorDoc, error) {
		d := new(sensorDoc)
		return d, json.Unmarshal(p, d)
	})

	variants := []struct {
		name    string
		cond    func(i int) router.Condition
		handler router.Handler
	}{
		{"field", func(i int) router.Condition {
			return router.And(router.Topic(threeRules[i].filter), router.Field("temp", threeRules[i].test))
		}, func(e *router.Event) {
			doc, _ := router.Decode(e, router.JSON)
			t, _ := doc.Field("temp")
			benchSink, _ = t.(float64)
		}},
		{"payloadfunc", func(i int) router.Condition {
			f := threeRules[i].f
			return router.And(router.Topic(threeRules[i].filter), router.PayloadFunc(docs, "rule", func(d *sensorDoc) bool { return f(d.Temp) }))
		}, func(e *router.Event) {
			d, _ := router.Decode(e, docs)
			benchSink = d.Temp
		}},
		{"func=map", decodingFunc(decodeMap), func(e *router.Event) { benchSink, _ = decodeMap(e.Message.Payload) }},
		{"func=struct", decodingFunc(decodeStruct), func(e *router.Event) { benchSink, _ = decodeStruct(e.Message.Payload) }},
	}
	for _, v := range variants {
		b.Run("rules=3/"+v.name, func(b *testing.B) {
			r := router.New()
			for i := range threeRules {
				if _, err := r.On(message.PUBLISH, v.handler, v.cond(i), threeRules[i].level); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := r.On(message.PUBLISH, v.handler, nil, 0); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				// A new event per reading, as the client makes: the
				// decoded payload belongs to the event.
				r.Dispatch(fresh())
			}
		})
	}
}

// BenchmarkRouterFieldRules dispatches JSON readings through 1,000 Field
// rules spread over 100 topic filters (ten thresholds per site), with a
// fallback: the topic index narrows each reading to its site's ten
// rules, which share one decode. "hit" readings are hot enough for the
// fifth rule of their site; "miss" readings pass none, so all ten are
// evaluated before the fallback.
func BenchmarkRouterFieldRules(b *testing.B) {
	const sites, perSite = 100, 10
	r := router.New()
	for s := range sites {
		filter := fmt.Sprintf("site/%d/device/+/temp", s)
		for k := range perSite {
			cond := router.And(router.Topic(filter), router.Field("temp", router.Gt(float64(95-5*k))))
			if _, err := r.On(message.PUBLISH, nop, cond, priority.Level(perSite-k)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := r.On(message.PUBLISH, nop, nil, 0); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		temp float64
	}{{"hit", 72.5}, {"miss", 21.5}} {
		msgs := make([]message.Message, sites)
		for s := range msgs {
			msgs[s] = message.Message{
				Topic:   fmt.Sprintf("site/%d/device/t1/temp", s),
				Payload: fmt.Appendf(nil, `{"site":"%d","device":"t1","temp":%g}`, s, c.temp),
			}
		}
		b.Run(fmt.Sprintf("rules=%d/filters=%d/%s", sites*perSite, sites, c.name), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m := msgs[i%sites]
				r.Dispatch(&router.Event{Type: message.PUBLISH, Message: &m})
				i++
			}
		})
	}
}
