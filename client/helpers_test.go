package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait of these tests. It is a failure guard only:
// a passing test never waits for it.
const waitLimit = 10 * time.Second

// testContext returns a context that ends after waitLimit or with the
// test.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a client made with opts and closed when the test ends.
func newClient(t testing.TB, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(opts...)
	require.NoError(t, err, "client.New")
	t.Cleanup(func() { c.Close() })
	return c
}

// connect connects c to url and fails the test when that does not work.
func connect(t testing.TB, c *client.Client, url string) {
	t.Helper()
	_, err := c.Connect(testContext(t), url)
	require.NoError(t, err, "Connect(%s)", url)
}

// record is what a test keeps of an event: a router.Event is valid only
// while its handler runs.
type record struct {
	Type           message.Type
	ID             uint16
	Msg            *message.Message
	Sent           *message.Message
	Codes          []message.SubackCode
	SessionPresent bool
	ConnackCode    message.ConnackCode
	PacketType     message.Type // of e.Packet, 0 when nil
}

func snapshot(e *router.Event) record {
	r := record{
		Type:           e.Type,
		ID:             e.ID,
		Codes:          append([]message.SubackCode(nil), e.ReturnCodes...),
		SessionPresent: e.SessionPresent,
		ConnackCode:    e.ConnackCode,
	}
	if e.Packet != nil {
		r.PacketType = e.Packet.Type()
	}
	if e.Message != nil {
		m := *e.Message
		r.Msg = &m
	}
	if e.Sent != nil {
		m := *e.Sent
		r.Sent = &m
	}
	return r
}

func (r record) String() string {
	s := fmt.Sprintf("%v id=%d", r.Type, r.ID)
	if r.Msg != nil {
		s += fmt.Sprintf(" msg=%s:%q:q%d", r.Msg.Topic, r.Msg.Payload, r.Msg.QoS)
		if r.Msg.Retain {
			s += ":retained"
		}
	}
	if r.Sent != nil {
		s += " sent=" + r.Sent.Topic
	}
	return s
}

// recorder collects the events its handler sees, in order.
type recorder chan record

func newRecorder() recorder { return make(recorder, 100_000) }

// handler returns a router handler recording into r.
func (r recorder) handler() router.Handler {
	return func(e *router.Event) { r <- snapshot(e) }
}

// next returns the next recorded event, failing the test after waitLimit.
func (r recorder) next(t testing.TB) record {
	t.Helper()
	select {
	case e := <-r:
		return e
	case <-time.After(waitLimit):
		require.Failf(t, "no event", "none within %v", waitLimit)
		return record{}
	}
}

// nextOf returns the next recorded event of type typ, skipping others.
func (r recorder) nextOf(t testing.TB, typ message.Type) record {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case e := <-r:
			if e.Type == typ {
				return e
			}
		case <-deadline:
			require.Failf(t, "no event of the type", "no %v event within %v", typ, waitLimit)
			return record{}
		}
	}
}

// nextMessage returns the next recorded event carrying a message.
func (r recorder) nextMessage(t testing.TB) record {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case e := <-r:
			if e.Msg != nil {
				return e
			}
		case <-deadline:
			require.Failf(t, "no message", "none within %v", waitLimit)
			return record{}
		}
	}
}

// empty fails the test when an event is waiting.
func (r recorder) empty(t testing.TB) {
	t.Helper()
	select {
	case e := <-r:
		require.Failf(t, "unexpected event", "%v", e)
	default:
	}
}

// registrar is a client.Client or a router.Router.
type registrar interface {
	On(t message.Type, h router.Handler, cond router.Condition, p priority.Level) (*router.Registration, error)
}

// onAll registers r's handler as the fallback of every inbound type.
func onAll(t testing.TB, c registrar, r recorder) {
	t.Helper()
	for _, typ := range []message.Type{
		message.CONNACK, message.PUBLISH, message.PUBACK, message.PUBREC,
		message.PUBREL, message.PUBCOMP, message.SUBACK, message.UNSUBACK,
		message.PINGRESP,
	} {
		_, err := c.On(typ, r.handler(), nil, 0)
		require.NoError(t, err, "On(%v)", typ)
	}
}

// waitToken waits for tok and fails the test on an error.
func waitToken(t testing.TB, tok *client.Token) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(t, tok.Wait(ctx), "token %d", tok.ID())
}

// lostRecorder returns an OnConnectionLost option and the channel that
// receives each error it reports.
func lostRecorder() (client.Option, chan error) {
	ch := make(chan error, 8)
	return client.WithOnConnectionLost(func(_ *client.Client, err error) { ch <- err }), ch
}

// awaitErr returns the next error on ch, failing the test after waitLimit.
func awaitErr(t testing.TB, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(waitLimit):
		require.Failf(t, "no error", "none within %v", waitLimit)
		return nil
	}
}

// recordAll returns a router whose fallbacks record every inbound event
// into a new recorder, for a client made WithRouter before it connects.
func recordAll(t testing.TB) (*router.Router, recorder) {
	t.Helper()
	r, rec := router.New(), newRecorder()
	onAll(t, r, rec)
	return r, rec
}
