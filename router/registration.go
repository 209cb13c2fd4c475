package router

import (
	"math"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// Kind is the role of a registered handler.
type Kind uint8

// Kinds of registration.
const (
	// Conditional handlers have a condition and compete by precedence.
	Conditional Kind = iota + 1
	// A Fallback runs when no conditional handler of its type takes the
	// event; there is at most one per packet type.
	Fallback
	// Observers see every event of their type and choose nothing.
	Observer
)

var kindNames = [...]string{Conditional: "conditional", Fallback: "fallback", Observer: "observer"}

// String returns "conditional", "fallback", "observer" or "Kind(n)".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// index says where a conditional registration lives in a type's tables.
type index uint8

const (
	byScan        index = iota // checked one by one
	byTopic                    // in the topic trie, under filter
	byID                       // in the packet id index, under id
	bySubID                    // in the subscription identifier index, under subID
	byCorrelation              // in the correlation data index, under key
)

var indexNames = [...]string{byScan: "", byTopic: "topic", byID: "id", bySubID: "subscription id", byCorrelation: "correlation"}

// A Registration is one handler registered with a [Router]. Remove
// unregisters it.
type Registration struct {
	// The fields a dispatch reads come first.
	level priority.Level
	seq   uint64 // registration order, unique per router
	// done is set exactly once: when the registration is removed,
	// replaced (a fallback), or claimed by the dispatch that runs it (a
	// one-shot). Dispatch skips registrations that are done, even in a
	// snapshot taken before.
	done atomic.Bool
	once bool
	kind Kind
	h    Handler
	// rest is the part of cond that the index a registration lives in
	// leaves to check; nil when the index alone decides.
	rest Condition

	router *Router
	typ    message.Type
	cond   Condition

	// Indexing: where the registration lives, under which topic filter
	// or packet identifier.
	where  index
	filter string // without the $share/<group>/ prefix of a shared subscription's
	shared bool   // filter came from a shared subscription's
	id     uint16
	subID  uint32
	key    string // correlation data

	// name is the label set by SetName; nil for none.
	name atomic.Pointer[string]

	// site holds the program counters of the registering call, resolved
	// to a file and line only when a Route is asked for.
	site [siteDepth]uintptr
}

// rank is a registration's place in the precedence order among
// conditional handlers.
type rank struct {
	level priority.Level
	seq   uint64
}

// outranks reports whether a takes precedence over b: a higher priority,
// or the same priority and registered earlier. It is the whole precedence
// rule among conditional handlers.
func (a rank) outranks(b rank) bool {
	if a.level != b.level {
		return a.level > b.level
	}
	return a.seq < b.seq
}

func (g *Registration) rank() rank { return rank{g.level, g.seq} }

// lowest is outranked by every registration: no sequence number reaches
// it.
var lowest = rank{level: priority.Min, seq: math.MaxUint64}

// before reports whether a takes precedence over b.
func before(a, b *Registration) bool { return a.rank().outranks(b.rank()) }

// Remove unregisters the handler. It reports whether this call removed
// it: false when it was already removed, replaced by another fallback, or
// has fired (a one-shot). Remove may be called at any time, also from a
// handler; a dispatch that has already chosen this handler still runs
// it, no dispatch chooses it after Remove returns.
func (g *Registration) Remove() bool {
	if !g.done.CompareAndSwap(false, true) {
		return false
	}
	g.router.drop(g)
	return true
}

// SetName labels the registration with name, which [Registration.Route],
// [Router.Routes] and [Router.Explain] report along with the registration
// site; "" removes the label. Names are free text: the router neither
// interprets them nor requires them to be unique. They are what tells
// apart handlers registered from one line, such as rules registered in a
// loop over a table:
//
//	for _, rule := range rules {
//		g, err := r.On(message.PUBLISH, rule.handle, rule.cond, rule.level)
//		if err != nil {
//			return err
//		}
//		g.SetName(rule.name)
//	}
//
// SetName may be called at any time, from any goroutine, also from a
// handler, and after Remove; it has no effect on dispatch. A description
// taken before it returns may not show the name.
func (g *Registration) SetName(name string) {
	if name == "" {
		g.name.Store(nil)
		return
	}
	g.name.Store(&name)
}

// Name returns the label set by [Registration.SetName], "" when there is
// none.
func (g *Registration) Name() string {
	if p := g.name.Load(); p != nil {
		return *p
	}
	return ""
}

// Route describes the registration; see [Router.Routes] for its
// Warning.
func (g *Registration) Route() Route {
	subs, known := g.router.snap.Load().subscriptionFilters()
	return g.route(subs, known)
}

// route is Route with the subscription filters in effect, if known.
func (g *Registration) route(subs []string, known bool) Route {
	r := Route{
		Type:     g.typ,
		Kind:     g.kind,
		Once:     g.once,
		Priority: g.level,
		Index:    indexNames[g.where],
		Name:     g.Name(),
		Seq:      g.seq,
	}
	if g.cond != nil {
		r.Condition = g.cond.String()
	}
	if g.where == byTopic {
		r.Filter = g.filter
		if known && g.kind == Conditional {
			r.Warning = uncovered(subs, g.filter)
		}
	}
	r.File, r.Line = resolve(g.site[:])
	return r
}

// Route describes one registered handler, for [Router.Routes] and
// [Router.Explain].
type Route struct {
	Type     message.Type
	Kind     Kind
	Once     bool           // a one-shot, removed when it fires
	Priority priority.Level // meaningful for conditional handlers
	// Condition renders the condition; "" for fallbacks and observers.
	Condition string
	// Index is "topic", "id", "subscription id" or "correlation" when
	// the router finds the handler through its topic trie, packet id
	// index, subscription identifier index or correlation data index,
	// "" when it checks it one by one.
	Index string
	// Filter is, for Index "topic", the topic filter the index matches:
	// that of the Topic condition, without the $share/<group>/ prefix of
	// a shared subscription's filter.
	Filter string
	// Warning is set when the router knows the subscriptions in effect
	// and none of them can deliver a message that Filter matches: the
	// handler can never run.
	Warning string
	// Name is the label set by [Registration.SetName], "" when there is
	// none.
	Name string
	// File and Line are where the handler was registered: the first
	// caller outside the onmqtt library.
	File string
	Line int
	// Seq is the registration order, which breaks ties of priority.
	Seq uint64
}

// String renders the route on one line, such as
//
//	PUBLISH conditional High topic("alarms/#") named "alarms" at main.go:31
func (r Route) String() string {
	var b strings.Builder
	b.WriteString(r.Type.String())
	b.WriteByte(' ')
	b.WriteString(r.Kind.String())
	if r.Once {
		b.WriteString(" once")
	}
	if r.Kind == Conditional {
		b.WriteByte(' ')
		b.WriteString(r.Priority.String())
		b.WriteByte(' ')
		b.WriteString(r.Condition)
	}
	r.writeName(&b)
	b.WriteString(" at ")
	b.WriteString(r.Site())
	if r.Warning != "" {
		b.WriteString(" (warning: ")
		b.WriteString(r.Warning)
		b.WriteByte(')')
	}
	return b.String()
}

// writeName writes ` named "name"` to b when the route has a name.
func (r Route) writeName(b *strings.Builder) {
	if r.Name != "" {
		b.WriteString(" named ")
		b.WriteString(strconv.Quote(r.Name))
	}
}

// Site returns "file:line" with the file's base name, or "?" when the
// site is unknown.
func (r Route) Site() string {
	if r.File == "" {
		return "?"
	}
	f := r.File
	if i := strings.LastIndexByte(f, '/'); i >= 0 {
		f = f[i+1:]
	}
	return f + ":" + strconv.Itoa(r.Line)
}

// libraryPrefix is the import path prefix of the onmqtt library; frames
// in it, other than tests, are not registration sites.
var libraryPrefix = func() string {
	p := reflect.TypeFor[Router]().PkgPath()
	return p[:strings.LastIndexByte(p, '/')+1]
}()

// siteDepth is how many callers a registration records, starting with
// the registration method: enough to get past a client method or two
// that register for the application. Recording them is the main cost of
// a registration, about a microsecond, so it is kept short.
const siteDepth = 4

// callers records the callers of the registration method that called
// it: the registration site.
func callers(pcs *[siteDepth]uintptr) {
	runtime.Callers(3, pcs[:])
}

// resolve returns the file and line of the first of pcs outside the
// onmqtt library, so that a registration made through a wrapper (the
// client's own On) is attributed to the application code that asked for
// it.
func resolve(pcs []uintptr) (string, int) {
	if n := slices.Index(pcs, 0); n >= 0 {
		pcs = pcs[:n]
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !inLibrary(f) {
			return f.File, f.Line
		}
		if !more {
			return "", 0
		}
	}
}

func inLibrary(f runtime.Frame) bool {
	return strings.HasPrefix(f.Function, libraryPrefix) && !strings.HasSuffix(f.File, "_test.go")
}
