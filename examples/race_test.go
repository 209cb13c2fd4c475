//go:build race

package examples_test

// Under the race detector the example programs are built with it too.
func init() { buildFlags = append(buildFlags, "-race") }
