package router

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gobwas/glob"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// This file holds a naive implementation of the routing contract — a
// linear scan over every registration, evaluating each condition directly
// — and checks the indexed router against it on random registration sets
// and events.

// spec describes a condition; the reference evaluates it on its own,
// without the router's code.
type spec struct {
	kind string // topic glob id qos retained dup and or not func field subid userprop ctype reason failed corr
	s    string // filter, pattern, field path
	id   uint16 // packet identifier; a field's threshold
	q    message.QoS
	fn   int
	ops  []*spec
}

// refFuncs are the functions Func conditions are made of.
var refFuncs = []struct {
	name string
	f    func(e *Event) bool
}{
	{"always", func(*Event) bool { return true }},
	{"never", func(*Event) bool { return false }},
	{"evenID", func(e *Event) bool { return e.ID%2 == 0 }},
	{"longTopic", func(e *Event) bool { t, _ := e.Topic(); return len(t) > 20 }},
	{"hasMessage", func(e *Event) bool { return e.Message != nil }},
	{"panicsOnOddID", func(e *Event) bool {
		if e.ID%2 == 1 {
			panic("odd")
		}
		return true
	}},
}

func (s *spec) cond() Condition {
	if s == nil {
		return nil // a fallback
	}
	switch s.kind {
	case "topic":
		return Topic(s.s)
	case "glob":
		return Glob(s.s)
	case "id":
		return ID(s.id)
	case "qos":
		return QoS(s.q)
	case "retained":
		return Retained()
	case "dup":
		return Dup()
	case "not":
		return Not(s.ops[0].cond())
	case "func":
		return NamedFunc(refFuncs[s.fn].name, refFuncs[s.fn].f)
	case "field":
		return Field(s.s, Gt(float64(s.id)))
	case "subid":
		return SubscriptionID(uint32(s.id))
	case "userprop":
		return UserProperty("k", s.s)
	case "ctype":
		return ContentType(s.s)
	case "reason":
		return ReasonCode(message.ReasonCode(s.id))
	case "failed":
		return Failed()
	case "corr":
		return Correlation([]byte(s.s))
	}
	ops := make([]Condition, len(s.ops))
	for i, op := range s.ops {
		ops[i] = op.cond()
	}
	if s.kind == "and" {
		return And(ops...)
	}
	return Or(ops...)
}

func (s *spec) eval(e *Event) bool {
	topic, hasTopic := "", false
	var m *message.Message
	switch {
	case e.Message != nil:
		topic, hasTopic, m = e.Message.Topic, true, e.Message
	case e.Sent != nil:
		topic, hasTopic, m = e.Sent.Topic, true, e.Sent
	}
	switch s.kind {
	case "topic":
		return hasTopic && message.MatchFilter(s.s, topic)
	case "glob":
		return hasTopic && glob.MustCompile(s.s, '/').Match(topic)
	case "id":
		return e.ID == s.id
	case "qos":
		return m != nil && m.QoS == s.q
	case "retained":
		return m != nil && m.Retain
	case "dup":
		return m != nil && m.Dup
	case "not":
		return !s.ops[0].eval(e)
	case "func":
		return refFuncs[s.fn].f(e)
	case "field":
		if m == nil {
			return false
		}
		var doc map[string]any
		if json.Unmarshal(m.Payload, &doc) != nil {
			return false
		}
		v, ok := doc[s.s].(float64)
		return ok && v > float64(s.id)
	case "subid":
		return e.Message != nil && e.Message.Properties != nil && slices.Contains(e.Message.Properties.SubscriptionIDs, uint32(s.id))
	case "userprop":
		for _, p := range []*message.Properties{e.Properties, refMessageProps(e)} {
			if p != nil && slices.Contains(p.UserProperties, message.UserProperty{Key: "k", Value: s.s}) {
				return true
			}
		}
		return false
	case "ctype":
		return m != nil && m.Properties != nil && m.Properties.ContentType != "" && glob.MustCompile(s.s).Match(m.Properties.ContentType)
	case "reason", "failed":
		test := func(c message.ReasonCode) bool {
			if s.kind == "failed" {
				return c >= 0x80
			}
			return c == message.ReasonCode(s.id)
		}
		switch e.Type {
		case message.PUBACK, message.DISCONNECT:
			return test(e.ReasonCode)
		case message.SUBACK:
			return slices.ContainsFunc(e.ReturnCodes, func(c message.SubackCode) bool { return test(message.ReasonCode(c)) })
		case message.UNSUBACK:
			return slices.ContainsFunc(e.ReasonCodes, test)
		}
		return false
	case "corr":
		p := refMessageProps(e)
		return p != nil && p.CorrelationData != nil && string(p.CorrelationData) == s.s
	case "and":
		for _, op := range s.ops {
			if !op.eval(e) {
				return false
			}
		}
		return true
	case "or":
		for _, op := range s.ops {
			if op.eval(e) {
				return true
			}
		}
		return false
	}
	panic("unknown spec " + s.kind)
}

