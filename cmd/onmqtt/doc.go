// Command onmqtt publishes, subscribes and measures against any MQTT
// broker, with the flags of mosquitto_pub and mosquitto_sub where they
// exist, and shows how the onmqtt router chooses a handler.
//
// Install it with
//
//	go install github.com/onmqtt/onmqtt/cmd/onmqtt@latest
//
// Usage:
//
//	onmqtt pub   [connection flags] -t topic (-m msg | -f file | -s | -l | -n) [-q qos] [-r]
//	onmqtt sub   [connection flags] -t filter [-t filter ...] [-q qos] [-v] [--json | --hex] [-C n] [-W secs]
//	onmqtt sub   [connection flags] --route NAME=CONDITION[@PRIORITY] ... [--explain]
//	onmqtt bench [connection flags] [--publishers n] [--subscribers n] [-q qos] [--size bytes]
//	             [--rate msgs/s] [--duration d | --count n] [--json]
//	onmqtt version
//
// # Connection flags
//
// Every subcommand takes these, as mosquitto_pub and mosquitto_sub do:
//
//	-h host       broker host (default localhost)
//	-p port       broker port (default 1883, 8883 with TLS)
//	-L url        broker URL instead of -h and -p: mqtt://, mqtts://, tcp://,
//	              tls://, ssl://, ws://, wss://, unix:///path; a user name and
//	              password in the URL are used, and for mqtt(s)://, tcp://,
//	              tls:// and ssl:// the path is the topic (mqtt://host/a/b
//	              publishes to or subscribes to a/b)
//	-u user       user name
//	-P password   password
//	-i id         client identifier (default: a random one)
//	-k secs       keepalive in seconds (default 60; 0 turns it off)
//	-V version    protocol: 31 or mqttv31, 311 or mqttv311 (the default),
//	              5 or mqttv5
//	-c            ask for a persistent session (clean session off)
//	--cafile f    trust the certificate authorities in PEM file f; turns TLS on
//	--cert f      present the client certificate in PEM file f (with --key)
//	--key f       the client certificate's private key, PEM
//	--insecure    do not verify the server's certificate
//	--timeout d   bound on connecting (default 10s)
//
// # Publishing
//
// pub sends one message from -m, the contents of file -f, the whole of
// standard input with -s, one message per line of standard input with -l
// (the line ending removed; an empty line is an empty message) or a
// zero-length message with -n, at QoS -q (0, 1 or 2) with the retain flag
// when -r is given. It exits once every message is acknowledged as its
// QoS requires. -d reports each publish on standard error.
//
// With -V 5, pub also sets the message's MQTT 5.0 properties:
//
//	--user-property k=v    a user property (repeatable; order and repeats kept)
//	--content-type t       the content type, e.g. application/json
//	--expiry d             the message expiry interval, whole seconds (30s, 1h)
//	--response-topic t     the response topic of a request
//	--correlation-data s   the correlation data of a request
//	--utf8                 mark the payload as UTF-8 text (checked before sending)
//
// Any of them without -V 5 is a usage error.
//
// # Subscribing
//
// sub subscribes to every filter given with -t at QoS -q and prints each
// message it receives on standard output. The formats are:
//
//	(default)  the payload, then a newline (-N leaves the newline out)
//	-v         the topic, a space and the payload
//	--hex      the payload in hexadecimal (with -v, after the topic)
//	--json     one JSON object per line:
//	           {"topic":"a/b","qos":1,"retain":false,"dup":false,
//	            "payload":"21.5","encoding":"text"}
//	           with "encoding":"base64" and the payload in standard base64
//	           when it is not valid UTF-8
//
// -R skips retained messages sent on subscription. -C n exits after n
// messages; -W secs exits when secs seconds have passed after connecting.
//
// # Routes
//
// With --route, sub dispatches each message through an onmqtt router
// built from the command line instead of printing every message the same
// way: each --route NAME=CONDITION[@PRIORITY] registers a PUBLISH handler
// named NAME, and each message is printed after the name of the route
// that took it ("-" when none did). --explain adds, after each message,
// the router's explanation of its choice: the routes passed over, those
// an index ruled out, and the one that ran. Without -t, sub subscribes to
// "#".
//
// A CONDITION is made of terms joined with & (and) and | (or), & binding
// more tightly, each term optionally preceded by ! (not):
//
//	topic:FILTER   an MQTT topic filter, with + and #
//	glob:PATTERN   a glob pattern: * and ? within a level, ** across levels,
//	               {a,b} and [...] as in github.com/gobwas/glob
//	qos:N          the message's QoS is N
//	retained       the retain flag is set
//	dup            the DUP flag is set
//
// Spaces around the operators are ignored; a filter or pattern containing
// &, | or ! as characters cannot be written. An empty CONDITION (NAME=)
// makes the route the fallback, which takes what no other route takes.
// PRIORITY is an integer or one of low (-10), normal (0, the default),
// high (10) and critical (20); among equal priorities the route given
// first wins. For example:
//
//	onmqtt sub -t 'site/#' -v --explain \
//	  --route alarm='topic:site/+/alarm'@critical \
//	  --route temps='glob:site/*/temp*'@high \
//	  --route rest=
//
// # Benchmarking
//
// bench connects --subscribers clients subscribed to TOPIC/# and
// --publishers clients each publishing to TOPIC/<n> at --rate messages per
// second (0, the default, as fast as the broker takes them) for
// --duration, or --count messages each. Every payload carries the time it
// was published, so each receipt gives a latency. A progress line is
// drawn on standard error while it runs, when standard error is a
// terminal; at the end a table of the messages sent and received, the
// throughput, and the latency percentiles (p50, p90, p99, max) is printed,
// or one JSON object with --json. The percentiles are taken over up to
// about a million latencies per subscriber, a uniform sample of all of
// them in longer runs; the maximum is exact. With -i, each client's
// identifier is the given one followed by -pub-N or -sub-N.
//
// # Exit status
//
//	0   success; for sub, -C messages received or the program interrupted
//	1   failure: connection refused or lost, I/O error, broker refusal of
//	    a subscription or publication
//	2   usage error: unknown flag or subcommand, missing or conflicting
//	    arguments, invalid topic, route or QoS
//	27  sub only: the -W timeout passed before -C messages arrived (the
//	    value mosquitto_sub uses)
package main
