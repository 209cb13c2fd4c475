// Command e2e runs the end-to-end comparison of MQTT clients: it starts
// its own mosquitto on a free loopback port (one per in-flight window),
// runs every client at each window, QoS, payload size, topology and rate
// for several repetitions (rotating the client order from one repetition
// to the next), and prints markdown tables of medians and ratios.
//
//	cd bench && go run ./cmd/e2e                      # the default matrix
//	cd bench && go run ./cmd/e2e -quick               # a smoke run
//	cd bench && go run ./cmd/e2e -window 64,1000 -rate 0,2000
//	cd bench && go run ./cmd/e2e -clients onmqtt -qos 2 -size 64 -topo 1x1 -runprofile prof/
//
// See the package documentation of ../../e2e for what is measured and
// how to count instructions for one cell. Progress goes to standard
// error, the tables to standard output.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
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

// options are the parsed flags.
type options struct {
	n, reps                        int
	qos, sizes, pacedSizes, window []int
	rates                          []float64
	topos                          [][2]int
	pacedFor, timeout, idle        time.Duration
	verbose                        bool
	runProfile                     string
	samples                        io.Writer // where each sample is appended, or nil
}

func run() error {
	var (
		n          = flag.Int("n", 50000, "messages published per flood run with payloads up to 1 KiB; larger payloads send n/4")
		reps       = flag.Int("reps", 3, "repetitions; the client order rotates from one to the next")
		qosList    = flag.String("qos", "0,1,2", "QoS levels")
		sizeList   = flag.String("size", "64,4096", "payload sizes of the floods, in bytes (at least 12)")
		topoList   = flag.String("topo", "1x1,4x4", "publishers x subscribers")
		clients    = flag.String("clients", "all", "clients: onmqtt, onmqtt-5.0, paho.mqtt.golang, paho.golang, ceiling")
		windowList = flag.String("window", "64", "in-flight windows of every client and of the broker; one mosquitto per window")
		rateList   = flag.String("rate", "0", "messages per second per publisher; 0 is a flood, a positive rate a paced run")
		pacedSize  = flag.String("pacedsize", "64", "payload sizes of the paced runs, in bytes")
		pacedFor   = flag.Duration("pacedfor", 2*time.Second, "length of a paced run: each publisher sends rate × pacedfor messages")
		quick      = flag.Bool("quick", false, "smoke run: -n 1000 -reps 1 -pacedfor 250ms unless set")
		timeout    = flag.Duration("timeout", time.Minute, "bound on one run")
		brokerArg  = flag.String("broker", "", "host:port of a running broker to use instead of starting mosquitto (its in-flight limit should be -window, and only one window is allowed)")
		idle       = flag.Duration("idle", 0, "end an incomplete run after this long without a delivery once the publishers are done (0: 2s at QoS 0, 10s at QoS 1 and 2)")
		verbose    = flag.Bool("v", false, "print every run")
		cpuProf    = flag.String("cpuprofile", "", "write a CPU profile of the whole command to this file; samples carry the labels client, qos, size, topo, window and rate (filter with go tool pprof -tagfocus)")
		runProf    = flag.String("runprofile", "", "write one CPU profile per run, of its measured interval only, into this directory")
		memProf    = flag.String("memprofile", "", "write an allocation profile of the whole command to this file")
		memRate    = flag.Int("memprofilerate", 0, "runtime.MemProfileRate while profiling allocations (0: the runtime's default)")
		samplesOut = flag.String("samples", "", "append every run's result to this file, one JSON line each")
		summarize  = flag.String("summarize", "", "run nothing: print the tables of the samples in these comma-separated files (repetitions of later files are numbered after those of earlier ones)")
		setFlags   = map[string]bool{}
	)
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if *summarize != "" {
		return summarizeFiles(*summarize)
	}
	if *quick {
		if !setFlags["n"] {
			*n = 1000
		}
		if !setFlags["reps"] {
			*reps = 1
		}
		if !setFlags["pacedfor"] {
			*pacedFor = 250 * time.Millisecond
		}
	}
	if *cpuProf != "" && *runProf != "" {
		return fmt.Errorf("-cpuprofile and -runprofile cannot be used together")
	}
	adapters, err := e2e.Lookup(*clients)
	if err != nil {
		return err
	}
	o := options{n: *n, reps: *reps, pacedFor: *pacedFor, timeout: *timeout, idle: *idle, verbose: *verbose, runProfile: *runProf}
	for _, l := range []struct {
		name, list string
		dst        *[]int
		lo, hi     int
	}{
		{"qos", *qosList, &o.qos, 0, 2},
		{"size", *sizeList, &o.sizes, e2e.HeaderSize, 256 << 20},
		{"pacedsize", *pacedSize, &o.pacedSizes, e2e.HeaderSize, 256 << 20},
		{"window", *windowList, &o.window, 1, 65535},
	} {
		if *l.dst, err = ints(l.list, l.lo, l.hi); err != nil {
			return fmt.Errorf("-%s: %w", l.name, err)
		}
	}
	if o.rates, err = floats(*rateList); err != nil {
		return fmt.Errorf("-rate: %w", err)
	}
	if o.topos, err = topos(*topoList); err != nil {
		return fmt.Errorf("-topo: %w", err)
	}
	if *brokerArg != "" && len(o.window) > 1 {
		return fmt.Errorf("-broker takes a single -window")
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
	if *runProf != "" {
		if err := os.MkdirAll(*runProf, 0o755); err != nil {
			return err
		}
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

	if *samplesOut != "" {
		f, err := os.OpenFile(*samplesOut, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		o.samples = f
	}

	var names []string
	for _, a := range adapters {
		names = append(names, a.Name())
	}
	began := time.Now()
	var samples []e2e.Sample
	var scenarios []e2e.Scenario
	version := ""
	for _, w := range o.window {
		var broker *e2e.Broker
		if *brokerArg != "" {
			broker = e2e.External(*brokerArg)
		} else if broker, err = e2e.StartMosquitto(ctx, w); err != nil {
			return err
		}
		version = broker.Version
		sc := o.scenarios(w)
		scenarios = append(scenarios, sc...)
		fmt.Fprintf(os.Stderr, "mosquitto %s on %s; %s, GOMAXPROCS %d; window %d; %d scenarios × %d clients × %d reps\n",
			broker.Version, broker.Addr, runtime.Version(), runtime.GOMAXPROCS(0), w, len(sc), len(adapters), o.reps)
		got, err := o.runAll(ctx, &broker, sc, adapters, began)
		samples = append(samples, got...)
		broker.Stop()
		if err != nil {
			return err
		}
	}

	rows := e2e.Summarize(samples, scenarios, names)
	fmt.Printf("End-to-end, medians of %d repetition(s); mosquitto %s on loopback, %s, GOMAXPROCS %d, client order rotated per repetition. CPU is the client process's user+system time (publishers and subscribers) per delivered message; a delivered message is one subscriber's copy.\n\n",
		o.reps, version, runtime.Version(), runtime.GOMAXPROCS(0))
	e2e.WriteTable(os.Stdout, rows)
	fmt.Fprintf(os.Stderr, "total %v\n", time.Since(began).Round(time.Second))
	for _, r := range rows {
		if r.Failed > 0 || (r.Scenario.QoS > 0 && r.Incomplete > 0) {
			return fmt.Errorf("%s: %s did not deliver every message", r.Scenario, r.Client)
		}
	}
	return nil
}

// scenarios returns the cells of one window: the floods, then the paced
// runs.
func (o options) scenarios(window int) []e2e.Scenario {
	var out []e2e.Scenario
	for _, rate := range o.rates {
		sizes := o.sizes
		if rate > 0 {
			sizes = o.pacedSizes
		}
		for _, q := range o.qos {
			for _, size := range sizes {
				for _, t := range o.topos {
					sc := e2e.Scenario{QoS: byte(q), Size: size, Pubs: t[0], Subs: t[1], Window: window, Rate: rate}
					switch {
					case rate > 0:
						sc.N = t[0] * max(int(rate*o.pacedFor.Seconds()), 1)
					case size > 1024:
						sc.N = max(o.n/4, t[0])
					default:
						sc.N = max(o.n, t[0])
					}
					out = append(out, sc)
				}
			}
		}
	}
	return out
}

// runAll runs every scenario of one window, restarting the broker when
// it died.
func (o options) runAll(ctx context.Context, broker **e2e.Broker, scenarios []e2e.Scenario, adapters []e2e.Adapter, began time.Time) ([]e2e.Sample, error) {
	var samples []e2e.Sample
	for _, sc := range scenarios {
		for rep := range o.reps {
			for _, a := range e2e.Rotate(adapters, rep) {
				if ctx.Err() != nil {
					return samples, ctx.Err()
				}
				b := *broker
				if err := b.Alive(); err != nil {
					fmt.Fprintln(os.Stderr, "restarting the broker:", err)
					b.Stop()
					nb, err := e2e.StartMosquitto(ctx, sc.Window)
					if err != nil {
						return samples, err
					}
					*broker, b = nb, nb
				}
				res, err := o.runOne(ctx, b, sc, a, rep)
				sm := e2e.Sample{Scenario: sc, Rep: rep, Result: res, Err: err}
				samples = append(samples, sm)
				if o.samples != nil {
					if err := e2e.WriteSample(o.samples, sm); err != nil {
						return samples, err
					}
				}
				switch {
				case err != nil:
					fmt.Fprintf(os.Stderr, "%s rep %d %s: %v\n", sc, rep+1, a.Name(), err)
				case o.verbose || !res.Complete && sc.QoS > 0:
					fmt.Fprintf(os.Stderr, "%s rep %d %-16s %9.0f msg/s p50 %v p99 %v max %v cpu %v/msg (broker %v/msg) allocs %.2f/msg delivered %d/%d dup %d\n",
						sc, rep+1, a.Name(), res.MsgsPerSec, res.P50, res.P99, res.Max, res.CPUPerMsg, res.BrokerCPU, res.AllocsPer, res.Delivered, res.Expected, res.Duplicates)
				}
			}
		}
		if !o.verbose {
			fmt.Fprintf(os.Stderr, "done: %s (%v)\n", sc, time.Since(began).Round(time.Second))
		}
	}
	return samples, nil
}

var runID int

// runOne runs one client in one repetition of a scenario, with profile
// labels naming the cell, and with a profile of its own under
// -runprofile.
func (o options) runOne(ctx context.Context, b *e2e.Broker, sc e2e.Scenario, a e2e.Adapter, rep int) (e2e.Result, error) {
	runID++
	topo := fmt.Sprintf("%dx%d", sc.Pubs, sc.Subs)
	rate := strconv.FormatFloat(sc.Rate, 'f', -1, 64)
	cfg := e2e.Config{
		Adapter: a, Addr: b.Addr, QoS: sc.QoS, Size: sc.Size, N: sc.N,
		Pubs: sc.Pubs, Subs: sc.Subs, Window: sc.Window, Rate: sc.Rate, Timeout: o.timeout,
		Run: fmt.Sprintf("%d-%d", os.Getpid(), runID), BrokerCPU: b.CPU, Idle: o.idle,
	}
	if o.runProfile != "" {
		name := fmt.Sprintf("%s-q%d-%d-%s-w%d-r%s-rep%d.pprof", a.Name(), sc.QoS, sc.Size, topo, sc.Window, rate, rep+1)
		f, err := os.Create(filepath.Join(o.runProfile, name))
		if err != nil {
			return e2e.Result{Client: a.Name()}, err
		}
		defer f.Close()
		cfg.CPUProfile = f
	}
	var res e2e.Result
	var err error
	labels := pprof.Labels("client", a.Name(), "qos", strconv.Itoa(int(sc.QoS)), "size", strconv.Itoa(sc.Size),
		"topo", topo, "window", strconv.Itoa(sc.Window), "rate", rate)
	pprof.Do(ctx, labels, func(ctx context.Context) { res, err = e2e.Run(ctx, cfg) })
	return res, err
}

// summarizeFiles prints the tables of saved samples. Scenarios and
// clients keep the order in which they first appear.
func summarizeFiles(list string) error {
	var all []e2e.Sample
	var scenarios []e2e.Scenario
	var names []string
	offset := 0
	for name := range strings.SplitSeq(list, ",") {
		f, err := os.Open(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		got, err := e2e.ReadSamples(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		reps := 0
		for _, s := range got {
			reps = max(reps, s.Rep+1)
			s.Rep += offset
			all = append(all, s)
			if !slices.Contains(scenarios, s.Scenario) {
				scenarios = append(scenarios, s.Scenario)
			}
			if !slices.Contains(names, s.Result.Client) {
				names = append(names, s.Result.Client)
			}
		}
		offset += reps
	}
	fmt.Printf("End-to-end, medians over the repetitions of %s. CPU is the client process's user+system time (publishers and subscribers) per delivered message; a delivered message is one subscriber's copy.\n\n", list)
	e2e.WriteTable(os.Stdout, e2e.Summarize(all, scenarios, names))
	return nil
}

func ints(list string, lo, hi int) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		if v < lo || v > hi {
			return nil, fmt.Errorf("%d is outside %d..%d", v, lo, hi)
		}
		out = append(out, v)
	}
	return out, nil
}

func floats(list string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fmt.Errorf("%v is negative", v)
		}
		out = append(out, v)
	}
	return out, nil
}

func topos(list string) ([][2]int, error) {
	var out [][2]int
	for t := range strings.SplitSeq(list, ",") {
		p, s, ok := strings.Cut(strings.TrimSpace(t), "x")
		pubs, err1 := strconv.Atoi(p)
		subs, err2 := strconv.Atoi(s)
		if !ok || err1 != nil || err2 != nil || pubs < 1 || subs < 1 {
			return nil, fmt.Errorf("%q is not PUBSxSUBS", t)
		}
		out = append(out, [2]int{pubs, subs})
	}
	return out, nil
}
