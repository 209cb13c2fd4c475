package broker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onmqtt/onmqtt/internal/certs"
)

// Mosquitto defaults.
const (
	DefaultMaxInflightMessages = 1000
	DefaultMaxQueuedMessages   = 100000
	// StartTimeout bounds how long StartMosquitto and Restart wait for
	// the listeners to accept connections.
	StartTimeout = 5 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout = 3 * time.Second
)

// mosquittoPaths are tried, in order, after PATH: Debian installs the
// broker in /usr/sbin, which is not on every user's PATH.
var mosquittoPaths = []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"}

// MosquittoOptions configures [StartMosquitto]. The zero value gives one
// TCP listener that lets everyone connect and use every topic, without
// persistence.
type MosquittoOptions struct {
	// Binary is the mosquitto executable; empty looks for "mosquitto" on
	// PATH, then in /usr/sbin and /usr/local/sbin.
	Binary string
	// Users, when non-nil, turns anonymous access off and admits these
	// user names with their passwords, through a generated password file
	// (mosquitto_passwd's PBKDF2-SHA512 format, written directly). A
	// refused client gets CONNACK return code 5 (not authorized) from
	// mosquitto 2.0, not 4.
	Users map[string]string
	// DenyFilters makes SUBSCRIBE to a filter matched by one of these get
	// return code 0x80, and drops publications to and deliveries of
	// matching topics (a QoS 1 publication is still acknowledged). It
	// uses the dynamic-security plugin, since mosquitto 2.0's acl_file
	// never refuses a subscription; StartMosquitto fails with
	// [ErrNoDynsec] when the plugin is missing.
	DenyFilters []string
	// TLS, when non-nil, adds a TLS listener presenting its server
	// certificate and trusting its authority.
	TLS *certs.Set
	// RequireCertificate makes the TLS listener demand a client
	// certificate signed by the authority.
	RequireCertificate bool
	// WebSocket adds a WebSocket listener (subprotocol "mqtt", any path).
	WebSocket bool
	// Unix adds a unix-socket listener.
	Unix bool
	// Persistence keeps sessions, subscriptions and queued messages in a
	// database that mosquitto writes when stopped with SIGTERM (Stop,
	// Restart), so a restarted broker answers session present; Kill
	// loses what was not saved.
	Persistence bool
	// MaxInflightMessages per client; 0 means
	// [DefaultMaxInflightMessages].
	MaxInflightMessages int
	// MaxQueuedMessages per client; 0 means [DefaultMaxQueuedMessages].
	MaxQueuedMessages int
	// LogAll logs every packet (log_type all) rather than errors,
	// warnings, notices and information.
	LogAll bool
	// ExtraConfig is added to the global part of the configuration,
	// before the listeners.
	ExtraConfig string
}

// Mosquitto is a mosquitto process with its own configuration, log and
// data in a private temporary directory.
type Mosquitto struct {
	opts         MosquittoOptions
	bin          string
	dir          string
	dynsecPlugin string
	files        certs.Files

	// Ports and socket, fixed after the first start.
	port, tlsPort, wsPort int
	sock                  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	closed bool
}

// FindMosquitto returns the mosquitto binary that StartMosquitto would
// run, or an error wrapping [ErrNoMosquitto].
func FindMosquitto() (string, error) {
	return findBinary("mosquitto", mosquittoPaths, ErrNoMosquitto)
}

// findBinary looks for name on PATH, then at each of paths, and returns
// an error wrapping missing when it is in neither.
func findBinary(name string, paths []string, missing error) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH or in %s", missing, strings.Join(paths, ", "))
}

