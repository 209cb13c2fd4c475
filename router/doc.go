// Package router decides what happens to each packet the broker sends.
//
// Every inbound packet becomes an [Event], and the application says which
// [Handler] takes it with [Router.On]: a packet type, a handler, an
// optional [Condition] and a [priority.Level], as in Zerynth's
// on(command, function, condition, priority).
//
//	r := router.New()
//	r.On(message.PUBLISH, alarm, router.Topic("alarms/#"), priority.High)
//	r.On(message.PUBLISH, store, router.Topic("site/+/device/+/temp"), priority.Normal)
//	r.On(message.PUBLISH, other, nil, 0) // the fallback
//
// # Precedence
//
// [Router.Dispatch] runs the observers of the event's type and then
// exactly one handler, chosen by these rules, first match wins:
//
//	rule  handlers considered                         order among them
//	----  ------------------------------------------  -------------------------------------------
//	1     conditional handlers of the event's type    higher priority first; equal priorities in
//	      whose condition holds                       registration order (OnID handlers are at
//	                                                  priority.Max, before every other)
//	2     the type's fallback (nil condition)         at most one per type; the latest replaces
//	                                                  the previous one
//	3     none: the event is unhandled                counted in Stats, in all and by type,
//	                                                  and passed to the OnUnhandled hook
//
// Observers ([Router.Observe]) are not part of the choice: each sees
// every event of its type, in registration order, before the chosen
// handler runs.
//
// One-shot handlers ([Router.Once], [Router.OnID], [Router.OnCorrelation]) take part in the same
// order, and are removed when they run. A one-shot runs at most once even
// when several goroutines dispatch at the same time: the dispatch that
// chooses it claims it atomically, and a dispatch that loses the claim
// chooses again as if it were not there.
//
// # Conditions and indexing
//
// [Topic], [ID], [SubscriptionID] and [Correlation] conditions are
// indexed, when they are the whole condition or an operand of a top-level
// [And] (an And is indexed by its first ID operand, else its first
// Correlation, else SubscriptionID, else Topic operand): Topic filters in
// a trie of topic levels with '+' and '#' branches, packet identifiers in
// a fixed-depth trie over their four nibbles, Subscription Identifiers
// and Correlation Data in maps keyed by them. A dispatch visits only the
// trie nodes that match the event, and looks up the packet identifier,
// each Subscription Identifier and the Correlation Data of its message,
// so its cost does not grow with the number of such handlers. The other
// conditions ([Func], [Glob], [QoS], [Retained], [Dup], [Field],
// [PayloadFunc], [UserProperty], [ContentType], [ReasonCode], [Failed],
// [Or], [Not], and an And without an indexed operand) are checked one by
// one. A Topic filter of a shared subscription,
// "$share/<group>/<filter>", is indexed and matched as <filter>.
//
// Each version of a topic trie also caches, for topics it is asked about
// repeatedly, the list of its handlers that match them, so that a
// dispatch for a familiar topic reads a short list instead of walking the
// trie. The cache is made after the trie has served a thousand or so
// dispatches, takes about 72 KiB, and is dropped with the trie version
// when a Topic-indexed handler of the type is registered or removed; a
// topic enters it only when it comes back, so a stream of ever-new
// topics allocates nothing, and costs each dispatch a hash of the topic
// and a look in the cache on top of the walk. [WithoutTopicCache] turns
// it off, for applications whose topics rarely repeat.
//
// Indexing never changes which handler wins: the winner is always the
// conditional handler of highest (priority, earliest registration) whose
// whole condition holds. The router only skips the conditions of handlers
// that cannot match or cannot win, which is why conditions must be free
// of side effects; [Router.Explain] shows the candidates and the verdict.
//
// # Payload rules
//
// [Field] conditions test a field of the JSON payload, [FieldOf] those of
// another format's [Document], and [PayloadFunc] a payload decoded to the
// application's own type by a [Codec]:
//
//	r.On(message.PUBLISH, alarm, router.And(
//		router.Topic("site/+/temp"), router.Field("temp", router.Gt(40)),
//	), priority.Critical)
//
// A payload is decoded at most once per event and codec: the first
// condition that needs it decodes it and the event keeps the value, which
// the other conditions and the handler get from [Decode]. An event that
// no payload condition reaches is not decoded, and its dispatch allocates
// nothing. An event without a message, a payload that does not decode
// and a missing field make a payload condition false; Explain says which.
// Put the Topic operand of an And first, or anywhere: it is indexed and
// narrows the candidates before any payload is looked at.
//
// A condition that panics (a Func reading e.Message on an event that has
// none) is recovered like a panicking handler: counted in [Stats],
// reported to the [Router.OnPanic] hook, and taken as false, so that the
// dispatch goes on with the next candidate. The built-in conditions do
// not panic, also on events without a Message.
//
// # MQTT 5.0
//
// DISCONNECT (sent by a 5.0 broker before it closes the connection) and
// AUTH (the rounds of enhanced authentication) are events like the
// others. Events carry what 5.0 adds: [Event.ReasonCode] on the
// acknowledgements of publishes, DISCONNECT, AUTH and CONNACK, the codes
// of each filter of a SUBACK or UNSUBACK ([Event.FilterCodes]), and the
// packet's [Event.Properties], with its Reason String
// ([Event.ReasonString]). Before 5.0 all of them are zero and nil, and
// cost a dispatch nothing.
//
// Conditions test them: [SubscriptionID] (the broker's identifiers of
// the subscriptions that delivered the message, so that a handler
// belongs to one subscription), [UserProperty] and [HasUserProperty]
// (exact), [ContentType] (a glob), [ReasonCode] and [Failed] (a reason
// code of 0x80 or more; on a SUBACK or UNSUBACK, of any filter; on a
// CONNACK, a refusal of any version), and [Correlation]. Each does not
// hold, and never panics, on an event without the metadata it tests;
// Explain says what it saw: "subscription identifiers [3], not 4",
// "reason code 0x87 (Not authorized), not a failure".
//
// Request/response is a correlation one-shot: [Router.OnCorrelation]
// fires once for the next PUBLISH carrying given Correlation Data, and
// [Router.ExpectReply] wraps it for a requester that waits, with a
// context, for a response it may keep, delivered on PUBLISH or, in a
// QoS 2 flow delivered on release, on PUBREL. Thousands of pending requests
// cost a dispatch what one does, and each registration about the same
// (two levels of small maps are copied, not every key).
//
// # Introspection
//
// [Router.Routes] lists the registered handlers in the order a dispatch
// considers them. [Router.Explain] tells, for one event, which handler
// would run, and why each conditional handler ahead of it does not: its
// condition was evaluated and does not hold (the reason names the operand
// that failed and the value it saw, "temp = 38.5, not > 40", or the
// payload's decoding error), or an index ruled it out without evaluating
// it, its topic filter or packet identifier not matching the event's
// (naming the '$'-topic rule when that is why). Given the subscriptions
// in effect ([Router.SetSubscriptionSource]), Explain also says which
// subscription delivers the event's topic, and both warn when none does
// or when no subscription can deliver what a handler's filter matches. Both describe a handler by its kind, priority and
// condition, by its registration site (the file and line of the first
// caller outside this library), and by the name given to it with
// [Registration.SetName]: handlers registered from one line, such as
// rules registered in a loop over a table, differ only by their names.
// [Router.Stats] counts the events no handler took, in all and by packet
// type, and the panics recovered.
//
// # Concurrency
//
// All methods of a Router are safe for concurrent use. Registrations live
// in immutable tables: a writer (On, Once, OnID, Observe, Remove, the
// hooks) takes the router's mutex, builds the next table by copying only
// what changes, and publishes it with an atomic store; Dispatch reads the
// current table with one atomic load and never takes a lock to choose,
// so registering or removing never blocks a dispatch in progress, and a
// dispatch allocates nothing (the topic cache, filled by dispatches, is
// made of atomic pointers to immutable entries, allocated once per
// cached topic). The one exception is a dispatch that runs a one-shot: it
// removes the one-shot from the table as Remove would, before running it.
// A registration costs a few microseconds and allocates what it changes:
// the nodes on the path to its place in an index, with their tables of
// children (a level with thousands of children makes that tens of
// kilobytes). Names, set with [Registration.SetName] at any time, take no
// part in any of this.
//
// Handlers run on the goroutine that calls Dispatch, and no lock is held
// while they run: a handler may register and remove handlers (itself
// included) and dispatch other events. Such changes apply to the events
// dispatched after them; the dispatch in progress keeps the table it
// started with, except that a handler removed before it is chosen is not
// chosen. A handler that panics is recovered, counted in [Stats] and
// reported to the [Router.OnPanic] hook; Dispatch then returns normally.
//
// # Example
//
// A subscriber that files temperatures by site, raises alarms first, and
// waits for the acknowledgement of one publish:
//
//	r := router.New(router.WithUnhandled(func(e *router.Event) {
//		slog.Warn("unhandled", "type", e.Type)
//	}))
//	r.On(message.PUBLISH, raiseAlarm, router.Topic("alarms/#"), priority.Critical)
//	g, err := r.On(message.PUBLISH, fileTemp, router.And(
//		router.Topic("site/+/device/+/temp"), router.Not(router.Retained()),
//	), priority.Normal)
//	if err != nil {
//		return err
//	}
//	g.SetName("temperatures") // how Routes and Explain will show it
//	r.On(message.PUBLISH, logOther, nil, priority.Normal)
//	r.OnID(message.PUBACK, id, func(e *router.Event) { close(acked) })
//	fmt.Println(r.Explain(&router.Event{Type: message.PUBLISH, Message: m}))
package router
