package router

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

func TestRoutes(t *testing.T) {
	r := New()
	h := func(*Event) {}
	r.On(message.PUBLISH, h, nil, 0) // fallback, listed last
	r.On(message.PUBLISH, h, Topic("a/#"), priority.Normal)
	r.On(message.PUBLISH, h, And(Topic("b"), Dup()), priority.High)
	r.Once(message.PUBLISH, h, Func(isCool), priority.High)
	r.Observe(message.PUBLISH, h)
	r.OnID(message.PUBACK, 5, h)
	_, file, line, _ := runtime.Caller(0)
	got := r.Routes()
	want := []string{
		`PUBLISH observer at explain_test.go:` + fmt.Sprint(line-2),
		`PUBLISH conditional High and(topic("b"), dup) at explain_test.go:` + fmt.Sprint(line-4),
		`PUBLISH conditional once High func(router.isCool) at explain_test.go:` + fmt.Sprint(line-3),
		`PUBLISH conditional Normal topic("a/#") at explain_test.go:` + fmt.Sprint(line-5),
		`PUBLISH fallback at explain_test.go:` + fmt.Sprint(line-6),
		`PUBACK conditional once Max id(5) at explain_test.go:` + fmt.Sprint(line-1),
	}
	var lines []string
	for _, rt := range got {
		lines = append(lines, rt.String())
	}
	assert.Equal(t, want, lines)
	assert.Equal(t, file, got[0].File, "File")
	indexes := []string{"", "topic", "", "topic", "", "id"}
	for i, rt := range got {
		assert.Equal(t, indexes[i], rt.Index, "route %d: Index", i)
	}
}

func TestExplain(t *testing.T) {
	r := New()
	h := func(*Event) {}
	r.Observe(message.PUBLISH, h)
	crit, _ := r.On(message.PUBLISH, h, And(Topic("s/#"), Retained()), priority.Critical)
	r.On(message.PUBLISH, h, Topic("other/#"), priority.Critical)
	r.On(message.PUBLISH, h, Dup(), priority.High)
	win, _ := r.On(message.PUBLISH, h, Topic("s/+"), priority.Normal)
	r.On(message.PUBLISH, h, Topic("s/1"), priority.Low)
	fb, _ := r.On(message.PUBLISH, h, nil, 0)

	tests := []struct {
		name     string
		e        *Event
		handler  *Registration
		rejected []string
		ruledOut []string
	}{
		{"winner after rejections", pub("s/1"), win, []string{`and(topic("s/#"), retained)`, "dup"}, []string{`topic("other/#")`}},
		{"fallback", pub("t"), fb, []string{"dup"}, []string{`and(topic("s/#"), retained)`, `topic("other/#")`, `topic("s/+")`, `topic("s/1")`}},
		{"unknown type", &Event{Type: message.SUBACK}, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := r.Explain(tt.e)
			if tt.handler == nil {
				assert.Nil(t, x.Handler, "Handler")
			} else if assert.NotNil(t, x.Handler, "Handler, want %v", tt.handler.Route()) {
				assert.Equal(t, tt.handler.seq, x.Handler.Seq, "Handler = %v, want %v", x.Handler, tt.handler.Route())
			}
			var rejected []string
			for _, rt := range x.Rejected {
				rejected = append(rejected, rt.Condition)
			}
			assert.True(t, slices.Equal(rejected, tt.rejected), "Rejected = %q, want %q", rejected, tt.rejected)
			var ruledOut []string
			for _, rt := range x.RuledOut {
				ruledOut = append(ruledOut, rt.Condition)
			}
			assert.True(t, slices.Equal(ruledOut, tt.ruledOut), "RuledOut = %q, want %q", ruledOut, tt.ruledOut)
			assert.Equal(t, len(tt.ruledOut), x.Skipped, "Skipped")
			// Explain agrees with Dispatch.
			ran := r.Explain(tt.e).Handler
			if !r.Dispatch(tt.e) {
				assert.Nil(t, ran, "Dispatch unhandled, Explain says %v", ran)
			}
		})
	}
	_ = crit
	s := r.Explain(pub("s/1")).String()
	assert.Contains(t, s, "passed over: Critical", "String()")
	assert.Contains(t, s, "runs: Normal topic(\"s/+\")", "String()")
	assert.Contains(t, s, "observed by", "String()")
	assert.Contains(t, r.Explain(&Event{Type: message.SUBACK}).String(), "unhandled", "String()")
}

