package client_test

import (
	"errors"
	"testing"
	"time"

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
		{"MQTT 5", []client.Option{client.WithVersion(message.V5)}, message.ErrVersion},
		{"unknown version", []client.Option{client.WithVersion(9)}, message.ErrVersion},
		{"negative keepalive", []client.Option{client.WithKeepAlive(-time.Second)}, nil},
		{"keepalive over 65535 s", []client.Option{client.WithKeepAlive(65536 * time.Second)}, nil},
		{"no in-flight window", []client.Option{client.WithMaxInflight(0)}, nil},
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
				t.Fatal("got a client, want none")
			}
			if !errors.Is(err, client.ErrInvalidOption) {
				t.Errorf("got %v, want ErrInvalidOption", err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("got %v, want it to wrap %v too", err, tt.also)
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
		{"MQTT 3.1", []client.Option{client.WithVersion(message.V31)}},
		{"empty client id", []client.Option{client.WithEmptyClientID()}},
		{"will", []client.Option{client.WithWill("wills/x", []byte("bye"), message.QoS2, true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.opts...)
			if err != nil {
				t.Fatalf("got %v, want a client", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close of an unconnected client got %v, want nil", err)
			}
		})
	}
}
