package main

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/mqtttest"
)

// TestPubSubV5Properties publishes with every 5.0 property flag of pub
// and checks that sub -V 5 --json shows each one as the broker forwarded
// it.
func TestPubSubV5Properties(t *testing.T) {
	srv := mqtttest.NewServer(t)
	sub := subscribed(t, srv, "v5/x", "-V", "5", "-t", "v5/#", "--json", "-q", "1", "-C", "2")
	ok(t, nil, at(srv, "pub", "-V", "5", "-t", "v5/a", "-q", "1", "-m", "héllo",
		"--user-property", "site=north", "--user-property", "site=south", "--user-property", "empty=",
		"--content-type", "text/plain", "--expiry", "1h", "--response-topic", "v5/reply",
		"--correlation-data", "req-7", "--utf8")...)
	ok(t, nil, at(srv, "pub", "-V", "5", "-t", "v5/b", "-m", "plain")...)
	r := sub.wait()
	require.Equal(t, exitOK, r.code, "sub: %s", r.stderr)
	ms := decodeJSON(t, r.stdout)
	require.Len(t, ms, 2)

	m := ms[0]
	assert.Equal(t, "v5/a", m.Topic)
	assert.Equal(t, "héllo", m.Payload)
	require.NotNil(t, m.Properties, "the 5.0 properties are in the JSON line")
	p := m.Properties
	assert.Equal(t, [][2]string{{"site", "north"}, {"site", "south"}, {"empty", ""}}, p.UserProperties, "order and repeats kept")
	assert.Equal(t, "text/plain", p.ContentType)
	require.NotNil(t, p.PayloadFormat)
	assert.Equal(t, byte(1), *p.PayloadFormat)
	require.NotNil(t, p.MessageExpiry)
	assert.InDelta(t, 3600, *p.MessageExpiry, 5, "the remaining interval, at most an hour")
	assert.Equal(t, "v5/reply", p.ResponseTopic)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("req-7")), p.CorrelationData)

	assert.Equal(t, "plain", ms[1].Payload)
	// mochi gives every message it forwards a Message Expiry of its own;
	// nothing the first message carried may leak into the second.
	if p := ms[1].Properties; p != nil {
		assert.Empty(t, p.UserProperties)
		assert.Empty(t, p.ContentType)
		assert.Empty(t, p.ResponseTopic)
		assert.Empty(t, p.CorrelationData)
	}
}

// TestPubV5FlagsNeedV5 checks that a 5.0 property flag at 3.1.1, or a
// value the standard does not allow, is a usage error before connecting.
func TestPubV5FlagsNeedV5(t *testing.T) {
	srv := mqtttest.NewServer(t)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"user property at 3.1.1", []string{"--user-property", "k=v"}, "need -V 5"},
		{"content type at 3.1", []string{"-V", "31", "--content-type", "a/b"}, "need -V 5"},
		{"no equals sign", []string{"-V", "5", "--user-property", "novalue"}, "key=value"},
		{"fraction of a second", []string{"-V", "5", "--expiry", "1500ms"}, "whole seconds"},
		{"negative expiry", []string{"-V", "5", "--expiry", "-1s"}, "negative"},
		{"wildcard response topic", []string{"-V", "5", "--response-topic", "a/+"}, "--response-topic"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := onmqtt(t, nil, at(srv, "pub", append([]string{"-t", "x", "-m", "m"}, tt.args...)...)...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
		})
	}
}

// TestPubV5InvalidUTF8 checks that --utf8 with a payload that is not
// UTF-8 fails locally with an error, instead of being sent.
func TestPubV5InvalidUTF8(t *testing.T) {
	srv := mqtttest.NewServer(t)
	r := onmqtt(t, []byte{0xff, 0xfe}, at(srv, "pub", "-V", "5", "-t", "x", "-s", "--utf8")...)
	assert.Equal(t, exitFailure, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stderr, "UTF-8")
}
