package client_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// TestV5FileStoreKeepsProperties checks that a QoS 1 publish recorded in
// a FileStore by one client is resent by the next process with its 5.0
// properties.
func TestV5FileStoreKeepsProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	store, err := client.OpenFileStore(path, client.FileStoreOptions{})
	require.NoError(t, err)
	c, err := client.New(client.WithVersion(message.V5), client.WithClientID("fs5"), client.WithCleanSession(false), client.WithStore(store))
	require.NoError(t, err)
	_, err = c.Publish(testContext(t), "fs/t", []byte("kept"), message.QoS1,
		client.WithContentType("text/plain"), client.WithCorrelationData([]byte{7}),
		client.WithUserProperty("k", "v"), client.WithMessageExpiry(time.Hour))
	require.NoError(t, err)
	require.NoError(t, c.Close())

	store2, err := client.OpenFileStore(path, client.FileStoreOptions{})
	require.NoError(t, err)
	p := peer.Open(t)
	c2 := newClient(t, client.WithVersion(message.V5), client.WithClientID("fs5"), client.WithCleanSession(false), client.WithStore(store2))
	pc, _ := connectScriptedTo5(t, c2, p, nil)
	pub := pc.ExpectPublish()
	assert.Equal(t, "fs/t", pub.Topic)
	require.NotNil(t, pub.Properties)
	assert.Equal(t, "text/plain", pub.Properties.ContentType)
	assert.Equal(t, []byte{7}, pub.Properties.CorrelationData)
	assert.Equal(t, []message.UserProperty{{Key: "k", Value: "v"}}, pub.Properties.UserProperties)
	exp, ok := pub.Properties.MessageExpiry.Get()
	assert.True(t, ok)
	assert.LessOrEqual(t, exp, uint32(3600))
}
