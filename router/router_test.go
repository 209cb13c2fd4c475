package router

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// reg describes one registration of a test table.
type reg struct {
	name string
	typ  message.Type // PUBLISH when 0
	cond Condition    // nil: the fallback
	p    priority.Level
	once bool
}

// recorder builds a router from regs whose handlers record their names.
type recorder struct {
	r    *Router
	mu   sync.Mutex
	ran  []string
	regs map[string]*Registration
}

func newRecorder(t *testing.T, regs []reg, opts ...Option) *recorder {
	t.Helper()
	rec := &recorder{r: New(opts...), regs: map[string]*Registration{}}
	for _, g := range regs {
		if g.typ == 0 {
			g.typ = message.PUBLISH
		}
		register := rec.r.On
		if g.once {
			register = rec.r.Once
		}
		got, err := register(g.typ, rec.handler(g.name), g.cond, g.p)
		require.NoError(t, err, "registering %s", g.name)
		rec.regs[g.name] = got
	}
	return rec
}

func (rec *recorder) handler(name string) Handler {
	return func(*Event) {
		rec.mu.Lock()
		rec.ran = append(rec.ran, name)
		rec.mu.Unlock()
	}
}

// dispatch dispatches e and returns the names of what ran.
func (rec *recorder) dispatch(e *Event) []string {
	rec.mu.Lock()
	rec.ran = nil
	rec.mu.Unlock()
	rec.r.Dispatch(e)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.ran
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		regs []reg
		e    *Event
		want string // "" for unhandled
	}{
		{"single conditional", []reg{{name: "a", cond: Topic("x")}}, pub("x"), "a"},
		{"condition false, no fallback", []reg{{name: "a", cond: Topic("x")}}, pub("y"), ""},
		{"fallback when no condition holds", []reg{{name: "a", cond: Topic("x")}, {name: "fb"}}, pub("y"), "fb"},
		{"conditional beats fallback", []reg{{name: "fb"}, {name: "a", cond: Topic("x"), p: priority.Low}}, pub("x"), "a"},
		{"higher priority wins", []reg{{name: "lo", cond: Topic("x"), p: priority.Low}, {name: "hi", cond: Topic("x"), p: priority.High}}, pub("x"), "hi"},
		{"equal priority: first registered", []reg{{name: "a", cond: Topic("#")}, {name: "b", cond: Topic("x")}}, pub("x"), "a"},
		{"equal priority: first registered, reverse", []reg{{name: "b", cond: Topic("x")}, {name: "a", cond: Topic("#")}}, pub("x"), "b"},
		{"specificity does not matter", []reg{{name: "wild", cond: Topic("#"), p: priority.High}, {name: "exact", cond: Topic("a/b")}}, pub("a/b"), "wild"},
		{"higher priority whose condition fails is passed over", []reg{{name: "hi", cond: Topic("y"), p: priority.Critical}, {name: "lo", cond: Topic("x")}}, pub("x"), "lo"},
		{"indexed and scanned compete by priority", []reg{{name: "func", cond: Func(func(*Event) bool { return true }), p: priority.Normal}, {name: "topic", cond: Topic("x"), p: priority.High}}, pub("x"), "topic"},
		{"scanned wins when earlier at equal priority", []reg{{name: "func", cond: Func(func(*Event) bool { return true })}, {name: "topic", cond: Topic("x")}}, pub("x"), "func"},
		{"id beats topic at higher priority", []reg{{name: "topic", cond: Topic("x"), p: priority.Critical}, {name: "id", cond: ID(5), p: priority.Max}}, &Event{Type: message.PUBLISH, ID: 5, Message: &message.Message{Topic: "x"}}, "id"},
		{"and indexed by topic checks the rest", []reg{{name: "qos2", cond: And(Topic("x"), QoS(2)), p: priority.High}, {name: "any", cond: Topic("x")}}, pub("x"), "any"},
		{"and indexed by id checks the rest", []reg{{name: "both", cond: And(Topic("y"), ID(3)), p: priority.High}, {name: "fb"}}, &Event{Type: message.PUBLISH, ID: 3, Message: &message.Message{Topic: "x"}}, "fb"},
		{"other type is ignored", []reg{{name: "ack", typ: message.PUBACK, cond: Topic("x"), p: priority.Max}, {name: "pub", cond: Topic("x")}}, pub("x"), "pub"},
		{"other type's fallback is ignored", []reg{{name: "ackfb", typ: message.PUBACK}}, pub("x"), ""},
		{"$ topic and root wildcard", []reg{{name: "all", cond: Topic("#"), p: priority.High}, {name: "sys", cond: Topic("$SYS/#")}}, pub("$SYS/load"), "sys"},
		{"negative priorities", []reg{{name: "m5", cond: Topic("x"), p: -5}, {name: "m3", cond: Topic("x"), p: -3}}, pub("x"), "m3"},
		{"min and max", []reg{{name: "min", cond: Topic("x"), p: priority.Min}, {name: "max", cond: Topic("x"), p: priority.Max}}, pub("x"), "max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.regs)
			got := rec.dispatch(tt.e)
			want := []string{tt.want}
			if tt.want == "" {
				want = nil
			}
			assert.Equal(t, want, got, "ran")
			handled := tt.want != ""
			assert.Equal(t, map[bool]uint64{true: 0, false: 1}[handled], rec.r.Stats().Unhandled, "Unhandled, want handled=%v", handled)
		})
	}
}

