package router

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// TestHandlerChangesRouter has handlers register, remove, dispatch and
// panic during their own dispatch. Each case dispatches the same event
// three times and lists what ran each time.
func TestHandlerChangesRouter(t *testing.T) {
	type env struct {
		r    *Router
		ran  *[]string
		regs map[string]*Registration
	}
	note := func(en *env, s string) Handler { return func(*Event) { *en.ran = append(*en.ran, s) } }
	tests := []struct {
		name  string
		setup func(en *env)
		want  [][]string
	}{
		{"registers a higher handler: it runs from the next event", func(en *env) {
			en.r.On(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "a")
				if en.regs["new"] == nil {
					en.regs["new"], _ = en.r.On(message.PUBLISH, note(en, "new"), Topic("x"), priority.High)
				}
			}, Topic("x"), priority.Normal)
		}, [][]string{{"a"}, {"new"}, {"new"}}},
		{"removes itself", func(en *env) {
			en.regs["a"], _ = en.r.On(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "a")
				en.regs["a"].Remove()
			}, Topic("x"), priority.Normal)
			en.r.On(message.PUBLISH, note(en, "fb"), nil, 0)
		}, [][]string{{"a"}, {"fb"}, {"fb"}}},
		{"removes another and the fallback", func(en *env) {
			en.r.On(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "a")
				en.regs["b"].Remove()
				en.regs["fb"].Remove()
			}, Topic("x"), priority.Normal)
			en.regs["b"], _ = en.r.On(message.PUBLISH, note(en, "b"), Topic("x"), priority.Low)
			en.regs["fb"], _ = en.r.On(message.PUBLISH, note(en, "fb"), nil, 0)
		}, [][]string{{"a"}, {"a"}, {"a"}}},
		{"observer removes the handler that would run", func(en *env) {
			en.r.Observe(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "obs")
				en.regs["a"].Remove()
			})
			en.regs["a"], _ = en.r.On(message.PUBLISH, note(en, "a"), Topic("x"), priority.Normal)
			en.r.On(message.PUBLISH, note(en, "fb"), nil, 0)
		}, [][]string{{"obs", "fb"}, {"obs", "fb"}, {"obs", "fb"}}},
		{"observer removes itself", func(en *env) {
			en.regs["obs"], _ = en.r.Observe(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "obs")
				en.regs["obs"].Remove()
			})
			en.r.On(message.PUBLISH, note(en, "fb"), nil, 0)
		}, [][]string{{"obs", "fb"}, {"fb"}, {"fb"}}},
		{"one-shot registers its successor for the same id", func(en *env) {
			var again Handler
			again = func(*Event) {
				*en.ran = append(*en.ran, "once")
				en.r.OnID(message.PUBLISH, 5, again)
			}
			en.r.OnID(message.PUBLISH, 5, again)
		}, [][]string{{"once"}, {"once"}, {"once"}}},
		{"replaces the fallback it is", func(en *env) {
			en.r.On(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "fb1")
				en.r.On(message.PUBLISH, note(en, "fb2"), nil, 0)
			}, nil, 0)
		}, [][]string{{"fb1"}, {"fb2"}, {"fb2"}}},
		{"dispatches another event", func(en *env) {
			en.r.On(message.PUBLISH, func(e *Event) {
				*en.ran = append(*en.ran, "pub")
				en.r.Dispatch(&Event{Type: message.PUBACK, ID: 1})
			}, Topic("x"), priority.Normal)
			en.r.On(message.PUBACK, note(en, "ack"), nil, 0)
		}, [][]string{{"pub", "ack"}, {"pub", "ack"}, {"pub", "ack"}}},
		{"panics after changing the router", func(en *env) {
			en.regs["a"], _ = en.r.On(message.PUBLISH, func(*Event) {
				*en.ran = append(*en.ran, "a")
				en.regs["a"].Remove()
				en.r.On(message.PUBLISH, note(en, "b"), Topic("x"), priority.Normal)
				panic("after the change")
			}, Topic("x"), priority.Normal)
		}, [][]string{{"a"}, {"b"}, {"b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran []string
			en := &env{r: New(), ran: &ran, regs: map[string]*Registration{}}
			tt.setup(en)
			for i, want := range tt.want {
				ran = nil
				en.r.Dispatch(&Event{Type: message.PUBLISH, ID: 5, Message: &message.Message{Topic: "x"}})
				assert.True(t, slices.Equal(ran, want), "dispatch %d: ran %q, want %q", i, ran, want)
			}
		})
	}
}
