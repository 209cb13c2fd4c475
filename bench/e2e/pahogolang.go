package e2e

import (
	"context"
	"fmt"
	"net"

	"github.com/eclipse/paho.golang/paho"
)

// PahoGolang is the adapter for github.com/eclipse/paho.golang, MQTT 5,
// used through its paho package directly on a plain TCP connection.
// Settings:
//
//   - the subscriber's CONNECT carries Receive Maximum = Window, so the
//     broker keeps at most Window QoS 1 and 2 deliveries unacknowledged;
//   - the publisher's window is the library's own: it allows the Receive
//     Maximum the broker announces in CONNACK (mosquitto announces its
//     max_inflight_messages, which the benchmark sets to Window);
//   - publishes use PublishMethod_AsyncSend, which returns once the
//     message is in the session and written, so a publisher keeps its
//     window full. Flush ends with one blocking publish of the same QoS
//     to a topic nobody subscribes to: the broker acknowledges in order,
//     so when it completes every earlier publish has completed too;
//   - a single OnPublishReceived callback; acknowledgements are
//     automatic, after it returned. Clean start, keepalive 60 s, the
//     in-memory session.
type PahoGolang struct{}

// Name implements [Adapter].
func (PahoGolang) Name() string { return "paho.golang" }

func pahoGolangConnect(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (*paho.Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	conf := paho.ClientConfig{ClientID: cfg.ID, Conn: nc}
	if deliver != nil {
		conf.OnPublishReceived = []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) {
				deliver(pr.Packet.Payload)
				return true, nil
			},
		}
	}
	c := paho.NewClient(conf)
	recvMax := uint16(min(cfg.Window, 65535))
	ca, err := c.Connect(ctx, &paho.Connect{
		ClientID:   cfg.ID,
		KeepAlive:  60,
		CleanStart: true,
		Properties: &paho.ConnectProperties{ReceiveMaximum: &recvMax},
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	if ca.ReasonCode != 0 {
		nc.Close()
		return nil, fmt.Errorf("e2e: CONNACK reason code %d", ca.ReasonCode)
	}
	return c, nil
}

// Subscriber implements [Adapter].
func (PahoGolang) Subscriber(ctx context.Context, cfg ClientConfig, deliver func([]byte)) (Subscriber, error) {
	c, err := pahoGolangConnect(ctx, cfg, deliver)
	if err != nil {
		return nil, err
	}
	sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: cfg.Topic, QoS: cfg.QoS}}})
	if err != nil {
		pahoGolangClient{c}.Close()
		return nil, err
	}
	if len(sa.Reasons) != 1 || sa.Reasons[0] != cfg.QoS {
		pahoGolangClient{c}.Close()
		return nil, fmt.Errorf("e2e: subscription not granted at QoS %d: %v", cfg.QoS, sa.Reasons)
	}
	return pahoGolangClient{c}, nil
}

type pahoGolangClient struct{ c *paho.Client }

func (s pahoGolangClient) Close() error {
	err := s.c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	<-s.c.Done()
	return err
}

// Publisher implements [Adapter].
func (PahoGolang) Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error) {
	c, err := pahoGolangConnect(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return &pahoGolangPub{pahoGolangClient{c}, cfg, ctx}, nil
}

type pahoGolangPub struct {
	pahoGolangClient
	cfg ClientConfig
	ctx context.Context
}

var asyncSend = paho.PublishOptions{Method: paho.PublishMethod_AsyncSend}

func (p *pahoGolangPub) Publish(payload []byte) error {
	_, err := p.c.PublishWithOptions(p.ctx, &paho.Publish{Topic: p.cfg.Topic, QoS: p.cfg.QoS, Payload: payload}, asyncSend)
	return err
}

func (p *pahoGolangPub) Flush(ctx context.Context) error {
	if p.cfg.QoS == 0 {
		return nil // QoS 0 publishes are written before PublishWithOptions returns
	}
	_, err := p.c.Publish(ctx, &paho.Publish{Topic: p.cfg.Topic + "/flush", QoS: p.cfg.QoS})
	return err
}
