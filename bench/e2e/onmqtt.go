package e2e

import (
	"context"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// Onmqtt is the adapter for onmqtt's client package. The in-flight
// window is the client's own (WithMaxInflight); the subscriber takes
// messages with a fallback PUBLISH handler on the client's router, run on
// the client's dispatch goroutine, and acknowledges after it returned.
// Everything else is the default.
type Onmqtt struct{}

// Name implements [Adapter].
func (Onmqtt) Name() string { return "onmqtt" }

func onmqttConnect(ctx context.Context, cfg ClientConfig) (*client.Client, error) {
	c, err := client.New(
		client.WithClientID(cfg.ID),
		client.WithMaxInflight(cfg.Window),
		client.WithKeepAlive(60*time.Second),
	)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Subscriber implements [Adapter].
func (Onmqtt) Subscriber(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (Subscriber, error) {
	c, err := onmqttConnect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h := func(e *router.Event) {
		if e.Message != nil {
			deliver(e.Message.Payload)
		}
	}
	if _, err := c.On(message.PUBLISH, h, nil, priority.Normal); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Connect(ctx, "tcp://"+cfg.Addr); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Subscribe(ctx, message.Subscription{Filter: cfg.Topic, QoS: message.QoS(cfg.QoS)}); err != nil {
		c.Close()
		return nil, err
	}
	return onmqttSub{c}, nil
}

type onmqttSub struct{ c *client.Client }

func (s onmqttSub) Close() error { return s.c.Close() }

// Publisher implements [Adapter].
func (Onmqtt) Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error) {
	c, err := onmqttConnect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := c.Connect(ctx, "tcp://"+cfg.Addr); err != nil {
		c.Close()
		return nil, err
	}
	return &onmqttPub{c: c, cfg: cfg, ctx: ctx, ring: newRing(cfg, (*client.Token).Err)}, nil
}

type onmqttPub struct {
	c    *client.Client
	cfg  ClientConfig
	ctx  context.Context
	ring ring[*client.Token]
}

func (p *onmqttPub) Publish(payload []byte) error {
	if err := p.ring.reserve(p.ctx); err != nil {
		return err
	}
	t, err := p.c.Publish(p.ctx, p.cfg.Topic, payload, message.QoS(p.cfg.QoS))
	if err != nil {
		return err
	}
	p.ring.put(t)
	return nil
}

func (p *onmqttPub) Flush(ctx context.Context) error { return p.ring.flush(ctx) }

func (p *onmqttPub) Close() error { return p.c.Close() }
