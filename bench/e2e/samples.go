package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// sampleRecord is the JSON form of a [Sample]: one line per run.
type sampleRecord struct {
	Scenario Scenario `json:"scenario"`
	Rep      int      `json:"rep"`
	Result   Result   `json:"result"`
	Err      string   `json:"error,omitempty"`
}

// WriteSample appends s to w as one line of JSON, so that a matrix can
// be summarized again later, or merged with another, by [ReadSamples].
// Durations are in nanoseconds.
func WriteSample(w io.Writer, s Sample) error {
	rec := sampleRecord{Scenario: s.Scenario, Rep: s.Rep, Result: s.Result}
	if s.Err != nil {
		rec.Err = s.Err.Error()
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("e2e: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ErrBadSample means a line of a samples file is not a sample.
var ErrBadSample = errors.New("e2e: malformed sample")

// ReadSamples reads the samples [WriteSample] wrote. The error of a run
// that failed comes back as an error with the same text.
func ReadSamples(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec sampleRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return out, fmt.Errorf("%w: line %d: %w", ErrBadSample, line, err)
		}
		s := Sample{Scenario: rec.Scenario, Rep: rec.Rep, Result: rec.Result}
		if rec.Err != "" {
			s.Err = errors.New(rec.Err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}
