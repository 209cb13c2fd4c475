package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// TestExplainKnowsSubscriptions checks that a client tells its router
// which filters the broker granted, so Explain warns about a handler that
// no subscription can feed.
func TestExplainKnowsSubscriptions(t *testing.T) {
	b := brokertest.Embedded(t, broker.EmbeddedOptions{})
	c := newClient(t)
	_, err := c.On(message.PUBLISH, func(*router.Event) {}, router.Topic("billing/#"), 0)
	require.NoError(t, err)
	connect(t, c, b.Addr())
	_, err = c.Subscribe(testContext(t), message.Subscription{Filter: "bill/#", QoS: message.QoS1})
	require.NoError(t, err)

	e := &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "billing/eu/42"}}
	x := c.Router().Explain(e)
	assert.True(t, x.SubscriptionsKnown)
	assert.Empty(t, x.DeliveredBy, "no subscription matches billing/eu/42")
	require.NotEmpty(t, x.Warnings)
	assert.Contains(t, x.Warnings[0], "bill/#")

	x = c.Router().Explain(&router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "bill/1"}})
	assert.Equal(t, []string{"bill/#"}, x.DeliveredBy)
}
