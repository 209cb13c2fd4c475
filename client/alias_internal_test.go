package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// TestPreparePublishAllocs checks that giving an outbound 5.0 PUBLISH its
// topic alias and remaining expiry allocates nothing per message, and
// leaves the message's own properties as they were.
func TestPreparePublishAllocs(t *testing.T) {
	cn := &conn{}
	cn.v = message.V5
	cn.aliasOut = newAliasLRU(10)
	own := &message.Properties{MessageExpiry: message.Some[uint32](60), ContentType: "text/plain"}
	born := time.Now()
	var pub message.Publish
	prepare := func() {
		pub = message.Publish{Message: message.Message{Topic: "site/a/temp", QoS: 1, PacketID: 1, Properties: own}}
		require.NoError(t, cn.preparePublish(&pub, born, false))
	}
	prepare() // the first use assigns the alias
	allocs := testing.AllocsPerRun(1000, prepare)
	assert.Zero(t, allocs, "allocations per prepared PUBLISH")
	assert.Equal(t, "", pub.Topic, "sent with its alias only, once the alias is known")
	assert.True(t, pub.Properties.TopicAlias.Set)
	assert.Equal(t, "text/plain", pub.Properties.ContentType)
	assert.False(t, own.TopicAlias.Set, "the message's own properties are not changed")
}
