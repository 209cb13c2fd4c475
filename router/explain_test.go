package router

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
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
		skipped  int
	}{
		{"winner after rejections", pub("s/1"), win, []string{`and(topic("s/#"), retained)`, "dup"}, 1},
		{"fallback", pub("t"), fb, []string{"dup"}, 4},
		{"unknown type", &Event{Type: message.SUBACK}, nil, nil, 0},
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
			if x.Skipped != tt.skipped {
				t.Errorf("Skipped = %d, want %d", x.Skipped, tt.skipped)
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