func TestNames(t *testing.T) {
	r := New()
	h := func(*Event) {}
	names := []string{"first", "second", "third"}
	var regs []*Registration
	for i, name := range names {
		g, err := r.On(message.PUBLISH, h, Topic(fmt.Sprintf("s/%d", i)), priority.Normal)
		require.NoError(t, err)
		g.SetName(name)
		regs = append(regs, g)
	}
	fb, _ := r.On(message.PUBLISH, h, nil, 0)
	fb.SetName("rest")
	obs, _ := r.Observe(message.PUBLISH, h)
	obs.SetName(`log "all"`)

	var got []string
	for _, rt := range r.Routes() {
		got = append(got, rt.Name)
	}
	assert.Equal(t, []string{`log "all"`, "first", "second", "third", "rest"}, got, "Routes names")
	g := regs[1]
	assert.Equal(t, "second", g.Name(), "Name()")
	assert.Contains(t, g.Route().String(), ` topic("s/1") named "second" at explain_test.go:`, "Route()")
	x := r.Explain(pub("s/2"))
	s := x.String()
	for _, want := range []string{
		`observed by the observer named "log \"all\"" at`,
		`ruled out by the index: Normal topic("s/0") named "first" at`,
		`runs: Normal topic("s/2") named "third" at`,
	} {
		assert.Contains(t, s, want, "String()")
	}
	assert.Contains(t, r.Explain(pub("x")).String(), `runs: the fallback named "rest" at`, "String()")
	// An empty name removes the label; a removed registration keeps its.
	regs[0].SetName("")
	regs[2].Remove()
	regs[2].SetName("gone")
	assert.Empty(t, regs[0].Name(), "Name() after SetName(\"\")")
	assert.Empty(t, regs[0].Route().Name, "Route().Name after SetName(\"\")")
	assert.Equal(t, "gone", regs[2].Route().Name, "name of a removed registration")
}

// TestNamesConcurrently sets names while other goroutines describe and
// dispatch; the race detector checks the accesses.
func TestNamesConcurrently(t *testing.T) {
	r := New()
	g, _ := r.On(message.PUBLISH, func(*Event) {}, Topic("a"), 0)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 1000 {
			g.SetName(strconv.Itoa(i))
		}
	})
	wg.Go(func() {
		for range 1000 {
			if name := r.Routes()[0].Name; name != "" {
				if _, err := strconv.Atoi(name); err != nil {
					assert.Failf(t, "torn name", "name %q", name)
				}
			}
			_ = r.Explain(pub("a")).String()
			r.Dispatch(pub("a"))
		}
	})
	wg.Wait()
	assert.Equal(t, "999", g.Name(), "Name()")
}

// TestExplainString covers the reasons given for ruling a handler out
// and the limit on how many are listed.
func TestExplainString(t *testing.T) {
	r := New()
	h := func(*Event) {}
	r.On(message.PUBACK, h, ID(7), priority.Critical)
	for i := range maxRuledOut + 5 {
		r.On(message.PUBACK, h, Topic(fmt.Sprintf("t/%d", i)), priority.High)
	}
	r.On(message.PUBACK, h, nil, 0)
	tests := []struct {
		name   string
		e      *Event
		want   []string
		listed int // topic handlers listed as ruled out
	}{
		{"other id, other topic", &Event{Type: message.PUBACK, ID: 8, Sent: &message.Message{Topic: "x"}}, []string{
			`ruled out by the index: Critical id(7) at explain_test.go:`,
			"(packet id 8, not 7)",
			`ruled out by the index: High topic("t/0") at explain_test.go:`,
			`(topic does not match "t/0")`,
			"ruled out by the index: 6 more",
			"runs: the fallback",
		}, maxRuledOut - 1},
		{"no topic, no id", &Event{Type: message.PUBACK}, []string{"(no packet id)", "(no topic)", "6 more"}, maxRuledOut - 1},
		{"taken by id", &Event{Type: message.PUBACK, ID: 7}, []string{"runs: Critical id(7)"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := r.Explain(tt.e).String()
			for _, want := range tt.want {
				assert.Contains(t, s, want, "String()")
			}
			assert.Equal(t, tt.listed, strings.Count(s, "ruled out by the index: High"), "topic handlers listed as ruled out:\n%s", s)
		})
	}
}
