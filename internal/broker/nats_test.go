package broker

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startNATSForTest(t *testing.T, nodes int) *NATS {
	t.Helper()
	n, err := StartNATS(NATSOptions{Nodes: nodes})
	if errors.Is(err, ErrNoNATS) && !MosquittoRequired() {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, n.Close()) })
	return n
}

// TestNATSClusterSurvivesNodeKill starts three nodes, kills one, checks
// that the others still accept MQTT clients, and brings it back.
func TestNATSClusterSurvivesNodeKill(t *testing.T) {
	n := startNATSForTest(t, 3)
	require.Equal(t, 3, n.Nodes())
	addrs := n.Addrs()
	require.Len(t, addrs, 3)
	for i, a := range addrs {
		assert.True(t, strings.HasPrefix(a, "tcp://127.0.0.1:"), "node %d url %q", i, a)
		assert.Equal(t, i, n.NodeOf(a))
		assert.NoError(t, mqttProbe(strings.TrimPrefix(a, "tcp://")), "node %d", i)
	}
	assert.NotEqual(t, addrs[0], addrs[1])

	// The MQTT message stream is replicated to the three nodes.
	streams, err := n.Streams(1)
	require.NoError(t, err)
	var names []string
	for _, s := range streams {
		names = append(names, s.Name)
		if s.Name == "$MQTT_msgs" {
			assert.Equal(t, 3, s.Config.Replicas, "%v", s)
			assert.Equal(t, "interest", s.Config.Retention, "%v", s)
			assert.NotEmpty(t, s.Cluster.Leader, "%v", s)
		}
	}
	assert.Contains(t, names, "$MQTT_msgs")

	require.NoError(t, n.KillNode(0))
	assert.False(t, n.Running(0))
	assert.Error(t, mqttProbe(strings.TrimPrefix(addrs[0], "tcp://")), "killed node still answers")
	// The survivors may refuse MQTT clients for a few seconds while
	// JetStream elects new leaders.
	for i := 1; i < 3; i++ {
		assert.NoError(t, n.waitReady(i, time.Now().Add(NATSStartTimeout)), "node %d after node 0 died", i)
	}

	require.NoError(t, n.RestartNode(0))
	assert.True(t, n.Running(0))
	assert.NoError(t, mqttProbe(strings.TrimPrefix(addrs[0], "tcp://")))
	assert.Contains(t, n.NodeLog(0), "MQTT")
}

func TestNATSSingleNodeConfigHasNoCluster(t *testing.T) {
	n := &NATS{dir: "/x", nodes: []*natsNode{{name: "n1", port: 1, clusterPort: 2, mqttP: 3, httpP: 4}}}
	conf := n.config(0)
	assert.NotContains(t, conf, "cluster")
	assert.Contains(t, conf, "stream_replicas: 1")
	assert.Contains(t, conf, "listen: 127.0.0.1:3")
	assert.Contains(t, conf, "http: 127.0.0.1:4")
	assert.NotContains(t, conf, "ack_wait", "the server's default ack wait")

	n.ackWait = 2500 * time.Millisecond
	assert.Contains(t, n.config(0), `ack_wait: "2.5s"`)
}
