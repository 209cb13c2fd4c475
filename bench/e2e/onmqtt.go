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
// Everything else is the default. Version selects the protocol: the
// zero value is the client's default, MQTT 3.1.1; message.V5 makes the
// "onmqtt-5.0" row, beside paho.golang, which speaks only 5.0.
type Onmqtt struct{ Version message.Version }

// Name implements [Adapter].
func (a Onmqtt) Name() string {
	if a.Version == message.V5 {
		return "onmqtt-5.0"
	}
	return "onmqtt"
}

func (a Onmqtt) connect(ctx context.Context, cfg ClientConfig) (*client.Client, error) {
	opts := []client.Option{
		client.WithClientID(cfg.ID),
		client.WithMaxInflight(cfg.Window),
		client.WithKeepAlive(60 * time.Second),
	}
	if a.Version != 0 {
		opts = append(opts, client.WithVersion(a.Version))
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Subscriber implements [Adapter].
func (a Onmqtt) Subscriber(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (Subscriber, error) {
	c, err := a.connect(ctx, cfg)
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
func (a Onmqtt) Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error) {
	c, err := a.connect(ctx, cfg)
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
