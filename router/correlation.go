package router

import (
	"context"
	"sync/atomic"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// OnCorrelation registers a one-shot handler for the next PUBLISH event
// whose delivered Message carries the Correlation Data data: the response
// to a request published with it. Like [Router.OnID] it is at the highest
// precedence ([priority.Max]) and is removed when it fires, so it runs
// at most once even when responses are dispatched concurrently; remove it
// with [Registration.Remove] when the request is given up. It is indexed
// by a map keyed by the data: thousands of pending requests cost a
// dispatch what one does. Register it before publishing the request, so
// the response cannot arrive first. data is copied.
//
// A client that delivers QoS 2 messages on PUBREL delivers their
// Message on the PUBREL event, which this handler does not see;
// [Router.ExpectReply] registers for both.
func (r *Router) OnCorrelation(data []byte, h Handler) (*Registration, error) {
	return r.register(message.PUBLISH, h, Correlation(data), priority.Max, true, 0)
}

// A Reply is a pending response to a request, registered by
// [Router.ExpectReply].
type Reply struct {
	regs    [2]*Registration      // the one-shots for PUBLISH and for PUBREL
	claimed atomic.Bool           // by the response or by giving up, once
	ch      chan *message.Message // holds the response; closed when given up
	err     error                 // why it was given up, set before ch is closed
}

// ExpectReply registers for the response carrying the Correlation Data
// data, and returns the Reply that receives it. Call it before
// publishing the request; then [Reply.Wait] for the response. It
// registers two one-shots at [priority.Max], indexed like
// [Router.OnCorrelation]'s: one for the PUBLISH event and one for the
// PUBREL event, which delivers the message of a QoS 2 flow when the
// client is configured so; the first to fire takes the response and
// removes the other. A second response with the same data, dispatched
// before that removal, is dropped. The handler copies the Message of the
// event, so the response stays valid after the event is reused.
func (r *Router) ExpectReply(data []byte) (*Reply, error) {
	w := &Reply{ch: make(chan *message.Message, 1)}
	h := func(e *Event) {
		if !w.claimed.CompareAndSwap(false, true) {
			return
		}
		for _, g := range w.regs {
			g.Remove()
		}
		m := *e.Message // Topic, Payload and Properties are the handler's to keep
		w.ch <- &m
	}
	for i, t := range [...]message.Type{message.PUBLISH, message.PUBREL} {
		g, err := r.register(t, h, Correlation(data), priority.Max, true, 0)
		if err != nil {
			if i > 0 {
				w.regs[0].Remove()
			}
			return nil, err
		}
		g.SetName("reply")
		w.regs[i] = g
	}
	return w, nil
}

// Wait returns the response, waiting for it until ctx is done. When ctx
// is done first, Wait removes the registrations, so that a late response
// goes to the other handlers, and returns ctx.Err(); a response whose
// handler has already taken it is still returned. After [Reply.Cancel]
// it returns [ErrReplyCanceled]. Once Wait returned an error, the Reply
// is over and every later call returns that error. The message is the
// caller's to keep. One goroutine at a time may wait.
func (w *Reply) Wait(ctx context.Context) (*message.Message, error) {
	select {
	case m, ok := <-w.ch:
		return w.got(m, ok)
	case <-ctx.Done():
	}
	w.end(ctx.Err())
	// Either Wait gave up and closed the channel, or the response's
	// handler has taken it and sends it, or the Reply was over before.
	m, ok := <-w.ch
	return w.got(m, ok)
}

// got returns the result of a receive from w.ch.
func (w *Reply) got(m *message.Message, ok bool) (*message.Message, error) {
	if !ok {
		return nil, w.err
	}
	return m, nil
}

// end gives up the response, unless its handler has taken it: it
// removes the registrations, records err as the reason and closes the
// channel; it reports whether it did.
func (w *Reply) end(err error) bool {
	if !w.claimed.CompareAndSwap(false, true) {
		return false
	}
	for _, g := range w.regs {
		g.Remove()
	}
	w.err = err // read after the close, by the receive that sees it
	close(w.ch)
	return true
}

// Cancel gives up the response: it removes the registrations, so that
// [Reply.Wait] returns [ErrReplyCanceled], and reports whether it did:
// false when the response has already been taken (Wait returns it) or
// the Reply is over.
func (w *Reply) Cancel() bool { return w.end(ErrReplyCanceled) }
