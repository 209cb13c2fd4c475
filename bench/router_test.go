package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// The router benchmarks dispatch events through onmqtt's indexed router
// and, for comparison, through a linear router that checks every
// registered filter in turn, the way most Go MQTT clients route messages.
// Both implement the same choice: the highest priority whose condition
// holds, ties in registration order. They are all named BenchmarkRouter…,
// so that go test -run '^$' -bench Router runs them.
//
// The topic benchmarks run onmqtt twice: "cache=on" is the default
// router, "cache=off" the same router made with WithoutTopicCache, which
// walks its topic trie for every event. BenchmarkRouterTopic cycles
// through 1024 events, so that once warm the cache answers most of them;
// BenchmarkRouterTopicUnique never dispatches a topic twice, so that
// the cache never answers and only adds its own cost to the walk.

// linearRoute is one handler of the linear router: a topic filter, a
// packet id, or a function, whichever is set.
type linearRoute struct {
	filter string
	id     uint16
	f      func(*router.Event) bool
	level  priority.Level
	h      router.Handler
}

type linearRouter struct {
	routes   []linearRoute // by priority, then registration order
	fallback router.Handler
}

func (l *linearRouter) on(rt linearRoute) {
	i, _ := slices.BinarySearchFunc(l.routes, rt.level, func(r linearRoute, lvl priority.Level) int {
		if r.level >= lvl {
			return -1
		}
		return 1
	})
	l.routes = slices.Insert(l.routes, i, rt)
}

func (l *linearRouter) dispatch(e *router.Event) bool {
	topic, hasTopic := e.Topic()
	for i := range l.routes {
		rt := &l.routes[i]
		var ok bool
		switch {
		case rt.filter != "":
			ok = hasTopic && message.MatchFilter(rt.filter, topic)
		case rt.id != 0:
			ok = e.ID == rt.id
		default:
			ok = rt.f(e)
		}
		if ok {
			rt.h(e)
			return true
		}
	}
	if l.fallback != nil {
		l.fallback(e)
		return true
	}
	return false
}

var metrics = []string{"temp", "hum", "co2", "pm25", "battery"}

// topicSpace sizes site/{n}/device/{m}/{metric} so that n handlers
// spread over it with a few handlers per topic.
func topicSpace(n int) (sites, devices int) {
	s := 1
	for s*s*len(metrics) < n {
		s++
	}
	return s, s
}

// topicFilters returns n filters over the topic space: 60% exact, 20%
// with '+' for the device, 10% with '+' for the site, 10% ending in '#'.
func topicFilters(rnd *rand.Rand, n int) []string {
	sites, devices := topicSpace(n)
	out := make([]string, n)
	for i := range out {
		s, d, m := rnd.IntN(sites), rnd.IntN(devices), metrics[rnd.IntN(len(metrics))]
		switch k := rnd.IntN(10); {
		case k < 6:
			out[i] = fmt.Sprintf("site/%d/device/%d/%s", s, d, m)
		case k < 8:
			out[i] = fmt.Sprintf("site/%d/device/+/%s", s, m)
		case k < 9:
			out[i] = fmt.Sprintf("site/+/device/%d/%s", d, m)
		default:
			out[i] = fmt.Sprintf("site/%d/device/%d/#", s, d)
		}
	}
	return out
}

// topicEvents returns PUBLISH events on topics of the space, a few of them
// outside it so that the fallback runs too.
func topicEvents(rnd *rand.Rand, n, count int) []*router.Event {
	sites, devices := topicSpace(n)
	out := make([]*router.Event, count)
	for i := range out {
		topic := fmt.Sprintf("site/%d/device/%d/%s", rnd.IntN(sites+1), rnd.IntN(devices), metrics[rnd.IntN(len(metrics))])
		out[i] = &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: topic, Payload: []byte("21.5")}}
	}
	return out
}

var levels = []priority.Level{priority.Low, priority.Normal, priority.Normal, priority.High}

func nop(*router.Event) {}

var topicSizes = []int{10, 100, 1_000, 10_000, 100_000}

// topicRouters returns the onmqtt routers of the topic benchmarks, with
// and without the topic cache, each with n filters at the given
// priorities and a fallback.
func topicRouters(b *testing.B, filters []string, prios []priority.Level) map[string]*router.Router {
	routers := map[string]*router.Router{"on": router.New(), "off": router.New(router.WithoutTopicCache())}
	for _, r := range routers {
		for i, f := range filters {
			if _, err := r.On(message.PUBLISH, nop, router.Topic(f), prios[i]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := r.On(message.PUBLISH, nop, nil, 0); err != nil {
			b.Fatal(err)
		}
	}
	return routers
}

func topicPriorities(rnd *rand.Rand, n int) []priority.Level {
	prios := make([]priority.Level, n)
	for i := range prios {
		prios[i] = levels[rnd.IntN(len(levels))]
	}
	return prios
}

// BenchmarkRouterTopic dispatches PUBLISH events on 1024 topics of the
// space site/{n}/device/{m}/{metric} through n Topic handlers.
func BenchmarkRouterTopic(b *testing.B) {
	for _, n := range topicSizes {
		rnd := rand.New(rand.NewPCG(1, uint64(n)))
		filters := topicFilters(rnd, n)
		events := topicEvents(rnd, n, 1024)
		prios := topicPriorities(rnd, n)
		routers := topicRouters(b, filters, prios)
		for _, cache := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("handlers=%d/router=onmqtt/cache=%s", n, cache), func(b *testing.B) {
				r := routers[cache]
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					r.Dispatch(events[i&1023])
				}
			})
		}
		b.Run(fmt.Sprintf("handlers=%d/router=linear", n), func(b *testing.B) {
			l := &linearRouter{fallback: nop}
			for i, f := range filters {
				l.on(linearRoute{filter: f, level: prios[i], h: nop})
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				l.dispatch(events[i&1023])
			}
		})
	}
}

