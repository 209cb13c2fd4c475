package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

func TestNewInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []client.Option
		also error // a second error the result must wrap, or nil
	}{
		{"empty client id without clean session", []client.Option{client.WithEmptyClientID(), client.WithCleanSession(false)}, nil},
		{"unknown version", []client.Option{client.WithVersion(6)}, message.ErrVersion},
		{"unknown version", []client.Option{client.WithVersion(9)}, message.ErrVersion},
		{"negative keepalive", []client.Option{client.WithKeepAlive(-time.Second)}, nil},
		{"keepalive over 65535 s", []client.Option{client.WithKeepAlive(65536 * time.Second)}, nil},
		{"negative in-flight window", []client.Option{client.WithMaxInflight(-1)}, nil},
		{"in-flight window over 65535", []client.Option{client.WithMaxInflight(65536)}, nil},
		{"will topic with a wildcard", []client.Option{client.WithWill("a/#", nil, 0, false)}, message.ErrInvalidTopic},
		{"will topic with U+0000", []client.Option{client.WithWill("a\x00", nil, 0, false)}, message.ErrInvalidUTF8},
		{"empty will topic", []client.Option{client.WithWill("", nil, 0, false)}, message.ErrInvalidTopic},
		{"will QoS 3", []client.Option{client.WithWill("a", nil, 3, false)}, message.ErrInvalidQoS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.opts...)
			if c != nil {
				c.Close()
				require.FailNow(t, "got a client, want none")
			}
			assert.ErrorIs(t, err, client.ErrInvalidOption)
			if tt.also != nil {
				assert.ErrorIs(t, err, tt.also)
			}
		})
	}
}

func TestNewValidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []client.Option
	}{
		{"defaults", nil},
		{"keepalive 65535 s", []client.Option{client.WithKeepAlive(65535 * time.Second)}},
		{"in-flight window 65535", []client.Option{client.WithMaxInflight(65535)}},
		{"in-flight window 0 (default)", []client.Option{client.WithMaxInflight(0)}},
		{"MQTT 3.1", []client.Option{client.WithVersion(message.V31)}},
		{"empty client id", []client.Option{client.WithEmptyClientID()}},
		{"will", []client.Option{client.WithWill("wills/x", []byte("bye"), message.QoS2, true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.opts...)
			require.NoError(t, err, "want a client")
			assert.NoError(t, c.Close(), "Close of an unconnected client")
		})
	}
}

// WithClientID("") with a persistent session would get a random
// identifier that can never resume the session.
func TestDefectEmptyClientIDPersistentSession(t *testing.T) {
	c, err := client.New(client.WithClientID(""), client.WithCleanSession(false))
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, client.ErrInvalidOption)
	// With a clean session a random identifier does no harm.
	c, err = client.New(client.WithClientID(""))
	require.NoError(t, err)
	assert.NotEmpty(t, c.ClientID())
	require.NoError(t, c.Close())
}

// Out-of-range option values are refused; zero means the default.
func TestDefectOptionRanges(t *testing.T) {
	bad := map[string]client.Option{
		"MaxPending -5":                     client.WithMaxPending(-5),
		"MaxOffline -1":                     client.WithMaxOffline(-1),
		"MaxInflight -1":                    client.WithMaxInflight(-1),
		"MaxPacketSize -1":                  client.WithMaxPacketSize(-1),
		"MaxPacketSize too large":           client.WithMaxPacketSize(message.MaxPacketSize + 1),
		"MaxReconnectAttempts -1":           client.WithMaxReconnectAttempts(-1),
		"reconnect min above max":           client.WithAutoReconnect(5*time.Second, time.Second),
		"negative reconnect delay":          client.WithAutoReconnect(-time.Second, 0),
		"negative ping timeout":             client.WithPingTimeout(-time.Second),
		"negative connect timeout":          client.WithConnectTimeout(-time.Second),
		"reconnect min above max, both set": client.WithAutoReconnect(time.Minute, 10*time.Second),
	}
	for name, opt := range bad {
		c, err := client.New(opt)
		if c != nil {
			c.Close()
		}
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
	}
	for name, opt := range map[string]client.Option{
		"MaxPending 0":         client.WithMaxPending(0),
		"MaxOffline 0":         client.WithMaxOffline(0),
		"reconnect min 1 min":  client.WithAutoReconnect(time.Minute, 0),
		"reconnect 0, 0":       client.WithAutoReconnect(0, 0),
		"MaxReconnectAttempts": client.WithMaxReconnectAttempts(0),
	} {
		c, err := client.New(opt)
		require.NoError(t, err, name)
		require.NoError(t, c.Close())
	}

	// MaxPending 0 is the default: QoS 0 messages are delivered.
	r, rec := recordAll(t)
	_, pc := connectScripted(t, client.WithMaxPending(0), client.WithRouter(r))
	for range 50 {
		pc.Send(&message.Publish{Message: message.Message{Topic: "q0"}})
	}
	for range 50 {
		assert.Equal(t, "q0", rec.nextMessage(t).Msg.Topic)
	}
}
