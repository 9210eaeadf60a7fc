package jsapi

import (
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// readOrSkip reads a file of the repository or its neighbour ../shared; the
// browser running the GOOS=js tests has no filesystem, so the test is skipped.
func readOrSkip(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errors.ErrUnsupported) || strings.Contains(err.Error(), "not implemented") {
			t.Skipf("%s: %v", path, err)
		}
		t.Fatal(err)
	}
	return string(b)
}

// TestMethodsMatchSpec compares the Go list with the spec's methods.txt
// (../shared/spec/methods.txt from the repository root).
func TestMethodsMatchSpec(t *testing.T) {
	var want []string
	for _, line := range strings.Split(readOrSkip(t, "../../shared/spec/methods.txt"), "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		_, names, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("methods.txt: bad line %q", line)
		}
		want = append(want, strings.Fields(names)...)
	}
	if len(want) != 100 {
		t.Errorf("methods.txt has %d names", len(want))
	}
	if got := PluginMethods(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("PluginMethods differs from methods.txt:\n got %v\nwant %v", got, want)
	}
}

// TestMethodsMatchLoader compares the Go list with the loader's METHODS.
func TestMethodsMatchLoader(t *testing.T) {
	src := readOrSkip(t, "../wasm/yunxinim.js")
	_, rest, ok1 := strings.Cut(src, "// methods:begin")
	block, _, ok2 := strings.Cut(rest, "// methods:end")
	if !ok1 || !ok2 {
		t.Fatal("yunxinim.js: no methods:begin/end block")
	}
	var got []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(block, -1) {
		got = append(got, strings.Fields(m[1])...)
	}
	if want := Methods(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("yunxinim.js METHODS differs from the Go table:\n got %v\nwant %v", got, want)
	}
	for name := range listenerMethods {
		if !strings.Contains(src, name+": [") {
			t.Errorf("yunxinim.js LISTEN lacks %s", name)
		}
	}
}