// StartMosquitto writes a configuration for opts, starts mosquitto on
// free loopback ports and returns once every listener accepts
// connections. When mosquitto does not come up, the error includes its
// log.
func StartMosquitto(opts MosquittoOptions) (*Mosquitto, error) {
	m := &Mosquitto{opts: opts}
	if m.opts.MaxInflightMessages == 0 {
		m.opts.MaxInflightMessages = DefaultMaxInflightMessages
	}
	if m.opts.MaxQueuedMessages == 0 {
		m.opts.MaxQueuedMessages = DefaultMaxQueuedMessages
	}
	var err error
	if m.bin = opts.Binary; m.bin == "" {
		if m.bin, err = FindMosquitto(); err != nil {
			return nil, err
		}
	} else if _, err := exec.LookPath(m.bin); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoMosquitto, err)
	}
	if len(opts.DenyFilters) > 0 {
		if m.dynsecPlugin, err = findDynsecPlugin(); err != nil {
			return nil, err
		}
	}
	// A short path of its own: unix socket names are limited to about
	// 100 bytes.
	if m.dir, err = os.MkdirTemp("", "onmqtt-mosquitto-"); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := m.prepare(); err != nil {
		os.RemoveAll(m.dir)
		return nil, err
	}

	// A free port can be taken between FreePort and mosquitto's bind:
	// try again with new ports when that happens.
	for attempt := 1; ; attempt++ {
		if err = m.pickPorts(); err == nil {
			err = m.start()
		}
		if err == nil {
			return m, nil
		}
		if attempt == 3 || !strings.Contains(m.Log(), "Address already in use") {
			os.RemoveAll(m.dir)
			return nil, err
		}
	}
}

// prepare writes the files that do not depend on ports.
func (m *Mosquitto) prepare() error {
	if m.opts.Persistence {
		if err := os.Mkdir(m.dataDir(), 0o700); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
	}
	if m.opts.Users != nil {
		if err := writePasswordFile(m.passwdPath(), m.opts.Users); err != nil {
			return fmt.Errorf("broker: password file: %w", err)
		}
	}
	if len(m.opts.DenyFilters) > 0 {
		js, err := dynsecJSON(m.opts.DenyFilters, m.opts.Users)
		if err != nil {
			return fmt.Errorf("broker: dynamic security: %w", err)
		}
		if err := os.WriteFile(m.dynsecPath(), js, 0o600); err != nil {
			return fmt.Errorf("broker: dynamic security: %w", err)
		}
	}
	if m.opts.TLS != nil {
		f, err := m.opts.TLS.WriteFiles(m.dir)
		if err != nil {
			return err
		}
		m.files = f
	}
	if m.opts.Unix {
		m.sock = filepath.Join(m.dir, "mqtt.sock")
	}
	return nil
}