func refMessageProps(e *Event) *message.Properties {
	if e.Message == nil {
		return nil
	}
	return e.Message.Properties
}

// holds is eval for a whole condition: a panic in it makes it false.
func (s *spec) holds(e *Event) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.eval(e)
}

func (s *spec) String() string {
	if s == nil {
		return "<fallback>"
	}
	return s.cond().String()
}

// refReg is one registration in the reference.
type refReg struct {
	name  int
	typ   message.Type
	spec  *spec // nil: fallback
	level priority.Level
	seq   int
	once  bool
	live  bool
	real  *Registration
}

// refRouter is the contract, implemented as plainly as possible.
type refRouter struct {
	regs     []*refReg
	fallback map[message.Type]*refReg
	seq      int
}

func (rr *refRouter) add(g *refReg) {
	rr.seq++
	g.seq, g.live = rr.seq, true
	rr.regs = append(rr.regs, g)
	if g.spec == nil {
		if old := rr.fallback[g.typ]; old != nil {
			old.live = false
		}
		rr.fallback[g.typ] = g
	}
}

func (rr *refRouter) remove(g *refReg) bool {
	if !g.live {
		return false
	}
	g.live = false
	if rr.fallback[g.typ] == g {
		delete(rr.fallback, g.typ)
	}
	return true
}

// choose returns the registration that runs for e, and marks a one-shot
// as gone.
func (rr *refRouter) choose(e *Event) *refReg {
	var best *refReg
	for _, g := range rr.regs {
		if !g.live || g.typ != e.Type || g.spec == nil || !g.spec.holds(e) {
			continue
		}
		if best == nil || g.level > best.level || (g.level == best.level && g.seq < best.seq) {
			best = g
		}
	}
	if best == nil {
		best = rr.fallback[e.Type]
	}
	if best != nil && best.once {
		rr.remove(best)
	}
	return best
}

// gen draws registrations and events from a small, realistic topic space
// so that filters match often.
type gen struct{ r *rand.Rand }

var metrics = []string{"temp", "hum", "co2"}

var longNames = []string{"sensor-00000001", "sensor-00000002", "sensor-a-very-long-name-1", "sensor-a-very-long-name-2", "sensor-0", "sensor-1"}

func (g gen) topic() string {
	switch g.r.IntN(14) {
	case 0:
		return []string{"$SYS/broker/load", "$SYS/clients", "$SYS"}[g.r.IntN(3)]
	case 1:
		return []string{"site/1", "site/2/device", "alarms/fire", "site//device/1/temp", "site/1/device/2/"}[g.r.IntN(5)]
	case 2: // deep topics, past the levels a dispatch caches
		levels := make([]string, 7+g.r.IntN(5))
		for i := range levels {
			levels[i] = "a"
		}
		levels[g.r.IntN(len(levels))] = []string{"b", ""}[g.r.IntN(2)]
		return strings.Join(levels, "/")
	case 3: // long levels, compared beyond their fingerprints
		return fmt.Sprintf("site/%d/device/%s/%s", 1+g.r.IntN(2), longNames[g.r.IntN(len(longNames))], metrics[g.r.IntN(3)])
	}
	return fmt.Sprintf("site/%d/device/%d/%s", 1+g.r.IntN(3), 1+g.r.IntN(3), metrics[g.r.IntN(3)])
}

