package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/onmqtt/onmqtt/message"
)

// Exit statuses; see the package documentation.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitTimeout = 27
)

// version is the command's version, set at link time with
// -ldflags "-X main.version=...".
var version = "devel"

// errUsage marks errors in the command line; they give exitUsage.
var errUsage = errors.New("usage")

// errTimeout marks the end of sub's -W timeout; it gives exitTimeout.
var errTimeout = errors.New("timeout")

// usageError returns an error wrapping errUsage with the message.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// env is what a subcommand works with: its arguments and standard streams.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stderrTerminal reports whether stderr is a terminal, for bench's
	// progress line.
	stderrTerminal bool
}

// commands maps each subcommand to the function running it.
var commands = map[string]func(ctx context.Context, e *env) error{
	"pub":   runPub,
	"sub":   runSub,
	"bench": runBench,
}

const mainUsage = `usage: onmqtt <command> [flags]

commands:
  pub      publish messages
  sub      subscribe and print messages, optionally through routes
  bench    measure throughput and latency
  version  print the version

Run "onmqtt <command> --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrTerminal: isTerminal(os.Stderr)}
	code := run(ctx, os.Args[1:], e)
	stop()
	os.Exit(code)
}

// run runs the subcommand named by args[0] and returns the exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(e.stdout, "onmqtt", moduleVersion())
		return exitOK
	case "help", "-help", "--help":
		fmt.Fprint(e.stdout, mainUsage)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "onmqtt: unknown command %q\n\n%s", args[0], mainUsage)
		return exitUsage
	}
	e.args = args[1:]
	err := cmd(ctx, e)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errTimeout):
		return exitTimeout
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "onmqtt %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "onmqtt %s: %v\n", args[0], err)
		return exitFailure
	}
}

// moduleVersion returns version, or when it was not set at link time the
// module version go install recorded.
func moduleVersion() string {
	if version != "devel" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// parseFlags parses e.args with fs, turning a parse failure into a usage
// error (the flag package has already printed it with the flags), and
// checks the -q value that fs stores in *qos.
func parseFlags(fs *flag.FlagSet, e *env, qos *int) (message.QoS, error) {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return 0, usageError("unexpected argument %q", fs.Arg(0))
	}
	if *qos < 0 || *qos > 2 {
		return 0, usageError("-q %d: want 0, 1 or 2", *qos)
	}
	return message.QoS(*qos), nil
}

// stringList is a flag that may be repeated, collecting every value.
type stringList []string

func (l *stringList) String() string { return fmt.Sprint(*l) }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
