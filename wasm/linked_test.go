//go:build !(js && wasm)

package main

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestNoReflectionInTheSDK links the SDK as make sdk does and fails when
// the linker reaches code of encoding/json, fmt, log or reflect: they were
// a fifth of the wasm (issue 10) and jx (yunxin/internal/jx) and errf
// (yunxin/internal/errf) replace them. Only reflect's package init stays
// (encoding/binary imports reflect), and the linker names some shared
// argument-info data after whichever function it met first (.arginfo).
func TestNoReflectionInTheSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("links the SDK")
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-dumpdep", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	banned := regexp.MustCompile(`^(type:)?\*?(encoding/json|fmt|log|internal/fmtsort|reflect)\.`)
	allowed := regexp.MustCompile(`\.arginfo\d*$|^reflect\.(\.inittask|init|[a-z0-9]+Type)$`)
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		_, to, ok := strings.Cut(line, " -> ")
		if !ok {
			continue
		}
		to = strings.Fields(to)[0]
		if banned.MatchString(to) && !allowed.MatchString(to) {
			seen[line] = true
		}
	}
	if len(seen) > 0 {
		var lines []string
		for l := range seen {
			lines = append(lines, l)
		}
		// The edges into those packages first: they name what pulled them in.
		sort.Slice(lines, func(i, j int) bool {
			ii, ij := banned.MatchString(lines[i]), banned.MatchString(lines[j])
			if ii != ij {
				return ij
			}
			return lines[i] < lines[j]
		})
		if len(lines) > 20 {
			lines = lines[:20]
		}
		t.Fatalf("the SDK links %d symbols of encoding/json, fmt, log or reflect; the first edges (go build -ldflags=-dumpdep):\n%s", len(seen), strings.Join(lines, "\n"))
	}
}
