package examples_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
)

// buildFlags are passed to go build for the example programs.
var buildFlags []string

// runTimeout bounds one run of an example program. Each finishes in well
// under a second; the bound only stops a hung program.
const runTimeout = 30 * time.Second

// examples are the programs of this directory with the whole standard
// output each must print, on every run and against every broker. Their
// addresses and other varying details go to standard error.
var examples = []struct {
	name string
	want string
}{
	{"quickstart", `published "21.5" to demo/kitchen/temperature at QoS0 (packet id 0)
  sensors  handler got "21.5" on demo/kitchen/temperature at QoS0
published "open" to demo/alarms/door at QoS1 (packet id 2)
  alarms   handler got "open" on demo/alarms/door at QoS1
published "40%" to demo/garden/humidity at QoS2 (packet id 3)
  fallback handler got "40%" on demo/garden/humidity at QoS2
`},
	{"rules", `readings, each taken by exactly one rule:
  site/lyon/sensor/t1    temp 21.5 hum 48 battery 80                  -> store       store in the time series
  site/lyon/sensor/t2    temp 85.2 hum 30 battery 90                  -> overheat    page the on-call engineer
  site/7/sensor/s1       temp 35 hum 40 battery 70                    -> site-7      cool the server room
  site/7/sensor/s1       temp 45.1 hum 40 battery 70                  -> overheat    page the on-call engineer
  site/7/sensor/s2       temp 22 hum 41 battery 65                    -> store       store in the time series
  site/berlin/sensor/b2  temp 19 hum 95 battery 60                    -> flood       close the water valve
  site/berlin/sensor/b2  temp 19 hum 50 battery 14                    -> battery-low schedule a battery swap
  site/berlin/sensor/b3  temp 20 hum 50 battery 70 status calibrating -> maintenance ignore until it is back
  site/paris/sensor/p7   (not JSON)                                   -> store       store in the time series

why store? site/lyon/sensor/t1 {"temp": 21.5, "hum": 48, "battery": 80} (an ordinary reading)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  passed over overheat    operand 2 of and, field("temp", gt(40)): temp = 21.5, not > 40
  passed over flood       operand 2 of and, field("hum", gt(90)): hum = 48, not > 90
  passed over battery-low operand 2 of and, field("battery", lt(20)): battery = 80, not < 20
  passed over maintenance status is missing
  ruled out   site-7, uplink by the topic index, without evaluating them
  runs        store       no condition holds

why overheat? site/lyon/sensor/t2 {"temp": 85.2, "hum": 30, "battery": 90} (a critical threshold)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  runs        overheat    Critical and(topic("site/+/sensor/+"), field("temp", gt(40)))

why site-7? site/7/sensor/s1 {"temp": 35, "hum": 40, "battery": 70} (the site override)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  passed over overheat    operand 2 of and, field("temp", gt(40)): temp = 35, not > 40
  passed over flood       operand 2 of and, field("hum", gt(90)): hum = 40, not > 90
  runs        site-7      High and(topic("site/7/sensor/+"), field("temp", gt(30)))

why battery-low? site/berlin/sensor/b2 {"temp": 19, "hum": 50, "battery": 14} (a low battery)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  passed over overheat    operand 2 of and, field("temp", gt(40)): temp = 19, not > 40
  passed over flood       operand 2 of and, field("hum", gt(90)): hum = 50, not > 90
  ruled out   site-7, uplink by the topic index, without evaluating them
  runs        battery-low Normal and(topic("site/+/sensor/+"), field("battery", lt(20)))

why maintenance? site/berlin/sensor/b3 {"temp": 20, "hum": 50, "battery": 70, "status": "calibrating"} (a sensor in maintenance)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  passed over overheat    operand 2 of and, field("temp", gt(40)): temp = 20, not > 40
  passed over flood       operand 2 of and, field("hum", gt(90)): hum = 50, not > 90
  passed over battery-low operand 2 of and, field("battery", lt(20)): battery = 70, not < 20
  ruled out   site-7, uplink by the topic index, without evaluating them
  runs        maintenance Normal field("status", in("maintenance", "calibrating"))

why store? site/paris/sensor/p7 n/a (a payload that is not JSON)
  delivered by the subscription to site/#
  seen first by 1 observer (the audit log)
  passed over overheat    operand 2 of and, field("temp", gt(40)): payload does not decode as json: invalid character '/' in literal null (expecting 'u')
  passed over flood       operand 2 of and, field("hum", gt(90)): payload does not decode as json: invalid character '/' in literal null (expecting 'u')
  passed over battery-low operand 2 of and, field("battery", lt(20)): payload does not decode as json: invalid character '/' in literal null (expecting 'u')
  passed over maintenance payload does not decode as json: invalid character '/' in literal null (expecting 'u')
  ruled out   site-7, uplink by the topic index, without evaluating them
  runs        store       no condition holds

what if gateway/lyon/uplink arrived?
  seen first by 1 observer (the audit log)
  ruled out   overheat, flood, site-7 by the topic index, without evaluating them
  runs        uplink      High topic("gateway/+/uplink")
  warning: no subscription delivers topic "gateway/lyon/uplink" (subscriptions: "site/#"): no such message can arrive
  warning: the handler that runs: no subscription delivers a topic that "gateway/+/uplink" matches (subscriptions: "site/#")

summary, from Routes in precedence order (index: how a dispatch finds the rule):
  priority rule        taken  index  condition
  Critical overheat        2  topic  and(topic("site/+/sensor/+"), field("temp", gt(40)))
  Critical flood           1  topic  and(topic("site/+/sensor/+"), field("hum", gt(90)))
  High     site-7          1  topic  and(topic("site/7/sensor/+"), field("temp", gt(30)))
  High     uplink          0  topic  topic("gateway/+/uplink")
  Normal   battery-low     1  topic  and(topic("site/+/sensor/+"), field("battery", lt(20)))
  Normal   maintenance     1  scan   field("status", in("maintenance", "calibrating"))
  fallback store           3  -      -
  warning: uplink: no subscription delivers a topic that "gateway/+/uplink" matches (subscriptions: "site/#")
audit log: 9 readings, from site/lyon/sensor/t1 to site/paris/sensor/p7
`},
	{"acks", `message 1: "open" to plant/valve/1 at QoS1
  sender    publish id 2 -> PUBACK id 2
  receiver  PUBLISH id 1 "open" (PUBACK goes out when this handler returns)
message 2: "close" to plant/valve/2 at QoS2
  sender    publish id 3 -> PUBREC id 3 -> PUBCOMP id 3
  receiver  PUBLISH id 2 without message -> PUBREL id 2 "close" (PUBCOMP goes out when this handler returns)
message 3: "start" to plant/pump/1 at QoS2
  sender    publish id 4 -> PUBREC id 4 -> PUBCOMP id 4
  receiver  PUBLISH id 3 without message -> PUBREL id 3 "start" (PUBCOMP goes out when this handler returns)
message 4: "stop" to plant/pump/2 at QoS1
  sender    publish id 5 -> PUBACK id 5
  receiver  PUBLISH id 4 "stop" (PUBACK goes out when this handler returns)
acknowledgements no id handler took: 0
`},
	{"topics", `routes, in precedence order:
  type    kind        priority handler    index  condition
  PUBLISH conditional High     lights     topic  topic("home/+/light")
  PUBLISH conditional High     first-door topic  topic("home/+/door") (once)
  PUBLISH conditional Normal   temps      scan   glob("home/*/temp*")
  PUBLISH conditional Normal   home       topic  topic("home/#")
  PUBLISH conditional Low      status     scan   glob("**/status")
  PUBLISH fallback    -        other      -      -

messages, each taken by exactly one handler:
  home/kitchen/light                on       -> lights     High beats home/# at Normal
  home/kitchen/temperature          21.5     -> temps      registered before home/#, same priority
  home/cellar/temp_probe            12.0     -> temps      temp* matches within one level
  home/temperature                  19.0     -> home       the glob wants three levels
  home/hall/door                    open     -> first-door High, and the first door event
  home/hall/door                    closed   -> home       the one-shot is gone
  home/livingroom/light/brightness  80       -> home       + matches exactly one level
  home/garage/status                closed   -> home       Normal beats **/status at Low
  garden/pump/status                running  -> status     ** crosses levels
  garden/sprinkler                  off      -> other      no condition holds

routes left: lights, temps, home, status, other
`},
}

