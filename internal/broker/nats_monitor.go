package broker

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// NATSStream is one JetStream stream as a node's monitoring endpoint
// reports it (/jsz), with its consumers.
type NATSStream struct {
	Name    string `json:"name"`
	Cluster struct {
		Leader   string `json:"leader"`
		Replicas []struct {
			Name    string `json:"name"`
			Current bool   `json:"current"`
			Lag     uint64 `json:"lag"`
		} `json:"replicas"`
	} `json:"cluster"`
	Config struct {
		Replicas  int    `json:"num_replicas"`
		Retention string `json:"retention"`
	} `json:"config"`
	State struct {
		Messages uint64 `json:"messages"`
		FirstSeq uint64 `json:"first_seq"`
		LastSeq  uint64 `json:"last_seq"`
	} `json:"state"`
	Consumers []NATSConsumer `json:"consumer_detail"`
}

// NATSConsumer is one JetStream consumer of a [NATSStream].
type NATSConsumer struct {
	Name    string `json:"name"`
	Cluster struct {
		Leader string `json:"leader"`
	} `json:"cluster"`
	Config struct {
		Replicas      int    `json:"num_replicas"`
		AckWait       int64  `json:"ack_wait"` // nanoseconds
		MaxAckPending int    `json:"max_ack_pending"`
		DeliverSubj   string `json:"deliver_subject"`
		Durable       string `json:"durable_name"`
	} `json:"config"`
	Delivered struct {
		ConsumerSeq uint64 `json:"consumer_seq"`
		StreamSeq   uint64 `json:"stream_seq"`
	} `json:"delivered"`
	AckFloor struct {
		ConsumerSeq uint64 `json:"consumer_seq"`
		StreamSeq   uint64 `json:"stream_seq"`
	} `json:"ack_floor"`
	NumAckPending  int    `json:"num_ack_pending"`
	NumRedelivered int    `json:"num_redelivered"`
	NumPending     uint64 `json:"num_pending"`
}

// String is a one-line summary for test logs.
func (s NATSStream) String() string {
	return fmt.Sprintf("%s R%d %s leader=%s msgs=%d seq=%d..%d", s.Name, s.Config.Replicas, s.Config.Retention,
		s.Cluster.Leader, s.State.Messages, s.State.FirstSeq, s.State.LastSeq)
}

// String is a one-line summary for test logs.
func (c NATSConsumer) String() string {
	return fmt.Sprintf("consumer %s R%d leader=%s delivered=%d ackfloor=%d ack_pending=%d redelivered=%d pending=%d ack_wait=%v",
		c.Name, c.Config.Replicas, c.Cluster.Leader, c.Delivered.StreamSeq, c.AckFloor.StreamSeq,
		c.NumAckPending, c.NumRedelivered, c.NumPending, time.Duration(c.Config.AckWait))
}

// Streams returns the JetStream streams of the default account as node
// i's monitoring endpoint reports them. Only a stream's leader reports
// its consumers' state exactly.
func (n *NATS) Streams(i int) ([]NATSStream, error) {
	n.mu.Lock()
	port := n.nodes[i].httpP
	n.mu.Unlock()
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/jsz?accounts=true&streams=true&consumers=true&config=true")
	if err != nil {
		return nil, fmt.Errorf("broker: nats node %s monitor: %w", n.nodes[i].name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("broker: nats node %s monitor: %w", n.nodes[i].name, err)
	}
	var z struct {
		Accounts []struct {
			Name    string       `json:"name"`
			Streams []NATSStream `json:"stream_detail"`
		} `json:"account_details"`
	}
	if err := json.Unmarshal(body, &z); err != nil {
		return nil, fmt.Errorf("broker: nats node %s monitor: %w", n.nodes[i].name, err)
	}
	var out []NATSStream
	for _, a := range z.Accounts {
		out = append(out, a.Streams...)
	}
	return out, nil
}
