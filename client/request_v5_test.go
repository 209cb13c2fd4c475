package client_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// serveEcho makes c answer every request on filter with "re:" and the
// request's payload, through Respond.
func serveEcho(t *testing.T, c *client.Client, filter string) {
	t.Helper()
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
		req := *e.Message
		_, rerr := c.Respond(testContext(t), &req, append([]byte("re:"), req.Payload...))
		assert.NoError(t, rerr, "Respond")
	}, router.Topic(filter), 0)
	require.NoError(t, err)
	_, err = c.Subscribe(testContext(t), message.Subscription{Filter: filter, QoS: 1})
	require.NoError(t, err)
}

// TestV5Request checks Request and Respond against the embedded broker
// and mosquitto: concurrent requests each get their own response, by
// Correlation Data, on one response topic subscribed once.
func TestV5Request(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			server := newClient(t, client.WithVersion(message.V5))
			connect(t, server, url)
			serveEcho(t, server, "svc/echo")

			c := newClient(t, client.WithVersion(message.V5))
			connect(t, c, url)
			ctx := testContext(t)
			m, err := c.Request(ctx, "svc/echo", []byte("first"))
			require.NoError(t, err)
			assert.Equal(t, "re:first", string(m.Payload))
			require.NotNil(t, m.Properties)
			assert.Len(t, m.Properties.CorrelationData, 16)

			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf("req-%d", i)
					m, err := c.Request(ctx, "svc/echo", []byte(body))
					if err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(m.Payload, []byte("re:"+body)) {
						errs <- fmt.Errorf("request %q got %q", body, m.Payload)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
			subs := c.Subscriptions()
			require.Len(t, subs, 1, "one response topic")
			assert.Equal(t, "onmqtt/reply/"+c.ClientID(), subs[0].Filter)
		})
	}
}

// TestV5RequestResponseInformation checks that the response topic is
// built on the broker's Response Information, and that Request needs a
// 5.0 connection.
func TestV5RequestResponseInformation(t *testing.T) {
	c, pc, cp := connectScripted5(t, &message.Properties{ResponseInfo: "resp/7"}, client.WithRequestResponseInfo(), client.WithClientID("rq"))
	assert.Equal(t, message.Some(true), cp.Properties.RequestResponseInfo)
	ctx := testContext(t)
	type result struct {
		m   *message.Message
		err error
	}
	res := make(chan result, 1)
	go func() {
		m, err := c.Request(ctx, "svc/x", []byte("q"))
		res <- result{m, err}
	}()
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	assert.Equal(t, "resp/7/rq", s.Subscriptions[0].Filter)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	req := pc.ExpectPublish()
	require.NotNil(t, req.Properties)
	assert.Equal(t, "resp/7/rq", req.Properties.ResponseTopic)
	pc.Send(&message.Puback{PacketID: req.PacketID})
	// A response with other Correlation Data is not this request's.
	pc.Send(&message.Publish{Message: message.Message{Topic: "resp/7/rq", Payload: []byte("other"),
		Properties: &message.Properties{CorrelationData: []byte("nope")}}})
	pc.Send(&message.Publish{Message: message.Message{Topic: "resp/7/rq", Payload: []byte("answer"),
		Properties: &message.Properties{CorrelationData: req.Properties.CorrelationData}}})
	select {
	case r := <-res:
		require.NoError(t, r.err)
		assert.Equal(t, "answer", string(r.m.Payload))
	case <-time.After(waitLimit):
		require.FailNow(t, "no response")
	}

	old, _ := connectScripted(t)
	_, err := old.Request(ctx, "svc/x", nil)
	require.ErrorIs(t, err, client.ErrNeedsV5)
	_, err = old.Respond(ctx, &message.Message{Topic: "x"}, nil)
	require.ErrorIs(t, err, client.ErrNoResponseTopic)
}

// TestV5RequestRefused checks that a request the broker refuses ends
// Request with the *PublishError instead of a wait for ctx.
func TestV5RequestRefused(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Request(testContext(t), "svc/x", nil)
		errc <- err
	}()
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	req := pc.ExpectPublish()
	pc.Send(&message.Puback{PacketID: req.PacketID, ReasonCode: message.NotAuthorized})
	select {
	case err := <-errc:
		var pe *client.PublishError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, message.NotAuthorized, pe.Code)
	case <-time.After(waitLimit):
		require.FailNow(t, "Request did not end")
	}
}

// TestV5RequestAcrossReconnect checks a request whose connection drops
// before the response: the broker lost the session, so the client
// renews the response subscription and sends the request again, and the
// response on the new connection completes the same Request.
func TestV5RequestAcrossReconnect(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("rq2"),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, nil)
	type result struct {
		m   *message.Message
		err error
	}
	res := make(chan result, 1)
	go func() {
		m, err := c.Request(testContext(t), "svc/slow", []byte("q"))
		res <- result{m, err}
	}()
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	req := pc.ExpectPublish()
	corr := req.Properties.CorrelationData
	pc.Close()

	pc2 := p.Next(t)
	pc2.Handshake5(nil)
	var resent *message.Publish
	for resent == nil {
		switch pkt := pc2.ExpectAny().(type) {
		case *message.Subscribe:
			assert.Equal(t, "onmqtt/reply/rq2", pkt.Subscriptions[0].Filter)
			pc2.Send(&message.Suback{PacketID: pkt.PacketID, ReturnCodes: []message.SubackCode{1}})
		case *message.Publish:
			cp := *pkt
			resent = &cp
		}
	}
	assert.Equal(t, "svc/slow", resent.Topic)
	assert.Equal(t, corr, resent.Properties.CorrelationData)
	pc2.Send(&message.Puback{PacketID: resent.PacketID})
	pc2.Send(&message.Publish{Message: message.Message{Topic: "onmqtt/reply/rq2", Payload: []byte("late answer"),
		Properties: &message.Properties{CorrelationData: corr}}})
	select {
	case r := <-res:
		require.NoError(t, r.err)
		assert.Equal(t, "late answer", string(r.m.Payload))
	case <-time.After(waitLimit):
		require.FailNow(t, "no response")
	}
}

// TestV5ConcurrentFirstRequests checks that requests started together
// before any response subscription share one SUBSCRIBE.
func TestV5ConcurrentFirstRequests(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil, client.WithClientID("many"))
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.Request(testContext(t), "svc/x", nil)
			errs <- err
		}()
	}
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	assert.Equal(t, "onmqtt/reply/many", s.Subscriptions[0].Filter)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	for range n {
		req := pc.ExpectPublish() // a second SUBSCRIBE would fail here
		pc.Send(&message.Puback{PacketID: req.PacketID})
		pc.Send(&message.Publish{Message: message.Message{Topic: "onmqtt/reply/many", Payload: []byte("ok"),
			Properties: &message.Properties{CorrelationData: req.Properties.CorrelationData}}})
	}
	for range n {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(waitLimit):
			require.FailNow(t, "a request did not end")
		}
	}
}
