// Package bench holds onmqtt's benchmarks: the codec, the router, and the
// end-to-end comparison with other Go MQTT clients. It is a module of its
// own so that benchmark-only dependencies never reach the library's users.
//
// # End-to-end matrix
//
// The command in ./cmd/e2e starts mosquitto on a free loopback port and
// runs every client through each cell of a matrix; see package ./e2e for
// what it measures. The main flags:
//
//	-window 64,1000   in-flight windows (one mosquitto per window, its
//	                  max_inflight_messages set to the window)
//	-rate 0,2000      messages per second per publisher; 0 is a flood,
//	                  a positive rate a paced run that reports latency
//	-qos 0,1,2 -size 64,4096 -topo 1x1,4x4
//	                  the flood cells; paced cells use -pacedsize (64)
//	-n 50000          messages per flood run (n/4 above 1 KiB)
//	-pacedfor 2s      length of a paced run (rate × pacedfor per publisher)
//	-reps 3           interleaved repetitions, client order rotated
//	-clients onmqtt,ceiling
//	-v                print every run
//	-samples FILE     append every run's result to FILE as a JSON line
//	-summarize A,B    run nothing; print the tables of saved samples, so
//	                  that a before and an after run, or two halves of a
//	                  matrix, can be summarized again or together
//
// For example, the matrix of RESULTS.md:
//
//	go run ./cmd/e2e -n 20000 -reps 3 -window 64,1000 -rate 0,2000
//
// # Profiling one cell
//
// -runprofile DIR writes one CPU profile per run, covering only its
// measured interval (first publish to last delivery), named after the
// client and the cell. To profile onmqtt's QoS 2 flood at 1/1:
//
//	go run ./cmd/e2e -clients onmqtt -qos 2 -size 64 -topo 1x1 -window 1000 -reps 3 -runprofile prof
//	go tool pprof -top prof/onmqtt-q2-64-1x1-w1000-r0-rep1.pprof
//
// -cpuprofile FILE profiles the whole command instead (connecting
// included); every sample of a run carries the labels client, qos, size,
// topo, window and rate, so one cell can be picked out of a full matrix:
//
//	go tool pprof -tagfocus client=onmqtt -tagfocus qos=2 -tagfocus topo=1x1 cpu.out
//
// Goroutines of the runtime itself (background GC workers) carry no
// labels, so a filtered profile leaves them out.
//
// # Counting instructions
//
// CPU time on a shared machine varies from run to run; instruction counts
// vary much less. The machine these figures come from is a virtual
// machine without a hardware performance-monitoring unit: `perf stat -e
// instructions` prints "<not supported>" there (the kernel logs "no PMU
// driver, software events only"), so only valgrind's callgrind works.
//
// Callgrind (apt-get install valgrind) needs three things with this
// command. It aborts on a signal assertion when the program gets SIGCHLD
// or the runtime's preemption signal, so the broker must not be a child
// process and asynchronous preemption must be off; and it runs all
// threads on one simulated core, where an idle Go scheduler spins for a
// varying time, so GOMAXPROCS=1 makes the count repeatable (within about
// 2% between runs). Start mosquitto yourself on a free loopback port,
// configured as StartMosquitto in package e2e does:
//
//	listener PORT 127.0.0.1
//	allow_anonymous true
//	max_inflight_messages 1000     (equal to -window)
//	max_queued_messages 1000000
//	max_queued_bytes 0
//	set_tcp_nodelay true
//	persistence false
//
// and run one cell against it with -broker:
//
//	CGO_ENABLED=0 go build -o /tmp/e2e ./cmd/e2e
//	GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=cg.out \
//	    /tmp/e2e -broker 127.0.0.1:PORT -clients onmqtt -qos 2 -size 64 -topo 1x1 -window 1000 -reps 1 -n 2000 -timeout 5m
//	callgrind_annotate cg.out | head -40
//
// The count covers the whole command, start-up and connecting included.
// To get instructions per delivered message without those fixed costs,
// run the cell twice, with -n N and -n 2N (or 4N), and divide the
// difference of the two totals by the difference in deliveries (N ×
// subscribers). Under valgrind the client runs far slower than the
// broker, so batching differs from a real run: compare instruction counts
// of one client before and after a change rather than across clients.
//
// Where hardware counters exist, `perf stat -e instructions:u` counts the
// same way; it also counts child processes, so use -broker there too.
package bench