func (m *Mosquitto) pickPorts() error {
	var err error
	for _, p := range []struct {
		port *int
		want bool
	}{{&m.port, true}, {&m.tlsPort, m.opts.TLS != nil}, {&m.wsPort, m.opts.WebSocket}} {
		if p.want {
			if *p.port, err = FreePort(); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(m.confPath(), []byte(m.config()), 0o600)
}

func (m *Mosquitto) confPath() string   { return filepath.Join(m.dir, "mosquitto.conf") }
func (m *Mosquitto) logPath() string    { return filepath.Join(m.dir, "mosquitto.log") }
func (m *Mosquitto) outPath() string    { return filepath.Join(m.dir, "mosquitto.out") }
func (m *Mosquitto) passwdPath() string { return filepath.Join(m.dir, "passwd") }
func (m *Mosquitto) dynsecPath() string { return filepath.Join(m.dir, "dynamic-security.json") }
func (m *Mosquitto) dataDir() string    { return filepath.Join(m.dir, "data") }

// start runs the process and waits for its listeners. m.mu is held or m
// is not yet shared.
func (m *Mosquitto) start() error {
	out, err := os.OpenFile(m.outPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	defer out.Close() // the child has its own descriptor
	if m.sock != "" {
		os.Remove(m.sock)
	}
	cmd, done, err := startProcess(m.bin, m.confPath(), m.dir, out)
	if err != nil {
		return err
	}
	m.cmd, m.done = cmd, done

	alive := func() bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	deadline := time.Now().Add(StartTimeout)
	err = nil
	for _, a := range m.endpoints() {
		if err = waitDial(a[0], a[1], deadline, alive); err != nil {
			break
		}
	}
	if err == nil && !alive() {
		err = fmt.Errorf("%w: mosquitto exited", ErrNotReady)
	}
	if err != nil {
		cmd.Process.Kill()
		<-done
		m.cmd = nil
		return fmt.Errorf("%w\nmosquitto log:\n%s", err, m.Log())
	}
	return nil
}

// endpoints lists each listener as network and address.
func (m *Mosquitto) endpoints() [][2]string {
	var eps [][2]string
	for _, p := range []int{m.port, m.tlsPort, m.wsPort} {
		if p != 0 {
			eps = append(eps, [2]string{"tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
		}
	}
	if m.sock != "" {
		eps = append(eps, [2]string{"unix", m.sock})
	}
	return eps
}

func hostPortURL(scheme string, port int, path string) string {
	if port == 0 {
		return ""
	}
	return scheme + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + path
}

// Addr returns the TCP listener's URL, "tcp://127.0.0.1:port".
func (m *Mosquitto) Addr() string { return hostPortURL("tcp://", m.port, "") }

// TLSAddr returns the TLS listener's URL, "tls://127.0.0.1:port", or "".
func (m *Mosquitto) TLSAddr() string { return hostPortURL("tls://", m.tlsPort, "") }

// WSAddr returns the WebSocket listener's URL, "ws://127.0.0.1:port/", or
// "".
func (m *Mosquitto) WSAddr() string { return hostPortURL("ws://", m.wsPort, "/") }

// UnixAddr returns the unix-socket listener's URL, "unix:///path/to/sock",
// or "".
func (m *Mosquitto) UnixAddr() string { return url("unix://", m.sock, "") }

// Dir returns the private directory holding the configuration, the log,
// the password file, certificates and the persistence database.
func (m *Mosquitto) Dir() string { return m.dir }

// Log returns mosquitto's log followed by anything it printed on standard
// output or error, for failure messages.
func (m *Mosquitto) Log() string {
	logText, _ := os.ReadFile(m.logPath())
	out, _ := os.ReadFile(m.outPath())
	s := string(logText)
	if len(out) > 0 {
		s += "\n[stdout/stderr]\n" + string(out)
	}
	return s
}

// Running reports whether the process is up.
func (m *Mosquitto) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running()
}

// Pid returns the process id of the running mosquitto, 0 when it is not
// running.
func (m *Mosquitto) Pid() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.running() {
		return 0
	}
	return m.cmd.Process.Pid
}

func (m *Mosquitto) running() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM, letting mosquitto save its database, and waits for
// it to exit, sending SIGKILL after [StopTimeout]. Stopping a stopped
// broker is a no-op; Restart starts it again.
func (m *Mosquitto) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stop(syscall.SIGTERM)
}

// Kill ends mosquitto with SIGKILL at once, as a crash would, and waits
// for it to exit.
func (m *Mosquitto) Kill() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stop(syscall.SIGKILL)
}

func (m *Mosquitto) stop(sig syscall.Signal) error {
	if !m.running() {
		m.cmd = nil
		return nil
	}
	if err := stopProcess(m.cmd, m.done, sig); err != nil {
		return fmt.Errorf("broker: signal mosquitto: %w", err)
	}
	m.cmd = nil
	return nil
}

// startProcess runs bin with the configuration file conf in dir, its
// output going to out, and returns it with a channel closed when it has
// exited.
func startProcess(bin, conf, dir string, out *os.File) (*exec.Cmd, chan struct{}, error) {
	cmd := exec.Command(bin, "-c", conf)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("broker: start %s: %w", bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	return cmd, done, nil
}

// stopProcess sends sig to cmd and waits for done, closed when it has
// exited, sending SIGKILL after [StopTimeout].
func stopProcess(cmd *exec.Cmd, done <-chan struct{}, sig syscall.Signal) error {
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-done:
	case <-time.After(StopTimeout):
		cmd.Process.Kill()
		<-done
	}
	return nil
}

// Restart stops mosquitto if it runs (SIGTERM, as Stop) and starts it
// again with the same configuration on the same ports.
func (m *Mosquitto) Restart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if err := m.stop(syscall.SIGTERM); err != nil {
		return err
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = m.start(); err == nil || !strings.Contains(m.Log(), "Address already in use") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Close stops mosquitto as Stop does and removes its directory. Closing
// twice is a no-op.
func (m *Mosquitto) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.stop(syscall.SIGTERM)
	if rerr := os.RemoveAll(m.dir); err == nil {
		err = rerr
	}
	return err
}

// RequireMosquittoEnv names the environment variable that, set to 1,
// turns a missing mosquitto from a reason to skip a test into a failure.
// CI sets it.
const RequireMosquittoEnv = "ONMQTT_REQUIRE_MOSQUITTO"

// MosquittoRequired reports whether [RequireMosquittoEnv] is set to 1.
func MosquittoRequired() bool { return os.Getenv(RequireMosquittoEnv) == "1" }
