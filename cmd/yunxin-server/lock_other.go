//go:build !unix

package main

// lockDataDir does nothing where flock is missing: run one server per data
// directory (see lock_unix.go).
func lockDataDir(dir string) (release func(), err error) { return func() {}, nil }
