package router

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

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
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[0].File != file {
		t.Errorf("File = %q, want %q", got[0].File, file)
	}
	indexes := []string{"", "topic", "", "topic", "", "id"}
	for i, rt := range got {
		if rt.Index != indexes[i] {
			t.Errorf("route %d: Index = %q, want %q", i, rt.Index, indexes[i])
		}
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
			switch {
			case tt.handler == nil && x.Handler != nil:
				t.Errorf("Handler = %v, want nil", x.Handler)
			case tt.handler != nil && (x.Handler == nil || x.Handler.Seq != tt.handler.seq):
				t.Errorf("Handler = %v, want %v", x.Handler, tt.handler.Route())
			}
			var rejected []string
			for _, rt := range x.Rejected {
				rejected = append(rejected, rt.Condition)
			}
			if !slices.Equal(rejected, tt.rejected) {
				t.Errorf("Rejected = %q, want %q", rejected, tt.rejected)
			}
			var ruledOut []string
			for _, rt := range x.RuledOut {
				ruledOut = append(ruledOut, rt.Condition)
			}
			if !slices.Equal(ruledOut, tt.ruledOut) || x.Skipped != len(tt.ruledOut) {
				t.Errorf("RuledOut = %q, Skipped = %d; want %q", ruledOut, x.Skipped, tt.ruledOut)
			}
			// Explain agrees with Dispatch.
			ran := r.Explain(tt.e).Handler
			if !r.Dispatch(tt.e) && ran != nil {
				t.Errorf("Dispatch unhandled, Explain says %v", ran)
			}
		})
	}
	_ = crit
	if s := r.Explain(pub("s/1")).String(); !strings.Contains(s, "passed over: Critical") || !strings.Contains(s, "runs: Normal topic(\"s/+\")") || !strings.Contains(s, "observed by") {
		t.Errorf("String() =\n%s", s)
	}
	if s := r.Explain(&Event{Type: message.SUBACK}).String(); !strings.Contains(s, "unhandled") {
		t.Errorf("String() =\n%s", s)
	}
}

func TestNames(t *testing.T) {
	r := New()
	h := func(*Event) {}
	names := []string{"first", "second", "third"}
	var regs []*Registration
	for i, name := range names {
		g, err := r.On(message.PUBLISH, h, Topic(fmt.Sprintf("s/%d", i)), priority.Normal)
		if err != nil {
			t.Fatal(err)
		}
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
	if want := []string{`log "all"`, "first", "second", "third", "rest"}; !slices.Equal(got, want) {
		t.Errorf("Routes names %q, want %q", got, want)
	}
	if g := regs[1]; g.Name() != "second" || !strings.Contains(g.Route().String(), ` topic("s/1") named "second" at explain_test.go:`) {
		t.Errorf("Name() = %q, Route() = %s", g.Name(), g.Route())
	}
	x := r.Explain(pub("s/2"))
	s := x.String()
	for _, want := range []string{
		`observed by the observer named "log \"all\"" at`,
		`ruled out by the index: Normal topic("s/0") named "first" at`,
		`runs: Normal topic("s/2") named "third" at`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	if s := r.Explain(pub("x")).String(); !strings.Contains(s, `runs: the fallback named "rest" at`) {
		t.Errorf("String() =\n%s", s)
	}
	// An empty name removes the label; a removed registration keeps its.
	regs[0].SetName("")
	regs[2].Remove()
	regs[2].SetName("gone")
	if regs[0].Name() != "" || regs[0].Route().Name != "" || regs[2].Route().Name != "gone" {
		t.Errorf("names %q %q, want \"\" gone", regs[0].Route().Name, regs[2].Route().Name)
	}
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
					t.Errorf("name %q", name)
				}
			}
			_ = r.Explain(pub("a")).String()
			r.Dispatch(pub("a"))
		}
	})
	wg.Wait()
	if g.Name() != "999" {
		t.Errorf("Name() = %q, want 999", g.Name())
	}
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
				if !strings.Contains(s, want) {
					t.Errorf("String() lacks %q:\n%s", want, s)
				}
			}
			if n := strings.Count(s, "ruled out by the index: High"); n != tt.listed {
				t.Errorf("%d topic handlers listed as ruled out, want %d:\n%s", n, tt.listed, s)
			}
		})
	}
}
