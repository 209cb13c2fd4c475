package router

import (
	"context"

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
// Message on the PUBREL event, which this handler does not see; register
// [Correlation] with [Router.Once] for PUBREL as well in that case, or
// take responses at QoS 0 or 1.
func (r *Router) OnCorrelation(data []byte, h Handler) (*Registration, error) {
	return r.register(message.PUBLISH, h, Correlation(data), priority.Max, true, 0)
}

// A Reply is a pending response to a request, registered by
// [Router.ExpectReply].
type Reply struct {
	reg *Registration
	ch  chan *message.Message // holds the response, once; closed when given up
	err error                 // why it was given up, set before ch is closed
}

// ExpectReply registers, as [Router.OnCorrelation] does, for the response
// carrying the Correlation Data data, and returns the Reply that receives
// it. Call it before publishing the request; then [Reply.Wait] for the
// response. The handler it registers copies the Message of the event, so
// the response stays valid after the event is reused.
func (r *Router) ExpectReply(data []byte) (*Reply, error) {
	w := &Reply{ch: make(chan *message.Message, 1)}
	reg, err := r.OnCorrelation(data, func(e *Event) {
		m := *e.Message // Topic, Payload and Properties are the handler's to keep
		w.ch <- &m
	})
	if err != nil {
		return nil, err
	}
	reg.SetName("reply")
	w.reg = reg
	return w, nil
}

// Wait returns the response, waiting for it until ctx is done. When ctx
// is done first, Wait removes the registration, so that a late response
// goes to the other handlers, and returns ctx.Err(); a response already
// dispatched is still returned. After [Reply.Cancel] it returns
// [ErrReplyCanceled]. Once Wait returned an error, the Reply is over and
// every later call returns that error. The message is the caller's to
// keep. One goroutine at a time may wait.
func (w *Reply) Wait(ctx context.Context) (*message.Message, error) {
	select {
	case m, ok := <-w.ch:
		return w.got(m, ok)
	case <-ctx.Done():
	}
	w.end(ctx.Err())
	// Either Wait removed the registration and closed the channel, or a
	// dispatch claimed it and its handler sends the response, or the
	// Reply was over before.
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

// end removes the registration and, when that succeeds, records err as
// the reason the Reply is over and closes the channel; it reports
// whether it did.
func (w *Reply) end(err error) bool {
	if !w.reg.Remove() {
		return false
	}
	w.err = err // read after the close, by the receive that sees it
	close(w.ch)
	return true
}

// Cancel gives up the response: it removes the registration, so that
// [Reply.Wait] returns [ErrReplyCanceled], and reports whether it did:
// false when the response has already been dispatched (Wait returns it)
// or the Reply is over.
func (w *Reply) Cancel() bool { return w.end(ErrReplyCanceled) }