func TestBefore(t *testing.T) {
	tests := []struct {
		name string
		a, b *Registration
		want bool
	}{
		{"higher level", &Registration{level: 10, seq: 5}, &Registration{level: 0, seq: 1}, true},
		{"lower level", &Registration{level: -1, seq: 1}, &Registration{level: 0, seq: 5}, false},
		{"same level, earlier", &Registration{level: 3, seq: 1}, &Registration{level: 3, seq: 2}, true},
		{"same level, later", &Registration{level: 3, seq: 2}, &Registration{level: 3, seq: 1}, false},
		{"extremes", &Registration{level: priority.Max, seq: 9}, &Registration{level: priority.Min, seq: 1}, true},
		{"itself", &Registration{level: 3, seq: 2}, &Registration{level: 3, seq: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, before(tt.a, tt.b), "before(a, b)")
			// The rule is a strict order: never both ways.
			if tt.want {
				assert.False(t, before(tt.b, tt.a), "before(b, a) = true as well")
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		cond   Condition
		where  index
		filter string
		id     uint16
		rest   string // "" when nil
	}{
		{"topic", Topic("a/+"), byTopic, "a/+", 0, ""},
		{"id", ID(9), byID, "", 9, ""},
		{"and with topic", And(Topic("a"), QoS(1)), byTopic, "a", 0, "qos(1)"},
		{"and prefers id", And(Topic("a"), ID(4), Dup()), byID, "", 4, `and(topic("a"), dup)`},
		{"and of one topic", And(Topic("a")), byTopic, "a", 0, ""},
		{"first topic operand", And(Dup(), Topic("a"), Topic("b")), byTopic, "a", 0, `and(dup, topic("b"))`},
		{"or is scanned", Or(Topic("a"), Topic("b")), byScan, "", 0, `or(topic("a"), topic("b"))`},
		{"not is scanned", Not(Topic("a")), byScan, "", 0, `not(topic("a"))`},
		{"nested and is flattened", And(Dup(), And(ID(2), QoS(1))), byID, "", 2, "and(dup, qos(1))"},
		{"and inside or is not indexed", Or(And(Topic("a"), Dup())), byScan, "", 0, `or(and(topic("a"), dup))`},
		{"glob", Glob("a/*"), byScan, "", 0, `glob("a/*")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Registration{cond: tt.cond}
			plan(g)
			rest := ""
			if g.rest != nil {
				rest = g.rest.String()
			}
			assert.Equal(t, tt.where, g.where, "where")
			assert.Equal(t, tt.filter, g.filter, "filter")
			assert.Equal(t, tt.id, g.id, "id")
			assert.Equal(t, tt.rest, rest, "rest")
		})
	}
}

func TestFallback(t *testing.T) {
	tests := []struct {
		name  string
		steps func(rec *recorder) // after the initial registrations
		want  string
	}{
		{"latest fallback replaces the previous", func(rec *recorder) {
			rec.r.On(message.PUBLISH, rec.handler("fb2"), nil, 0)
		}, "fb2"},
		{"replaced fallback's Remove reports false and keeps the new one", func(rec *recorder) {
			rec.r.On(message.PUBLISH, rec.handler("fb2"), nil, 0)
			if rec.regs["fb"].Remove() {
				panic("Remove of a replaced fallback reported true")
			}
		}, "fb2"},
		{"removed fallback", func(rec *recorder) { rec.regs["fb"].Remove() }, ""},
		{"one-shot fallback after a permanent one", func(rec *recorder) {
			rec.r.Once(message.PUBLISH, rec.handler("once"), nil, 0)
		}, "once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, []reg{{name: "fb"}, {name: "x", cond: Topic("x")}})
			tt.steps(rec)
			got := rec.dispatch(pub("y"))
			if tt.want == "" {
				assert.Nil(t, got, "ran")
			} else {
				assert.Equal(t, []string{tt.want}, got, "ran")
			}
		})
	}
	t.Run("one-shot fallback runs once", func(t *testing.T) {
		rec := newRecorder(t, []reg{{name: "once", once: true}})
		assert.Equal(t, []string{"once"}, rec.dispatch(pub("y")), "first: ran")
		assert.Nil(t, rec.dispatch(pub("y")), "second: ran, want nothing")
	})
}

func TestUnhandled(t *testing.T) {
	tests := []struct {
		name string
		regs []reg
		e    *Event
	}{
		{"no handler at all", nil, pub("x")},
		{"no condition holds", []reg{{name: "a", cond: Topic("a")}}, pub("x")},
		{"only another type", []reg{{name: "fb", typ: message.SUBACK}}, pub("x")},
		{"type out of range", []reg{{name: "fb"}}, &Event{Type: 200}},
		{"type zero", []reg{{name: "fb"}}, &Event{}},
		{"event without topic", []reg{{name: "a", cond: Topic("#")}}, &Event{Type: message.PUBLISH}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hooked []*Event
			rec := newRecorder(t, tt.regs, WithUnhandled(func(e *Event) { hooked = append(hooked, e) }))
			assert.False(t, rec.r.Dispatch(tt.e), "Dispatch reported handled")
			assert.Equal(t, uint64(1), rec.r.Unhandled(), "Unhandled()")
			var want [16]uint64
			if int(tt.e.Type) < len(want) {
				want[tt.e.Type] = 1
			}
			st := rec.r.Stats()
			assert.Equal(t, uint64(1), st.Unhandled, "Stats().Unhandled")
			assert.Equal(t, want, st.UnhandledByType, "Stats().UnhandledByType")
			if assert.Len(t, hooked, 1, "hook, want the event once") {
				assert.Same(t, tt.e, hooked[0], "hook, want the event once")
			}
			assert.Nil(t, rec.ran, "ran, want nothing")
		})
	}
	t.Run("by type", func(t *testing.T) {
		r := New()
		r.On(message.PUBLISH, func(*Event) {}, Topic("a"), 0)
		r.On(message.SUBACK, func(*Event) {}, nil, 0)
		events := []*Event{
			pub("a"), pub("b"), pub("c"), // one handled
			{Type: message.PUBACK, ID: 1}, {Type: message.PUBACK, ID: 2},
			{Type: message.SUBACK}, // handled by the fallback
			{Type: 99},
		}
		for _, e := range events {
			r.Dispatch(e)
		}
		st := r.Stats()
		var want [16]uint64
		want[message.PUBLISH], want[message.PUBACK] = 2, 2
		assert.Equal(t, want, st.UnhandledByType, "Stats().UnhandledByType")
		assert.Equal(t, uint64(5), st.Unhandled, "Stats().Unhandled")
		assert.Equal(t, uint64(5), r.Unhandled(), "Unhandled()")
	})
	t.Run("hook removed", func(t *testing.T) {
		called := false
		r := New(WithUnhandled(func(*Event) { called = true }))
		r.OnUnhandled(nil)
		r.Dispatch(pub("x"))
		assert.False(t, called, "the removed hook was called")
		assert.Equal(t, uint64(1), r.Unhandled(), "Unhandled()")
	})
}

func TestObservers(t *testing.T) {
	var log []string
	r := New(WithUnhandled(func(*Event) { log = append(log, "unhandled") }))
	note := func(s string) Handler { return func(*Event) { log = append(log, s) } }
	o1, _ := r.Observe(message.PUBLISH, note("o1"))
	r.On(message.PUBLISH, note("x"), Topic("x"), priority.Normal)
	r.Observe(message.PUBLISH, note("o2"))
	r.Observe(message.PUBACK, note("ack-observer"))
	tests := []struct {
		name  string
		setup func()
		e     *Event
		want  []string
	}{
		{"observers first, in order", nil, pub("x"), []string{"o1", "o2", "x"}},
		{"observers see unhandled events", nil, pub("y"), []string{"o1", "o2", "unhandled"}},
		{"observers of another type", nil, &Event{Type: message.PUBACK, ID: 1}, []string{"ack-observer", "unhandled"}},
		{"removed observer", func() { o1.Remove() }, pub("x"), []string{"o2", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			log = nil
			r.Dispatch(tt.e)
			assert.Equal(t, tt.want, log)
		})
	}
}

func TestOnceAndOnID(t *testing.T) {
	ack := func(id uint16) *Event { return &Event{Type: message.PUBACK, ID: id} }
	tests := []struct {
		name   string
		regs   []reg
		extra  func(rec *recorder)
		events []*Event
		want   [][]string // per event
	}{
		{"once fires once", []reg{{name: "once", cond: Topic("x"), once: true}, {name: "fb"}},
			nil, []*Event{pub("x"), pub("x")}, [][]string{{"once"}, {"fb"}}},
		{"once not chosen is kept", []reg{{name: "once", cond: Topic("x"), once: true}, {name: "fb"}},
			nil, []*Event{pub("y"), pub("x"), pub("x")}, [][]string{{"fb"}, {"once"}, {"fb"}}},
		{"once behind a higher priority waits its turn", []reg{{name: "hi", cond: Topic("x"), p: priority.High}, {name: "once", cond: Topic("#"), once: true}},
			nil, []*Event{pub("x"), pub("y"), pub("y")}, [][]string{{"hi"}, {"once"}, nil}},
		{"OnID fires for its id only, once", []reg{{name: "fb", typ: message.PUBACK}},
			func(rec *recorder) { rec.r.OnID(message.PUBACK, 42, rec.handler("id42")) },
			[]*Event{ack(41), ack(42), ack(42)}, [][]string{{"fb"}, {"id42"}, {"fb"}}},
		{"OnID beats Critical", []reg{{name: "crit", typ: message.PUBACK, cond: ID(42), p: priority.Critical}},
			func(rec *recorder) { rec.r.OnID(message.PUBACK, 42, rec.handler("id42")) },
			[]*Event{ack(42), ack(42)}, [][]string{{"id42"}, {"crit"}}},
		{"two OnID for one id go in registration order", nil,
			func(rec *recorder) {
				rec.r.OnID(message.PUBACK, 7, rec.handler("first"))
				rec.r.OnID(message.PUBACK, 7, rec.handler("second"))
			},
			[]*Event{ack(7), ack(7), ack(7)}, [][]string{{"first"}, {"second"}, nil}},
		{"OnID registered again for a reused id", nil,
			func(rec *recorder) { rec.r.OnID(message.PUBACK, 9, rec.handler("flow1")) },
			[]*Event{ack(9), ack(9)}, [][]string{{"flow1"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.regs)
			if tt.extra != nil {
				tt.extra(rec)
			}
			for i, e := range tt.events {
				got := rec.dispatch(e)
				assert.True(t, slices.Equal(got, tt.want[i]), "event %d: ran %q, want %q", i, got, tt.want[i])
			}
		})
	}
	t.Run("fired one-shot is gone from Routes and Remove reports false", func(t *testing.T) {
		r := New()
		g, _ := r.OnID(message.PUBACK, 3, func(*Event) {})
		r.Dispatch(ack(3))
		assert.Empty(t, r.Routes(), "routes left")
		assert.False(t, g.Remove(), "Remove of a fired one-shot reported true")
	})
	t.Run("removed before firing", func(t *testing.T) {
		r := New()
		ran := false
		g, _ := r.OnID(message.PUBACK, 3, func(*Event) { ran = true })
		assert.True(t, g.Remove(), "Remove reported false")
		r.Dispatch(ack(3))
		assert.False(t, ran, "removed one-shot ran")
	})
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name   string
		regs   []reg
		remove []string
		e      *Event
		want   string
	}{
		{"topic handler", []reg{{name: "a", cond: Topic("x"), p: 1}, {name: "b", cond: Topic("x")}}, []string{"a"}, pub("x"), "b"},
		{"wildcard handler", []reg{{name: "a", cond: Topic("+/#"), p: 1}, {name: "b", cond: Topic("x/y")}}, []string{"a"}, pub("x/y"), "b"},
		{"id handler", []reg{{name: "a", cond: ID(4), p: 1}, {name: "b", cond: ID(4)}}, []string{"a"}, &Event{Type: message.PUBLISH, ID: 4}, "b"},
		{"scanned handler", []reg{{name: "a", cond: Dup(), p: 1}, {name: "b", cond: Not(Retained())}}, []string{"a"}, &Event{Type: message.PUBLISH, Message: &message.Message{Dup: true}}, "b"},
		{"the last one", []reg{{name: "a", cond: Topic("x")}}, []string{"a"}, pub("x"), ""},
		{"one of a shared filter", []reg{{name: "a", cond: Topic("x/+")}, {name: "b", cond: Topic("x/+")}, {name: "c", cond: Topic("x/+")}}, []string{"a", "b"}, pub("x/1"), "c"},
		{"sibling keeps its path", []reg{{name: "a", cond: Topic("x/1")}, {name: "b", cond: Topic("x/2")}}, []string{"a"}, pub("x/2"), "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.regs)
			for _, n := range tt.remove {
				assert.True(t, rec.regs[n].Remove(), "Remove(%s)", n)
				assert.False(t, rec.regs[n].Remove(), "second Remove(%s)", n)
			}
			got := rec.dispatch(tt.e)
			if tt.want == "" {
				assert.Nil(t, got, "ran")
			} else {
				assert.Equal(t, []string{tt.want}, got, "ran")
			}
			if len(tt.regs) == len(tt.remove) {
				tb := rec.r.snap.Load()
				assert.Nil(t, tb.types[message.PUBLISH], "type table not released after removing everything")
			}
		})
	}
}

func TestRegisterErrors(t *testing.T) {
	r := New()
	h := func(*Event) {}
	tests := []struct {
		name string
		reg  func() (*Registration, error)
		want []error
	}{
		{"nil handler", func() (*Registration, error) { return r.On(message.PUBLISH, nil, nil, 0) }, []error{ErrNilHandler}},
		{"nil observer", func() (*Registration, error) { return r.Observe(message.PUBLISH, nil) }, []error{ErrNilHandler}},
		{"type 0", func() (*Registration, error) { return r.On(0, h, nil, 0) }, []error{ErrInvalidType}},
		{"type 16", func() (*Registration, error) { return r.On(16, h, nil, 0) }, []error{ErrInvalidType}},
		{"invalid filter", func() (*Registration, error) { return r.On(message.PUBLISH, h, Topic("a/#/b"), 0) }, []error{ErrInvalidCondition, message.ErrInvalidFilter}},
		{"invalid filter in once", func() (*Registration, error) { return r.Once(message.PUBLISH, h, And(Dup(), Topic("a+")), 0) }, []error{message.ErrInvalidFilter}},
		{"invalid glob", func() (*Registration, error) { return r.On(message.PUBLISH, h, Glob("[a"), 0) }, []error{ErrInvalidGlob}},
		{"OnID 0", func() (*Registration, error) { return r.OnID(message.PUBACK, 0, h) }, []error{ErrInvalidCondition}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.reg()
			assert.Nil(t, g, "got a registration, want nil")
			for _, w := range tt.want {
				assert.ErrorIs(t, err, w)
			}
		})
	}
	assert.Empty(t, r.Routes(), "routes after failed registrations")
}

func TestPanics(t *testing.T) {
	type report struct {
		e *Event
		v any
	}
	tests := []struct {
		name  string
		setup func(r *Router, ran *[]string)
		want  []string
		panic any
	}{
		{"handler", func(r *Router, ran *[]string) {
			r.On(message.PUBLISH, func(*Event) { panic("boom") }, Topic("x"), 0)
		}, nil, "boom"},
		{"observer, handler still runs", func(r *Router, ran *[]string) {
			r.Observe(message.PUBLISH, func(*Event) { panic("obs") })
			r.On(message.PUBLISH, func(*Event) { *ran = append(*ran, "x") }, Topic("x"), 0)
		}, []string{"x"}, "obs"},
		{"unhandled hook", func(r *Router, ran *[]string) {
			r.OnUnhandled(func(*Event) { panic("hook") })
		}, nil, "hook"},
		{"panic with an error", func(r *Router, ran *[]string) {
			r.On(message.PUBLISH, func(*Event) { panic(errors.New("err")) }, nil, 0)
		}, nil, "err"},
		{"panic hook that panics", func(r *Router, ran *[]string) {
			r.On(message.PUBLISH, func(*Event) { panic("boom") }, nil, 0)
			r.OnPanic(func(*Event, any) { *ran = append(*ran, "hook"); panic("again") })
		}, []string{"hook"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reports []report
			var ran []string
			r := New(WithPanicHandler(func(e *Event, v any) { reports = append(reports, report{e, v}) }))
			tt.setup(r, &ran)
			e := pub("x")
			r.Dispatch(e) // must return normally
			assert.Equal(t, tt.want, ran, "ran")
			assert.Equal(t, uint64(1), r.Stats().Panics, "Stats().Panics")
			if tt.panic == nil {
				return
			}
			if assert.Len(t, reports, 1, "reports %v, want one for %v", reports, tt.panic) {
				assert.Same(t, e, reports[0].e, "reports %v, want one for %v", reports, tt.panic)
				assert.Equal(t, tt.panic, fmt.Sprint(reports[0].v), "reports %v, want one for %v", reports, tt.panic)
			}
		})
	}
}

func TestDispatchAllocs(t *testing.T) {
	r := New()
	h := func(*Event) {}
	for i := range 100 {
		r.On(message.PUBLISH, h, Topic(fmt.Sprintf("site/%d/device/+/temp", i)), priority.Level(i%3))
		r.On(message.PUBLISH, h, Topic(fmt.Sprintf("site/%d/#", i)), priority.Level(i%3))
		r.On(message.PUBACK, h, ID(uint16(i+1)), 0)
	}
	r.On(message.PUBLISH, h, Func(func(e *Event) bool { return e.Message.Retain }), 0)
	r.On(message.PUBLISH, h, nil, 0)
	r.Observe(message.PUBLISH, h)
	events := []*Event{
		pub("site/7/device/3/temp"), pub("nowhere"), pub("$SYS/x"),
		{Type: message.PUBACK, ID: 50}, {Type: message.PUBACK, ID: 500}, {Type: message.SUBACK},
	}
	for _, e := range events {
		assert.Zero(t, testing.AllocsPerRun(200, func() { r.Dispatch(e) }), "%v: allocations per Dispatch", r.Explain(e).Type)
	}
}
