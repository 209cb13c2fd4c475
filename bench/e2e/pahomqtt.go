package e2e

import (
	"context"
	"errors"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// PahoMQTT is the adapter for github.com/eclipse/paho.mqtt.golang, MQTT
// 3.1.1. Settings:
//
//   - OrderMatters true (the default): handlers run one at a time, in
//     order, as onmqtt's do; the benchmark's handler never blocks.
//   - MaxResumePubInFlight = Window. It bounds only the publishes re-sent
//     on reconnect; the library has no window for new publishes, so the
//     adapter keeps one: before each QoS 1 or 2 publish it waits for the
//     token of the publish made Window publishes earlier.
//   - AutoReconnect and ConnectRetry off, clean session, keepalive 60 s,
//     the in-memory store, automatic acknowledgement after the handler.
type PahoMQTT struct{}

// Name implements [Adapter].
func (PahoMQTT) Name() string { return "paho.mqtt.golang" }

func pahoMQTTConnect(ctx context.Context, cfg ClientConfig, h mqtt.MessageHandler) (mqtt.Client, error) {
	o := mqtt.NewClientOptions().
		AddBroker("tcp://" + cfg.Addr).
		SetClientID(cfg.ID).
		SetCleanSession(true).
		SetOrderMatters(true).
		SetMaxResumePubInFlight(cfg.Window).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(60 * time.Second).
		SetConnectTimeout(10 * time.Second)
	if h != nil {
		o.SetDefaultPublishHandler(h)
	}
	c := mqtt.NewClient(o)
	if err := waitPaho(ctx, c.Connect()); err != nil {
		return nil, err
	}
	return c, nil
}

func waitPaho(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Subscriber implements [Adapter].
func (PahoMQTT) Subscriber(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (Subscriber, error) {
	h := func(_ mqtt.Client, m mqtt.Message) { deliver(m.Payload()) }
	c, err := pahoMQTTConnect(ctx, cfg, h)
	if err != nil {
		return nil, err
	}
	t := c.Subscribe(cfg.Topic, cfg.QoS, h)
	if err := waitPaho(ctx, t); err != nil {
		c.Disconnect(0)
		return nil, err
	}
	if st, ok := t.(*mqtt.SubscribeToken); ok {
		if q := st.Result()[cfg.Topic]; q != cfg.QoS {
			c.Disconnect(0)
			return nil, errors.New("e2e: subscription not granted at the requested QoS")
		}
	}
	return pahoMQTTClient{c}, nil
}

type pahoMQTTClient struct{ c mqtt.Client }

func (s pahoMQTTClient) Close() error {
	s.c.Disconnect(100)
	return nil
}

// Publisher implements [Adapter].
func (PahoMQTT) Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error) {
	c, err := pahoMQTTConnect(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return &pahoMQTTPub{pahoMQTTClient: pahoMQTTClient{c}, cfg: cfg, ctx: ctx, ring: newRing(cfg, mqtt.Token.Error)}, nil
}

type pahoMQTTPub struct {
	pahoMQTTClient
	cfg  ClientConfig
	ctx  context.Context
	ring ring[mqtt.Token]
}

func (p *pahoMQTTPub) Publish(payload []byte) error {
	if err := p.ring.reserve(p.ctx); err != nil {
		return err
	}
	p.ring.put(p.c.Publish(p.cfg.Topic, p.cfg.QoS, false, payload))
	return nil
}

func (p *pahoMQTTPub) Flush(ctx context.Context) error { return p.ring.flush(ctx) }
