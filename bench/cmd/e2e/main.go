// Command e2e runs the end-to-end comparison of MQTT clients: it starts
// its own mosquitto on a free loopback port, runs every client at each
// QoS, payload size and topology for several repetitions (rotating the
// client order from one repetition to the next), and prints a markdown
// table of medians.
//
//	cd bench && go run ./cmd/e2e            # the full matrix
//	cd bench && go run ./cmd/e2e -quick     # a smoke run
//	cd bench && go run ./cmd/e2e -clients onmqtt -qos 1 -cpuprofile cpu.out
//
// Progress goes to standard error, the table to standard output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/bench/e2e"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		n         = flag.Int("n", 50000, "messages published per run with payloads up to 1 KiB; larger payloads send n/4")
		reps      = flag.Int("reps", 3, "repetitions; the client order rotates from one to the next")
		qosList   = flag.String("qos", "0,1,2", "QoS levels")
		sizeList  = flag.String("size", "64,4096", "payload sizes in bytes (at least 12)")
		topoList  = flag.String("topo", "1x1,4x4", "publishers x subscribers")
		clients   = flag.String("clients", "all", "clients: onmqtt, paho.mqtt.golang, paho.golang, ceiling")
		window    = flag.Int("window", 64, "in-flight window of every client and of the broker")
		quick     = flag.Bool("quick", false, "smoke run: -n 1000 -reps 1 unless set")
		timeout   = flag.Duration("timeout", time.Minute, "bound on one run")
		brokerArg = flag.String("broker", "", "host:port of a running broker to use instead of starting mosquitto (its in-flight limit should be -window)")
		idle      = flag.Duration("idle", 0, "end an incomplete run after this long without a delivery once the publishers are done (0: 2s at QoS 0, 10s at QoS 1 and 2)")
		verbose   = flag.Bool("v", false, "print every run")
		cpuProf   = flag.String("cpuprofile", "", "write a CPU profile of the whole command to this file")
		memProf   = flag.String("memprofile", "", "write an allocation profile of the whole command to this file")
		memRate   = flag.Int("memprofilerate", 0, "runtime.MemProfileRate while profiling allocations (0: the runtime's default)")
		setFlags  = map[string]bool{}
		scenarios []e2e.Scenario
	)
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if *quick {
		if !setFlags["n"] {
			*n = 1000
		}
		if !setFlags["reps"] {
			*reps = 1
		}
	}
	adapters, err := e2e.Lookup(*clients)
	if err != nil {
		return err
	}
	qs, err := ints(*qosList)
	if err != nil {
		return fmt.Errorf("-qos: %w", err)
	}
	sizes, err := ints(*sizeList)
	if err != nil {
		return fmt.Errorf("-size: %w", err)
	}
	for _, q := range qs {
		if q < 0 || q > 2 {
			return fmt.Errorf("-qos: %d is not 0, 1 or 2", q)
		}
		for _, size := range sizes {
			if size < e2e.HeaderSize {
				return fmt.Errorf("-size: %d is below %d", size, e2e.HeaderSize)
			}
			count := *n
			if size > 1024 {
				count = max(*n/4, 1)
			}
			for t := range strings.SplitSeq(*topoList, ",") {
				p, s, ok := strings.Cut(strings.TrimSpace(t), "x")
				pubs, err1 := strconv.Atoi(p)
				subs, err2 := strconv.Atoi(s)
				if !ok || err1 != nil || err2 != nil || pubs < 1 || subs < 1 {
					return fmt.Errorf("-topo: %q is not PUBSxSUBS", t)
				}
				scenarios = append(scenarios, e2e.Scenario{QoS: byte(q), Size: size, Pubs: pubs, Subs: subs, N: max(count, pubs)})
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProf != "" {
		if *memRate > 0 {
			runtime.MemProfileRate = *memRate
		}
		defer func() {
			f, err := os.Create(*memProf)
			if err != nil {
				fmt.Fprintln(os.Stderr, "e2e:", err)
				return
			}
			defer f.Close()
			pprof.Lookup("allocs").WriteTo(f, 0)
		}()
	}

	var broker *e2e.Broker
	if *brokerArg != "" {
		broker = e2e.External(*brokerArg)
	} else if broker, err = e2e.StartMosquitto(ctx, *window); err != nil {
		return err
	}
	defer func() { broker.Stop() }()

	var names []string
	for _, a := range adapters {
		names = append(names, a.Name())
	}
	fmt.Fprintf(os.Stderr, "mosquitto %s on %s; %s, GOMAXPROCS %d; window %d; %d scenarios × %d clients × %d reps\n",
		broker.Version, broker.Addr, runtime.Version(), runtime.GOMAXPROCS(0), *window, len(scenarios), len(adapters), *reps)

	began := time.Now()
	var samples []e2e.Sample
	runID := 0
	for _, sc := range scenarios {
		for rep := range *reps {
			for _, a := range e2e.Rotate(adapters, rep) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err := broker.Alive(); err != nil {
					fmt.Fprintln(os.Stderr, "restarting the broker:", err)
					broker.Stop()
					if broker, err = e2e.StartMosquitto(ctx, *window); err != nil {
						return err
					}
				}
				runID++
				cfg := e2e.Config{
					Adapter: a, Addr: broker.Addr, QoS: sc.QoS, Size: sc.Size, N: sc.N,
					Pubs: sc.Pubs, Subs: sc.Subs, Window: *window, Timeout: *timeout,
					Run: fmt.Sprintf("%d-%d", os.Getpid(), runID), BrokerCPU: broker.CPU, Idle: *idle,
				}
				res, err := e2e.Run(ctx, cfg)
				samples = append(samples, e2e.Sample{Scenario: sc, Rep: rep, Result: res, Err: err})
				switch {
				case err != nil:
					fmt.Fprintf(os.Stderr, "%s rep %d %s: %v\n", sc, rep+1, a.Name(), err)
				case *verbose || !res.Complete && sc.QoS > 0:
					fmt.Fprintf(os.Stderr, "%s rep %d %-16s %9.0f msg/s p50 %v p99 %v cpu %v/msg (broker %v/msg) allocs %.2f/msg delivered %d/%d dup %d\n",
						sc, rep+1, a.Name(), res.MsgsPerSec, res.P50, res.P99, res.CPUPerMsg, res.BrokerCPU, res.AllocsPer, res.Delivered, res.Expected, res.Duplicates)
				}
			}
		}
		if !*verbose {
			fmt.Fprintf(os.Stderr, "done: %s (%v)\n", sc, time.Since(began).Round(time.Second))
		}
	}

	rows := e2e.Summarize(samples, scenarios, names)
	fmt.Printf("End-to-end, medians of %d repetition(s); mosquitto %s on loopback, %s, GOMAXPROCS %d, window %d, client order rotated per repetition. CPU is the client process's user+system time per delivered message; a delivered message is one subscriber's copy.\n\n",
		*reps, broker.Version, runtime.Version(), runtime.GOMAXPROCS(0), *window)
	e2e.WriteTable(os.Stdout, rows)
	fmt.Fprintf(os.Stderr, "total %v\n", time.Since(began).Round(time.Second))
	for _, r := range rows {
		if r.Failed > 0 || (r.Scenario.QoS > 0 && r.Incomplete > 0) {
			return fmt.Errorf("%s: %s did not deliver every message", r.Scenario, r.Client)
		}
	}
	return nil
}

func ints(list string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