func (g gen) filter() string {
	if g.r.IntN(8) == 0 {
		return []string{"#", "+/#", "$SYS/#", "+", "site/+", "site/#", "+/+/device/#", "$SYS/+/load"}[g.r.IntN(8)]
	}
	levels := strings.Split(g.topic(), "/")
	for i := range levels {
		if g.r.IntN(4) == 0 {
			levels[i] = "+"
		}
	}
	if g.r.IntN(3) == 0 {
		cut := g.r.IntN(len(levels) + 1)
		levels = append(levels[:cut], "#")
	}
	return strings.Join(levels, "/")
}

var globs = []string{"site/*/device/*/temp", "site/**", "**/temp", "site/{1,2}/**", "$SYS/*", "*/?/device/?/*", "alarms/*", "**"}

var (
	refCodes        = []message.ReasonCode{0, 0x01, 0x10, 0x11, 0x80, 0x87, 0x97}
	refContentTypes = []string{"application/json", "text/plain", "application/json; charset=utf-8"}
	refPatterns     = []string{"application/json", "text/*", "*json*", "*"}
)

// spec5 draws a condition on 5.0 metadata.
func (g gen) spec5() *spec {
	switch g.r.IntN(8) {
	case 0, 1, 2:
		return &spec{kind: "subid", id: uint16(1 + g.r.IntN(4))}
	case 3:
		return &spec{kind: "userprop", s: []string{"a", "b"}[g.r.IntN(2)]}
	case 4:
		return &spec{kind: "ctype", s: refPatterns[g.r.IntN(len(refPatterns))]}
	case 5:
		return &spec{kind: "reason", id: uint16(refCodes[g.r.IntN(len(refCodes))])}
	case 6:
		return &spec{kind: "failed"}
	}
	return &spec{kind: "corr", s: []string{"c1", "c2", ""}[g.r.IntN(3)]}
}

func (g gen) spec(depth int) *spec {
	if g.r.IntN(5) == 0 {
		return g.spec5()
	}
	k := g.r.IntN(20)
	if depth > 1 && k >= 14 {
		k = g.r.IntN(14)
	}
	switch {
	case k < 6:
		return &spec{kind: "topic", s: g.filter()}
	case k < 8:
		return &spec{kind: "id", id: uint16(1 + g.r.IntN(6))}
	case k < 9:
		return &spec{kind: "glob", s: globs[g.r.IntN(len(globs))]}
	case k < 10:
		return &spec{kind: "qos", q: message.QoS(g.r.IntN(3))}
	case k < 11:
		return &spec{kind: "retained"}
	case k < 12:
		return &spec{kind: "dup"}
	case k < 13:
		return &spec{kind: "func", fn: g.r.IntN(len(refFuncs))}
	case k < 14:
		return &spec{kind: "field", s: []string{"v", "w"}[g.r.IntN(2)], id: uint16(g.r.IntN(10))}
	case k < 17:
		ops := make([]*spec, 1+g.r.IntN(3))
		for i := range ops {
			ops[i] = g.spec(depth + 1)
		}
		return &spec{kind: "and", ops: ops}
	case k < 19:
		ops := make([]*spec, 1+g.r.IntN(3))
		for i := range ops {
			ops[i] = g.spec(depth + 1)
		}
		return &spec{kind: "or", ops: ops}
	}
	return &spec{kind: "not", ops: []*spec{g.spec(depth + 1)}}
}

var refTypes = []message.Type{message.PUBLISH, message.PUBACK, message.SUBACK, message.UNSUBACK, message.DISCONNECT}

