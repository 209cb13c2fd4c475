// Package demo holds what every example program does the same way: the
// -broker flag, an embedded broker when the flag is absent, a deadline,
// and the exit status.
package demo

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/onmqtt/onmqtt/mqtttest"
)

// Main parses the -broker flag, starts an embedded broker on a free
// loopback port when it is empty (its address goes to stderr, so stdout
// stays the same from run to run), and calls run with the broker URL and
// a context that ends after timeout. When run fails, Main prints the
// error prefixed with name and exits with status 1.
func Main(name string, timeout time.Duration, run func(ctx context.Context, brokerURL string) error) {
	addr := flag.String("broker", "", "broker URL (default: start an embedded broker)")
	flag.Parse()
	if err := start(*addr, timeout, run); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func start(addr string, timeout time.Duration, run func(context.Context, string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if addr == "" {
		b, err := mqtttest.Start()
		if err != nil {
			return err
		}
		defer b.Close()
		addr = b.URL()
		fmt.Fprintln(os.Stderr, "embedded broker at", addr)
	}
	return run(ctx, addr)
}