// TestExamples builds every example program and runs it twice: with its
// embedded broker, and with -broker pointing at a Mosquitto started for
// the run (skipped without mosquitto, unless ONMQTT_REQUIRE_MOSQUITTO=1).
// Each run must exit 0 and print exactly the expected output.
func TestExamples(t *testing.T) {
	bin := build(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			t.Run("embedded", func(t *testing.T) {
				t.Parallel()
				check(t, run(t, filepath.Join(bin, ex.name)), ex.want)
			})
			t.Run("mosquitto", func(t *testing.T) {
				t.Parallel()
				m := brokertest.Mosquitto(t, broker.MosquittoOptions{})
				check(t, run(t, filepath.Join(bin, ex.name), "-broker", m.Addr()), ex.want)
			})
		})
	}
}

// build compiles every example into a temporary directory and returns it.
func build(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to build the examples")
	dir := t.TempDir()
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, buildFlags...)
	for _, ex := range examples {
		args = append(args, "./"+ex.name)
	}
	cmd := exec.Command(goBin, args...)
	out, err := cmd.CombinedOutput()
	require.NoErrorf(t, err, "go %s\n%s", strings.Join(args, " "), out)
	return dir
}

// run runs the program with args and returns its standard output. It
// fails the test when the program does not exit 0 within runTimeout.
func run(t *testing.T, program string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A program built with -race exits with status 66 when it finds a
	// race; this setting keeps it from sleeping a second before exiting.
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	require.NoErrorf(t, ctx.Err(), "%s did not finish within %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(program), runTimeout, &stdout, &stderr)
	require.NoErrorf(t, err, "%s\nstdout:\n%s\nstderr:\n%s", filepath.Base(program), &stdout, &stderr)
	line := strings.Join(append([]string{filepath.Base(program)}, args...), " ")
	t.Logf("%s: exit 0 after %v", line, time.Since(start).Round(time.Millisecond))
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String()
}

// check compares a program's output with the expected one: on a
// mismatch it reports the whole output, then each line that differs.
func check(t *testing.T, got, want string) {
	t.Helper()
	if assert.Equal(t, want, got, "whole output") {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		assert.Equalf(t, wl, gl, "line %d", i+1)
	}
}