// props5 draws the 5.0 properties of a message, nil for none (3.1.1).
func (g gen) props5() *message.Properties {
	if g.r.IntN(3) == 0 {
		return nil
	}
	p := &message.Properties{}
	for range g.r.IntN(3) {
		p.SubscriptionIDs = append(p.SubscriptionIDs, uint32(1+g.r.IntN(5)))
	}
	if g.r.IntN(2) == 0 {
		p.UserProperties = append(p.UserProperties, message.UserProperty{Key: []string{"k", "j"}[g.r.IntN(2)], Value: []string{"a", "b"}[g.r.IntN(2)]})
	}
	if g.r.IntN(2) == 0 {
		p.ContentType = refContentTypes[g.r.IntN(len(refContentTypes))]
	}
	switch g.r.IntN(4) {
	case 0:
		p.CorrelationData = []byte("c1")
	case 1:
		p.CorrelationData = []byte("c2")
	case 2:
		p.CorrelationData = []byte{}
	}
	return p
}

func (g gen) code() message.ReasonCode { return refCodes[g.r.IntN(len(refCodes))] }

func (g gen) event() *Event {
	e := &Event{Type: refTypes[g.r.IntN(len(refTypes))]}
	m := &message.Message{Topic: g.topic(), QoS: message.QoS(g.r.IntN(3)), Retain: g.r.IntN(3) == 0, Dup: g.r.IntN(4) == 0}
	switch g.r.IntN(4) {
	case 0:
		m.Payload = []byte("not json")
	case 1:
		m.Payload = fmt.Appendf(nil, `{"w": %d}`, g.r.IntN(12))
	default:
		m.Payload = fmt.Appendf(nil, `{"v": %d}`, g.r.IntN(12))
	}
	m.Properties = g.props5()
	switch e.Type {
	case message.PUBLISH:
		e.Message = m
		if g.r.IntN(4) > 0 {
			e.Properties = m.Properties // as a client sets it; tests may leave it out
		}
		if m.QoS > 0 {
			e.ID = uint16(1 + g.r.IntN(6))
			m.PacketID = e.ID
		}
	case message.PUBACK:
		e.ID = uint16(1 + g.r.IntN(6))
		if g.r.IntN(4) > 0 {
			e.Sent = m
		}
		e.ReasonCode = g.code()
		e.Properties = g.props5()
	case message.SUBACK:
		e.ID = uint16(1 + g.r.IntN(6))
		for range g.r.IntN(3) {
			e.ReturnCodes = append(e.ReturnCodes, message.SubackCode(g.code()))
		}
	case message.UNSUBACK:
		e.ID = uint16(1 + g.r.IntN(6))
		for range g.r.IntN(3) {
			e.ReasonCodes = append(e.ReasonCodes, g.code())
		}
	case message.DISCONNECT:
		e.ReasonCode = g.code()
		e.Properties = g.props5()
	}
	return e
}

func (g gen) level() priority.Level {
	return []priority.Level{priority.Low, priority.Normal, priority.Normal, priority.High, priority.Max, 3}[g.r.IntN(6)]
}

// TestAgainstReference checks that the indexed router chooses the same
// handler as the naive reference on random registration sets and events.
func TestAgainstReference(t *testing.T) {
	sets := 10_000
	if testing.Short() {
		sets = 1_000
	}
	against(t, 20250614, sets, 10, 0)
}

// TestCacheAgainstReference does the same with long runs of events
// drawn from a small pool, so that the topic cache fills and answers
// most dispatches, while registrations, removals and one-shots change
// the tables under it.
func TestCacheAgainstReference(t *testing.T) {
	sets := 300
	if testing.Short() {
		sets = 30
	}
	against(t, 20250615, sets, 400, 12)
}

