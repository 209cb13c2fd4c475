// Package client is onmqtt's MQTT 3.1, 3.1.1 and 5.0 client. Every packet the
// broker sends becomes a [router.Event] dispatched through a
// [router.Router]: the application decides what happens to each one with
// On(type, handler, condition, priority).
//
// # Connecting
//
// [New] takes [Option] values; [Client.Connect] dials a URL (tcp://,
// mqtt://, tls://, ssl://, mqtts://, ws://, wss://, unix://) or uses a
// [DialFunc] for any other byte stream, sends CONNECT and waits for
// CONNACK. A refusal is a *[ConnackError] carrying the return code.
// Given several URLs, Connect tries them in order (or shuffled, with
// [WithShuffleBrokers]) and the reconnect loop walks the list from the
// URL after the one in use; [Client.Server] returns the URL in use.
//
// # Delivery
//
// Inbound QoS 1 messages are acknowledged with PUBACK after their handler
// returned. Inbound QoS 2 messages are acknowledged with PUBREC on
// receipt, once the whole message is in the [Store]; a duplicate PUBLISH
// of an id still awaiting PUBREL (or whose PUBCOMP was not written yet)
// is acknowledged again but never delivered again; PUBCOMP is sent after
// the PUBREL event ran and the message's handler returned, when the
// message has left the store. The message is delivered on the PUBLISH
// event, or on the PUBREL event with [WithDeliverOnPubrel]; the other
// event fires with its ID and without Message. With [WithManualAck] the
// application acknowledges instead, with the event's Ack, and PUBACK or
// PUBCOMP waits for it; PUBACKs leave in the order the messages arrived
// [MQTT-4.6.0-2].
//
// A message acknowledged with PUBREC whose handler had not returned when
// the client was closed or the process died is delivered by the next
// client on the same store, once connected: on the PUBLISH event, or
// with WithDeliverOnPubrel on the broker's PUBREL; when the broker kept
// no session, at once (on a PUBREL event with WithDeliverOnPubrel). A
// handler may therefore run a second time for a message when the process
// dies inside it or just after it returned.
//
// A handler may keep e.Message (a *message.Message, with its Topic and
// Payload) and e.Sent after it returned, and hand them to another
// goroutine: the client never reuses or writes them again. The Event
// itself and e.Packet are reused once the handler returned: copy what
// is needed from them. Messages are carved 16 to an allocation, so one
// kept for long keeps up to 15 others received beside it reachable
// (their payloads up to 4 KiB each; a larger payload's message is
// allocated alone); likewise a kept e.Sent keeps up to 15 other sent
// messages, which a Token never does.
//
// Outbound, [Client.Publish] returns a [Token] that completes on write
// (QoS 0), PUBACK (QoS 1) or PUBCOMP (QoS 2). At most MaxInflight QoS 1
// and 2 publishes are unacknowledged at once; further publishes wait for
// room, within their context. [OnAck] attaches an id handler before the
// packet is written. Acknowledgements leave before publishes, and among
// publishes a higher [WithPriority] level goes first.
//
// Every inbound packet is an event, but one that nothing could hear is
// not queued: when no handler, observer or unhandled hook is registered
// for its type (see [router.Router.Unheard]) and no manual loop runs,
// the reader itself finishes the PUBACK, PUBREC or PUBCOMP of our own
// publish, or a PUBREL that delivers nothing, and counts it as
// unhandled, as its dispatch would have. Registering any of them makes
// those events dispatched again.
//
// # Inbound memory
//
// The client holds at most MaxPending inbound messages (waiting for or
// in their handler, held for PUBREL with [WithDeliverOnPubrel], not yet
// acknowledged, or PUBLISH events that deliver nothing, duplicates) and,
// apart, at most MaxPending queued small events without payload
// (PINGRESP, acknowledgements), each count exceeding it by at most the
// packet just read. At the bound the reader
// stops reading the socket until a handler finishes (TCP backpressure):
// nothing that must be delivered is dropped, and every event still runs
// its handler. QoS 0 messages are dropped instead, by [WithQoS0Policy]
// (unless [DropNever]). While a handler waits for an acknowledgement or
// an in-flight slot, the bounds double, so that the reader goes on to
// read what it waits for. Inbound memory thus stays below about
// MaxPending × (MaxPacketSize + 3 KiB), the first term twice while a
// handler waits, plus the packet being read and fixed state. A packet that has begun must be complete within
// [InboundOptions.PacketTimeout], else [ErrPacketTimeout] ends the connection.
//
// # Concurrency
//
// One goroutine reads the socket, decodes packets and updates the
// session (acknowledgements complete tokens there); it never runs a
// handler. Handlers run one at a time, in arrival order, on the dispatch
// goroutine that Connect starts, or, with [WithManualLoop], on the
// goroutine calling [Client.WaitMsg], [Client.CheckMsg] or [Client.Run].
// With [WithWorkers] they run on that many worker goroutines instead:
// events with the same key ([WithWorkerKey], the topic by default) one
// at a time in arrival order, different keys in parallel.
// A handler may publish at any QoS and wait for completion: the reader
// keeps acknowledging meanwhile. Handlers and hooks may call any method,
// Close included. A writer goroutine sends queued packets in batches, one
// write call per batch, and a third sends PINGREQ when the connection is
// idle. [Client.Close] stops them all and waits for them.
//
// # Callbacks
//
// One supervisor goroutine, started by Connect, owns the connection's
// life ([Client.State]): it dials, runs the handshake, watches the
// connection, backs off and reconnects, until Disconnect, Close or
// giving up; Connect, Disconnect and Close ask it and wait. It never
// runs application code.
//
//   - Handlers registered with On, Once, OnID, Observe and [OnAck] run on
//     the dispatch goroutine (or the goroutine in WaitMsg, CheckMsg or
//     Run with [WithManualLoop]), one at a time, in the order the
//     packets arrived. With [WithWorkers] they run on the worker
//     goroutines: those of one key one at a time in arrival order,
//     those of different keys possibly at the same time, so handlers
//     that share state must synchronise. The key function runs on the
//     dispatch goroutine.
//   - The hooks OnConnect, OnConnectionLost and OnReconnecting run on
//     one callback goroutine, one at a time, in the order of the events
//     they report: OnConnectionLost never starts before the OnConnect of
//     the same connection returned. A slow hook delays the hooks after
//     it, never the connection.
//   - The router's unhandled and panic hooks run where the event is
//     dispatched: on the dispatch goroutine, or a worker.
//   - With [WithManualAck], e.Ack (a func to keep, not the Event) may be
//     called from any goroutine, during or after the handler, any number
//     of times; it never runs application code and never blocks on the
//     network. PUBACKs leave in arrival order; an Ack for a QoS 1
//     message of an ended connection sends nothing.
//   - An [Authenticator] runs on the supervisor during the handshake; in
//     a re-authentication its Start runs on the goroutine calling
//     [Client.Reauthenticate] and its Continue and Finish on the
//     connection's reader. It is never called twice at once.
//
// Handlers and hooks may call any method of the client, Close included;
// after Close every method returns [ErrClosed].
//
// # Sessions
//
// QoS 1 and 2 state lives in a [Store] (in memory by default, or
// [OpenFileStore] to survive restarts). When the broker resumes the
// session, unacknowledged PUBLISH packets (with DUP) and PUBREL packets
// are resent in their original order before anything new. When it does
// not, the active subscriptions are renewed. At MQTT 5.0 a
// [SessionStore] (both stores are) also records the session's expiry,
// and a client started after its stored session expired discards it
// and connects with Clean Start (see [Session]). With [WithAutoReconnect] the
// client reconnects with exponential backoff and jitter: it waits at
// least ReconnectMin before the first attempt, and the delay returns to
// ReconnectMin only after a connection stayed up for max(ReconnectMax,
// KeepAlive), so a broker that drops the client as soon as it connects
// (another client took its identifier) sees a bounded rate of
// connections. Tokens of QoS 1 and 2 publishes survive reconnects and
// fail only when the client gives up or is closed.
//
// # MQTT 5.0
//
// [WithVersion] with message.V5, or [VersionAuto] for 5.0 with a
// fallback to 3.1.1. [Client.ConnectResult] is the CONNACK with the
// standard's defaults applied; its limits (Receive Maximum, Maximum QoS,
// Retain Available, Maximum Packet Size, Topic Alias Maximum, the
// subscription flags) are enforced locally with typed errors. Publish
// options set the PUBLISH properties; topic aliases are assigned
// outbound and resolved inbound before routing; acknowledgement reason
// codes complete tokens with a *[PublishError]; a server DISCONNECT is
// an event and a *[DisconnectError]; [Client.Request] and
// [Client.Respond] implement request/response; an [Authenticator], such
// as [NewSCRAM], runs enhanced authentication.
//
// # Example
//
//	c, err := client.New(client.WithClientID("sensor-7"))
//	if err != nil { ... }
//	c.On(message.PUBLISH, alarm, router.Topic("alarms/#"), priority.High)
//	c.On(message.PUBLISH, other, nil, priority.Normal) // fallback
//	if _, err := c.Connect(ctx, "tcp://localhost:1883"); err != nil { ... }
//	defer c.Close()
//	c.Subscribe(ctx, message.Subscription{Filter: "#", QoS: 1})
//	tok, _ := c.Publish(ctx, "alarms/door", []byte("open"), message.QoS2)
//	err = tok.Wait(ctx)
package client
