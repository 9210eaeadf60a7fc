package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// module builds a minimal module: a memory section and a data section of
// segs (in the given order).
func module(segs []segment) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = appendSection(m, 5, []byte{1, 0, 1}) // one memory, min 1 page
	return appendSection(m, secData, encodeData(segs))
}

// TestRewriteSmall: gaps below zeroRun are filled, long zero runs split,
// zero ends trimmed, unsorted input sorted, and the image stays the same.
func TestRewriteSmall(t *testing.T) {
	zeros := make([]byte, zeroRun)
	segs := []segment{
		{off: 300, data: append(append([]byte{9}, zeros...), 8)}, // a long zero run inside
		{off: 16, data: []byte{1, 2, 3}},
		{off: 20, data: []byte{4, 0, 0}}, // gap 1, zero end
		{off: 100, data: []byte{0, 0, 5}},
	}
	out, st, err := Rewrite(module(segs))
	if err != nil {
		t.Fatal(err)
	}
	if st.Before != 4 || st.After != 3 {
		t.Errorf("segments %d → %d, want 4 → 3 (16..100 merged, 300's zero run split)", st.Before, st.After)
	}
	// Read the data section back.
	p := out[8:]
	var got []segment
	for len(p) > 0 {
		size, n := binary.Uvarint(p[1:])
		if p[0] == secData {
			got, err = parseData(p[1+n : 1+n+int(size)])
			if err != nil {
				t.Fatal(err)
			}
		}
		p = p[1+n+int(size):]
	}
	want := []segment{
		{off: 16, data: append([]byte{1, 2, 3, 0, 4}, append(make([]byte, 100-21+2), 5)...)},
		{off: 300, data: []byte{9}},
		{off: 301 + zeroRun, data: []byte{8}},
	}
	if len(got) != len(want) {
		t.Fatalf("segments %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].off != want[i].off || !bytes.Equal(got[i].data, want[i].data) {
			t.Errorf("segment %d: %d %v, want %d %v", i, got[i].off, got[i].data, want[i].off, want[i].data)
		}
	}
}

// TestRewriteRejects: overlapping or passive segments are refused.
func TestRewriteRejects(t *testing.T) {
	if _, _, err := Rewrite(module([]segment{{off: 0, data: []byte{1, 2}}, {off: 1, data: []byte{3}}})); err == nil {
		t.Error("overlapping segments accepted")
	}
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = appendSection(m, secData, []byte{1, 1, 1, 7}) // one passive segment
	if _, _, err := Rewrite(m); err == nil {
		t.Error("a passive segment accepted")
	}
	if _, _, err := Rewrite([]byte("not wasm")); err == nil {
		t.Error("a non-module accepted")
	}
}

// TestRewriteGoModule rewrites a module built by this Go toolchain (a
// small GOOS=js program): the segment count must drop, the rewritten
// module must still run (in Node, through Go's wasm_exec_node.js) and print
// what the program prints, and a second Rewrite must pass its self check.
func TestRewriteGoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\", 42) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "m.wasm")
	cmd := exec.Command("go", "build", "-o", wasm, src)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mod, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	out, st, err := Rewrite(mod)
	if err != nil {
		t.Fatal(err)
	}
	if st.After >= st.Before/10 {
		t.Errorf("segments %d → %d, want a tenth or fewer", st.Before, st.After)
	}
	if _, _, err := Rewrite(out); err != nil {
		t.Errorf("rewriting the rewritten module: %v", err)
	}
	if err := os.WriteFile(wasm, out, 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the rewritten module was not run")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(node, filepath.Join(string(bytes.TrimSpace(goroot)), "lib", "wasm", "wasm_exec_node.js"), wasm)
	got, err := run.CombinedOutput()
	if err != nil || string(got) != "hello 42\n" {
		t.Errorf("running the rewritten module: %v, output %q, want \"hello 42\\n\"", err, got)
	}
}

// TestRewriteDataCount: a DataCount section (bulk memory modules) is
// rewritten with the new segment count.
func TestRewriteDataCount(t *testing.T) {
	segs := []segment{{off: 0, data: []byte{1}}, {off: 2, data: []byte{2}}, {off: 4, data: []byte{3}}}
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = appendSection(m, 5, []byte{1, 0, 1})
	m = appendSection(m, secDataCount, []byte{3})
	m = appendSection(m, secData, encodeData(segs))
	out, st, err := Rewrite(m)
	if err != nil {
		t.Fatal(err)
	}
	if st.After != 1 {
		t.Fatalf("segments %d → %d, want 1", st.Before, st.After)
	}
	want := appendSection(appendSection([]byte("\x00asm\x01\x00\x00\x00"), 5, []byte{1, 0, 1}), secDataCount, []byte{1})
	want = appendSection(want, secData, encodeData([]segment{{off: 0, data: []byte{1, 0, 2, 0, 3}}}))
	if !bytes.Equal(out, want) {
		t.Errorf("rewritten module\n%x\nwant\n%x", out, want)
	}
}
