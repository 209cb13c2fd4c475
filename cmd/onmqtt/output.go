package main

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// format is how sub prints a message.
type format struct {
	verbose bool // topic before payload
	newline bool // newline after each message in text and hex output
	hex     bool
	json    bool
	routes  bool // print the route that took the message
	explain bool // print the router's explanation
}

// noRoute names the route of a message no route took.
const noRoute = "-"

// write prints m, taken by route ("" for none), with the explanation x
// when it is not nil.
func (f format) write(w io.Writer, m *message.Message, route string, x *router.Explanation) error {
	if f.json {
		return f.writeJSON(w, m, route, x)
	}
	var b strings.Builder
	if f.routes {
		if route == "" {
			route = noRoute
		}
		b.WriteString(route)
		b.WriteByte(' ')
	}
	if f.verbose {
		b.WriteString(m.Topic)
		b.WriteByte(' ')
	}
	if f.hex {
		b.WriteString(hex.EncodeToString(m.Payload))
	} else {
		b.Write(m.Payload)
	}
	if f.newline || x != nil {
		b.WriteByte('\n')
	}
	if x != nil {
		for _, line := range explainLines(x) {
			b.WriteString("    ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonMessage is one line of sub --json.
type jsonMessage struct {
	Topic    string `json:"topic"`
	QoS      int    `json:"qos"`
	Retain   bool   `json:"retain"`
	Dup      bool   `json:"dup"`
	Payload  string `json:"payload"`
	Encoding string `json:"encoding"` // "text" or "base64"
	// Properties are the message's MQTT 5.0 properties; absent before
	// 5.0 and when it has none.
	Properties *jsonProperties `json:"properties,omitempty"`
	// Route is the route's name, null when no route took the message;
	// absent without --route.
	Route   any          `json:"route,omitempty"`
	Explain *jsonExplain `json:"explain,omitempty"`
}

// jsonProperties are the MQTT 5.0 properties of a message in sub --json.
type jsonProperties struct {
	// UserProperties keep their order and repeats, as [key, value] pairs.
	UserProperties [][2]string `json:"user_properties,omitempty"`
	ContentType    string      `json:"content_type,omitempty"`
	// PayloadFormat is 0 (bytes) or 1 (UTF-8); absent when not sent.
	PayloadFormat *byte `json:"payload_format,omitempty"`
	// MessageExpiry is the remaining lifetime in seconds the broker gave.
	MessageExpiry *uint32 `json:"message_expiry,omitempty"`
	ResponseTopic string  `json:"response_topic,omitempty"`
	// CorrelationData is base64, as it may be any bytes.
	CorrelationData string   `json:"correlation_data,omitempty"`
	SubscriptionIDs []uint32 `json:"subscription_ids,omitempty"`
}

// propertiesJSON converts p, nil when it has nothing to show.
func propertiesJSON(p *message.Properties) *jsonProperties {
	if p == nil {
		return nil
	}
	j := &jsonProperties{ContentType: p.ContentType, ResponseTopic: p.ResponseTopic, SubscriptionIDs: p.SubscriptionIDs}
	for _, u := range p.UserProperties {
		j.UserProperties = append(j.UserProperties, [2]string{u.Key, u.Value})
	}
	if v, ok := p.PayloadFormat.Get(); ok {
		j.PayloadFormat = &v
	}
	if v, ok := p.MessageExpiry.Get(); ok {
		j.MessageExpiry = &v
	}
	if p.CorrelationData != nil {
		j.CorrelationData = base64.StdEncoding.EncodeToString(p.CorrelationData)
	}
	if reflect.ValueOf(*j).IsZero() {
		return nil
	}
	return j
}

// jsonExplain is the router's explanation in sub --json --explain.
type jsonExplain struct {
	// Verdict is "conditional", "fallback" or "unhandled".
	Verdict    string      `json:"verdict"`
	Handler    *jsonRoute  `json:"handler,omitempty"`
	PassedOver []jsonRoute `json:"passed_over"`
	RuledOut   []jsonRoute `json:"ruled_out"`
	Lines      []string    `json:"lines"`
}

// jsonRoute is one route in an explanation.
type jsonRoute struct {
	Name      string `json:"name"`
	Priority  string `json:"priority,omitempty"`
	Condition string `json:"condition,omitempty"`
	// Reason says why a route did not run, as the router's Explain gives it.
	Reason string `json:"reason,omitempty"`
}

func (f format) writeJSON(w io.Writer, m *message.Message, route string, x *router.Explanation) error {
	j := jsonMessage{Topic: m.Topic, QoS: int(m.QoS), Retain: m.Retain, Dup: m.Dup, Payload: string(m.Payload), Encoding: "text",
		Properties: propertiesJSON(m.Properties)}
	if !utf8.Valid(m.Payload) {
		j.Payload, j.Encoding = base64.StdEncoding.EncodeToString(m.Payload), "base64"
	}
	if f.routes {
		j.Route = json.RawMessage("null")
		if route != "" {
			j.Route = route
		}
	}
	if x != nil {
		j.Explain = explainJSON(x)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func explainJSON(x *router.Explanation) *jsonExplain {
	conv := func(rs []router.Rejection) []jsonRoute {
		out := make([]jsonRoute, 0, len(rs))
		for _, r := range rs {
			out = append(out, jsonRoute{Name: r.Name, Priority: r.Priority.String(), Condition: r.Condition, Reason: r.Reason})
		}
		return out
	}
	j := &jsonExplain{Verdict: "unhandled", PassedOver: conv(x.Rejected), RuledOut: conv(x.RuledOut), Lines: explainLines(x)}
	if h := x.Handler; h != nil {
		j.Verdict = h.Kind.String()
		j.Handler = &jsonRoute{Name: h.Name, Condition: h.Condition}
		if h.Kind == router.Conditional {
			j.Handler.Priority = h.Priority.String()
		}
	}
	return j
}

// explainLines renders an explanation for a command-line user: the routes
// by name, priority and condition, without the registration sites that
// the router's own String gives (they would all be in this program).
func explainLines(x *router.Explanation) []string {
	width := 0
	for _, rs := range [][]router.Rejection{x.Rejected, x.RuledOut} {
		for _, r := range rs {
			width = max(width, len(r.Name))
		}
	}
	if x.Handler != nil {
		width = max(width, len(x.Handler.Name))
	}
	line := func(verb string, r router.Route, why string) string {
		s := fmt.Sprintf("%-11s %-*s %-8s %s", verb, width, r.Name, r.Priority, r.Condition)
		if why != "" {
			s += ": " + why
		}
		return s
	}
	// The routes ahead of the chosen one, in precedence order: higher
	// priority first, then registration order.
	type ahead struct {
		r       router.Route
		why     string
		indexed bool
	}
	var before []ahead
	for _, r := range x.Rejected {
		why := r.Reason
		if why == "" {
			why = "condition does not hold"
		}
		before = append(before, ahead{r.Route, why, false})
	}
	for _, r := range x.RuledOut {
		why := r.Reason
		if why == "" {
			why = "topic filter does not match"
			if r.Index == "id" {
				why = "packet id does not match"
			}
		}
		before = append(before, ahead{r.Route, why + " (index)", true})
	}
	slices.SortStableFunc(before, func(a, b ahead) int {
		if c := cmp.Compare(b.r.Priority, a.r.Priority); c != 0 {
			return c
		}
		return cmp.Compare(a.r.Seq, b.r.Seq)
	})
	var lines []string
	for _, a := range before {
		if a.indexed {
			lines = append(lines, line("ruled out", a.r, a.why))
		} else {
			lines = append(lines, line("passed over", a.r, a.why))
		}
	}
	switch h := x.Handler; {
	case h == nil:
		lines = append(lines, "unhandled   no route's condition holds and there is no fallback route")
	case h.Kind == router.Fallback:
		lines = append(lines, fmt.Sprintf("%-11s %-*s %-8s %s", "runs", width, h.Name, "fallback", "no other route's condition holds"))
	default:
		lines = append(lines, line("runs", *h, ""))
	}
	return lines
}