// against runs sets random registration sets, dispatching events random
// events to each, and compares every choice with the reference's. With
// pool > 0 the events of a set are drawn from pool events made up front.
func against(t *testing.T, seed uint64, sets, events, pool int) {
	t.Helper()
	g := gen{rand.New(rand.NewPCG(seed, seed))}
	cases := 0
	outcome := map[string]int{} // what won, by condition kind
	for set := range sets {
		r := New()
		if pool > 0 {
			r.cacheAfter = 8 // let the cache answer most of the set
		}
		ref := &refRouter{fallback: map[message.Type]*refReg{}}
		ran := -1
		var all []*refReg
		register := func() {
			rg := &refReg{name: len(all), typ: refTypes[g.r.IntN(len(refTypes))], level: g.level(), once: g.r.IntN(6) == 0}
			if g.r.IntN(8) > 0 {
				rg.spec = g.spec(0)
			}
			name := rg.name
			h := func(*Event) { ran = name }
			var err error
			switch {
			case rg.spec != nil && rg.spec.kind == "id" && rg.once && g.r.IntN(2) == 0:
				rg.level = priority.Max
				rg.real, err = r.OnID(rg.typ, rg.spec.id, h)
			case rg.spec != nil && rg.spec.kind == "corr" && rg.once && g.r.IntN(2) == 0:
				rg.typ, rg.level = message.PUBLISH, priority.Max
				rg.real, err = r.OnCorrelation([]byte(rg.spec.s), h)
			case rg.once:
				rg.real, err = r.Once(rg.typ, h, rg.spec.cond(), rg.level)
			default:
				rg.real, err = r.On(rg.typ, h, rg.spec.cond(), rg.level)
			}
			require.NoError(t, err, "seed %d set %d: registering %v", seed, set, rg.spec)
			ref.add(rg)
			all = append(all, rg)
		}
		remove := func() {
			victim := all[g.r.IntN(len(all))]
			got, want := victim.real.Remove(), ref.remove(victim)
			require.Equal(t, want, got, "seed %d set %d: Remove(%d)", seed, set, victim.name)
		}
		for range g.r.IntN(40) + 1 {
			register()
		}
		for range len(all) / 4 {
			remove()
		}
		var drawn []*Event
		for range pool {
			drawn = append(drawn, g.event())
		}
		for ev := range events {
			switch k := g.r.IntN(5 * max(1, events/20)); {
			case k == 0:
				register()
			case k == 1 && pool > 0:
				remove()
			}
			var e *Event
			if pool > 0 {
				e = drawn[g.r.IntN(pool)]
			} else {
				e = g.event()
			}
			var explained *Route
			if ev%5 == 0 {
				explained = r.Explain(e).Handler
			}
			ran = -1
			r.Dispatch(e)
			want := -1
			switch w := ref.choose(e); {
			case w == nil:
				outcome["unhandled"]++
			case w.spec == nil:
				outcome["fallback"]++
				want = w.name
			default:
				outcome[w.spec.kind]++
				want = w.name
			}
			cases++
			if ran != want || (ev%5 == 0 && (explained == nil) != (want < 0)) ||
				(explained != nil && explained.Seq != all[want].real.seq) {
				require.Failf(t, "dispatch differs from the reference", "seed %d set %d event %d: %s\nran %d, want %d; Explain said %v\n%s",
					seed, set, ev, describe(e), ran, want, explained, describeRegs(all))
			}
		}
	}
	t.Logf("seed %d: %d cases, winners by kind: %v", seed, cases, outcome)
}

func describe(e *Event) string {
	s := fmt.Sprintf("%v id=%d", e.Type, e.ID)
	if m := e.Message; m != nil {
		s += fmt.Sprintf(" message{%q qos%d retain=%v dup=%v props=%+v}", m.Topic, m.QoS, m.Retain, m.Dup, m.Properties)
	}
	s += fmt.Sprintf(" reason=%v codes=%v %v props=%+v", e.ReasonCode, e.ReturnCodes, e.ReasonCodes, e.Properties)
	if m := e.Sent; m != nil {
		s += fmt.Sprintf(" sent{%q qos%d retain=%v dup=%v}", m.Topic, m.QoS, m.Retain, m.Dup)
	}
	return s
}

func describeRegs(all []*refReg) string {
	var b strings.Builder
	for _, g := range all {
		fmt.Fprintf(&b, "  %d: %v %v level=%v seq=%d once=%v live=%v\n", g.name, g.typ, g.spec, g.level, g.seq, g.once, g.live)
	}
	return b.String()
}