// uniqueTopics is how many distinct topics BenchmarkRouterTopicUnique
// dispatches before it starts over: by then the topic cache has long
// forgotten the first ones.
const uniqueTopics = 1 << 18

// BenchmarkRouterTopicUnique is BenchmarkRouterTopic with topics that
// never repeat: site/{n}/device/{m}/{metric}/{seq}, seq counting up, with
// the same handlers. Only the filters ending in '#' match such topics, and
// a dispatch walks the trie as deep as for the other benchmark. The
// topics are slices of one string made up front, so that dispatching
// one allocates nothing.
func BenchmarkRouterTopicUnique(b *testing.B) {
	for _, n := range topicSizes {
		rnd := rand.New(rand.NewPCG(1, uint64(n)))
		filters := topicFilters(rnd, n)
		_ = topicEvents(rnd, n, 1024) // draw as BenchmarkRouterTopic does
		prios := topicPriorities(rnd, n)
		routers := topicRouters(b, filters, prios)
		sites, devices := topicSpace(n)
		var all strings.Builder
		ends := make([]int, uniqueTopics)
		for i := range ends {
			fmt.Fprintf(&all, "site/%d/device/%d/%s/%d", rnd.IntN(sites+1), rnd.IntN(devices), metrics[rnd.IntN(len(metrics))], i)
			ends[i] = all.Len()
		}
		topics := all.String()
		topic := func(i int) string {
			i &= uniqueTopics - 1
			start := 0
			if i > 0 {
				start = ends[i-1]
			}
			return topics[start:ends[i]]
		}
		var msgs [1024]message.Message
		var events [1024]router.Event
		for i := range events {
			events[i] = router.Event{Type: message.PUBLISH, Message: &msgs[i]}
		}
		run := func(b *testing.B, dispatch func(*router.Event) bool) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e := &events[i&1023]
				e.Message.Topic = topic(i)
				dispatch(e)
			}
		}
		for _, cache := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("handlers=%d/router=onmqtt/cache=%s", n, cache), func(b *testing.B) {
				run(b, routers[cache].Dispatch)
			})
		}
		b.Run(fmt.Sprintf("handlers=%d/router=linear", n), func(b *testing.B) {
			l := &linearRouter{fallback: nop}
			for i, f := range filters {
				l.on(linearRoute{filter: f, level: prios[i], h: nop})
			}
			run(b, l.dispatch)
		})
	}
}

// BenchmarkRouterID dispatches acknowledgements while n handlers wait
// for packet ids, half of the events hitting one.
func BenchmarkRouterID(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		events := make([]*router.Event, 1024)
		rnd := rand.New(rand.NewPCG(2, uint64(n)))
		for i := range events {
			id := uint16(1 + rnd.IntN(2*n))
			events[i] = &router.Event{Type: message.PUBACK, ID: id}
		}
		b.Run(fmt.Sprintf("pending=%d/router=onmqtt", n), func(b *testing.B) {
			r := router.New()
			for id := 1; id <= n; id++ {
				r.On(message.PUBACK, nop, router.ID(uint16(id)), priority.Max)
			}
			r.On(message.PUBACK, nop, nil, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r.Dispatch(events[i&1023])
			}
		})
		b.Run(fmt.Sprintf("pending=%d/router=linear", n), func(b *testing.B) {
			l := &linearRouter{fallback: nop}
			for id := 1; id <= n; id++ {
				l.on(linearRoute{id: uint16(id), level: priority.Max, h: nop})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				l.dispatch(events[i&1023])
			}
		})
	}
}

// BenchmarkRouterOnIDFlow is one acknowledgement flow with n others pending:
// register a one-shot for a packet id, then dispatch the acknowledgement
// that fires and removes it.
func BenchmarkRouterOnIDFlow(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			r := router.New()
			for id := 1; id <= n; id++ {
				r.OnID(message.PUBACK, uint16(id), nop)
			}
			id := uint16(n + 1)
			e := &router.Event{Type: message.PUBACK, ID: id}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r.OnID(message.PUBACK, id, nop)
				r.Dispatch(e)
			}
		})
	}
}

// BenchmarkRouterFunc dispatches through n Func conditions, which no
// index can help with: every one is called, and only the last holds.
func BenchmarkRouterFunc(b *testing.B) {
	for _, n := range []int{10, 100, 1_000} {
		e := &router.Event{Type: message.PUBLISH, ID: 7, Message: &message.Message{Topic: "site/1/device/1/temp"}}
		conds := make([]func(*router.Event) bool, n)
		for i := range conds {
			want := uint16(0)
			if i == n-1 {
				want = 7
			}
			conds[i] = func(e *router.Event) bool { return e.ID == want }
		}
		b.Run(fmt.Sprintf("handlers=%d/router=onmqtt", n), func(b *testing.B) {
			r := router.New()
			for _, f := range conds {
				r.On(message.PUBLISH, nop, router.Func(f), priority.Normal)
			}
			b.ReportAllocs()
			for b.Loop() {
				r.Dispatch(e)
			}
		})
		b.Run(fmt.Sprintf("handlers=%d/router=linear", n), func(b *testing.B) {
			l := &linearRouter{}
			for _, f := range conds {
				l.on(linearRoute{f: f, level: priority.Normal, h: nop})
			}
			b.ReportAllocs()
			for b.Loop() {
				l.dispatch(e)
			}
		})
	}
}
