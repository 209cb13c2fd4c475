package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// routeSpec is one --route NAME=CONDITION[@PRIORITY], parsed.
type routeSpec struct {
	name  string
	cond  router.Condition // nil: the fallback
	level priority.Level
}

// errRoute marks a malformed --route; it wraps errUsage.
var errRoute = fmt.Errorf("%w: --route", errUsage)

// levelNames are the priority names --route accepts.
var levelNames = map[string]priority.Level{
	"low":      priority.Low,
	"normal":   priority.Normal,
	"high":     priority.High,
	"critical": priority.Critical,
}

// parseRoute parses NAME=CONDITION[@PRIORITY]. The priority is what
// follows the last '@', when that is an integer or a level name;
// otherwise the '@' belongs to the condition.
func parseRoute(spec string) (routeSpec, error) {
	name, rest, ok := strings.Cut(spec, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return routeSpec{}, fmt.Errorf("%w %q: want NAME=CONDITION[@PRIORITY]", errRoute, spec)
	}
	rs := routeSpec{name: name}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		if l, ok := parseLevel(rest[i+1:]); ok {
			rs.level, rest = l, rest[:i]
		}
	}
	if strings.TrimSpace(rest) == "" {
		return rs, nil
	}
	cond, err := parseCondition(rest)
	if err != nil {
		return routeSpec{}, fmt.Errorf("%w %q: %w", errRoute, spec, err)
	}
	rs.cond = cond
	return rs, nil
}

// parseLevel reads an integer or a level name.
func parseLevel(s string) (priority.Level, bool) {
	s = strings.TrimSpace(s)
	if l, ok := levelNames[strings.ToLower(s)]; ok {
		return l, true
	}
	n, err := strconv.Atoi(s)
	return priority.Level(n), err == nil
}

// errCondition reports a malformed condition.
var errCondition = errors.New("bad condition")

// parseCondition parses terms joined by '|' and '&' ('&' first), each
// optionally negated with '!'.
func parseCondition(s string) (router.Condition, error) {
	var ors []router.Condition
	for _, alt := range strings.Split(s, "|") {
		var ands []router.Condition
		for _, term := range strings.Split(alt, "&") {
			c, err := parseTerm(strings.TrimSpace(term))
			if err != nil {
				return nil, err
			}
			ands = append(ands, c)
		}
		if len(ands) == 1 {
			ors = append(ors, ands[0])
		} else {
			ors = append(ors, router.And(ands...))
		}
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return router.Or(ors...), nil
}

// parseTerm parses one term: topic:, glob:, qos:, retained, dup, with an
// optional leading '!'.
func parseTerm(t string) (router.Condition, error) {
	if rest, ok := strings.CutPrefix(t, "!"); ok {
		c, err := parseTerm(strings.TrimSpace(rest))
		if err != nil {
			return nil, err
		}
		return router.Not(c), nil
	}
	kind, arg, hasArg := strings.Cut(t, ":")
	switch {
	case t == "":
		return nil, fmt.Errorf("%w: empty term", errCondition)
	case t == "retained":
		return router.Retained(), nil
	case t == "dup":
		return router.Dup(), nil
	case !hasArg:
		return nil, fmt.Errorf("%w: %q: want topic:, glob:, qos:, retained or dup", errCondition, t)
	}
	switch kind {
	case "topic":
		if err := message.ValidFilter(arg); err != nil {
			return nil, fmt.Errorf("%w: topic:%s: %w", errCondition, arg, err)
		}
		return router.Topic(arg), nil
	case "glob":
		if arg == "" {
			return nil, fmt.Errorf("%w: empty glob pattern", errCondition)
		}
		return router.Glob(arg), nil
	case "qos":
		switch arg {
		case "0", "1", "2":
			return router.QoS(message.QoS(arg[0] - '0')), nil
		}
		return nil, fmt.Errorf("%w: qos:%s: want 0, 1 or 2", errCondition, arg)
	}
	return nil, fmt.Errorf("%w: unknown term %q: want topic:, glob:, qos:, retained or dup", errCondition, kind+":")
}

// addRoutes registers a PUBLISH handler for each --route, named after
// it, in command-line order.
func (s *subscriber) addRoutes(specs []string) error {
	fallback := ""
	for _, spec := range specs {
		rs, err := parseRoute(spec)
		if err != nil {
			return err
		}
		if rs.cond == nil {
			if fallback != "" {
				return fmt.Errorf("%w: routes %q and %q are both fallbacks (empty condition)", errRoute, fallback, rs.name)
			}
			fallback = rs.name
		}
		name := rs.name
		g, err := s.router.On(message.PUBLISH, func(ev *router.Event) { s.take(ev, name) }, rs.cond, rs.level)
		if err != nil {
			// The router rejects what the parser cannot check: glob syntax.
			return fmt.Errorf("%w %q: %w", errRoute, spec, err)
		}
		g.SetName(name)
	}
	return nil
}
