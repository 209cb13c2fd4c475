package e2e

import (
	"context"
)

// token is a completion handle of a client library.
type token interface {
	Done() <-chan struct{}
}

// ring holds the completion handles of a publisher's latest publishes,
// for the adapters whose library returns one per publish. At QoS 1 and 2
// it keeps Window of them, and making room for the next publish waits for
// the oldest: that is the window for a library that has none of its own,
// and costs nothing for one that has. At QoS 0 it keeps the latest only:
// writes complete in order, so when it is done all are.
type ring[T token] struct {
	toks   []T
	latest bool // QoS 0: keep the latest handle, never wait
	errf   func(T) error
	next   int
	used   int
}

func newRing[T token](cfg ClientConfig, errf func(T) error) ring[T] {
	if cfg.QoS == 0 {
		return ring[T]{toks: make([]T, 1), errf: errf, latest: true}
	}
	return ring[T]{toks: make([]T, cfg.Window), errf: errf}
}

// reserve makes room for the next handle: at QoS 1 and 2, when Window
// handles are held, it waits for the oldest. Call it before publishing,
// then put the new handle.
func (r *ring[T]) reserve(ctx context.Context) error {
	if r.latest || r.used < len(r.toks) {
		return nil
	}
	if err := r.wait(ctx, r.toks[r.next]); err != nil {
		return err
	}
	r.used--
	return nil
}

// put records the handle of the publish just made, after reserve.
func (r *ring[T]) put(t T) {
	if r.latest {
		r.toks[0], r.used = t, 1
		return
	}
	r.toks[r.next] = t
	r.next = (r.next + 1) % len(r.toks)
	r.used++
}

func (r *ring[T]) wait(ctx context.Context, t T) error {
	select {
	case <-t.Done():
		return r.errf(t)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush waits for every handle held.
func (r *ring[T]) flush(ctx context.Context) error {
	for r.used > 0 {
		i := (r.next - r.used + len(r.toks)) % len(r.toks)
		if err := r.wait(ctx, r.toks[i]); err != nil {
			return err
		}
		r.used--
	}
	return nil
}
