package client

import (
	"sync"

	"github.com/onmqtt/onmqtt/router"
)

// TopicKey is the default key of [WithWorkerKey]: the event's topic (the
// delivered message's, or the sent message's on an acknowledgement), ""
// for events about no topic.
func TopicKey(e *router.Event) string {
	t, _ := e.Topic()
	return t
}

// workerPool runs handlers on a fixed set of goroutines. The events of
// one key form a run, handled by one worker at a time in arrival order;
// a key with no run waiting or running starts a new one, which any idle
// worker takes: different keys run in parallel whenever a worker is
// free, and a slow key holds up only itself. What waits in the pool is
// bounded by the event queue: every event in it still holds its slot.
type workerPool struct {
	mu    sync.Mutex
	runs  map[string]*keyRun // keys with events waiting or running
	ready []*keyRun          // runs no worker has taken, in order
	wake  chan struct{}      // a token per run made ready, up to one per worker
}

// keyRun is the events of one key, in arrival order.
type keyRun struct {
	key    string
	events fifo[*inbound]
}

// push hands e, of key k, to the pool.
func (p *workerPool) push(k string, e *inbound) {
	p.mu.Lock()
	r := p.runs[k]
	if r != nil {
		r.events.push(e)
		p.mu.Unlock()
		return
	}
	r = &keyRun{key: k}
	r.events.push(e)
	p.runs[k] = r
	p.ready = append(p.ready, r)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // every worker has a token already
	}
}

// take returns a ready run for the calling worker, or nil.
func (p *workerPool) take() *keyRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ready) == 0 {
		return nil
	}
	r := p.ready[0]
	p.ready[0] = nil
	p.ready = p.ready[1:]
	return r
}

// next returns the next event of r, or nil once r is empty, when the
// key leaves the pool: its next event starts a new run.
func (p *workerPool) next(r *keyRun) *inbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.events.len() == 0 {
		delete(p.runs, r.key)
		return nil
	}
	return r.events.pop()
}

// startWorkers runs the worker pool: one goroutine takes events from the
// queue in arrival order, sets up their acknowledgements in that order,
// and hands each to the pool under its key; the workers run the
// handlers. The caller holds c.mu and has counted the first goroutine
// in c.bgWG.
func (c *Client) startWorkers() {
	n := c.opts.Workers
	p := &workerPool{runs: map[string]*keyRun{}, wake: make(chan struct{}, n)}
	c.bgWG.Add(n)
	for range n {
		go func() {
			defer c.bgWG.Done()
			for {
				if c.ctx.Err() != nil {
					return // closed: what is still queued is not dispatched
				}
				r := p.take()
				if r == nil {
					select {
					case <-p.wake:
						continue
					case <-c.ctx.Done():
						return
					}
				}
				for e := p.next(r); e != nil; e = p.next(r) {
					if c.ctx.Err() != nil {
						return
					}
					handled := c.runHandler(e)
					c.finishEvent(e, e.order, handled, nil)
				}
			}
		}()
	}
	key := c.opts.WorkerKey
	go func() {
		defer c.bgWG.Done()
		for {
			if c.ctx.Err() != nil {
				return
			}
			if e := c.events.pop(); e != nil {
				e.order = c.prepareAck(e)
				p.push(safeKey(key, &e.ev), e)
				continue
			}
			select {
			case <-c.events.signal:
			case <-c.ctx.Done():
				return
			}
		}
	}()
}

// safeKey returns key(e), or "" when key panics.
func safeKey(key func(*router.Event) string, e *router.Event) (k string) {
	defer func() {
		if recover() != nil {
			k = ""
		}
	}()
	return key(e)
}
