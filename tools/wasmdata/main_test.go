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
	out, st, err := Rewrite(module(segs), false)
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
	if _, _, err := Rewrite(module([]segment{{off: 0, data: []byte{1, 2}}, {off: 1, data: []byte{3}}}), false); err == nil {
		t.Error("overlapping segments accepted")
	}
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = appendSection(m, secData, []byte{1, 1, 1, 7}) // one passive segment
	if _, _, err := Rewrite(m, false); err == nil {
		t.Error("a passive segment accepted")
	}
	if _, _, err := Rewrite([]byte("not wasm"), false); err == nil {
		t.Error("a non-module accepted")
	}
}

// goProgram is the GOOS=js program the Go module tests build: it prints
// where runtime.Caller says it is, then works the tables the line tables'
// removal must keep (pcsp and pcdata: the garbage collector's stack maps,
// stack growth in a deep recursion on another goroutine, a recovered
// panic's traceback with function names).
const goProgram = `package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

type node struct {
	next *node
	b    []byte
}

func deep(n int, list *node) int {
	var a [64]byte
	a[n%64] = byte(n)
	if n == 0 {
		runtime.GC()
		c := 0
		for ; list != nil; list = list.next {
			c += len(list.b)
		}
		return c
	}
	return deep(n-1, list) + int(a[n%64]) - int(byte(n)) // + 0, from the frame
}

func helper() any { return recover() }

// indirect: recover called by a function the deferred function calls
// returns nil (the panic goes on to the outer recover).
func indirect() (r, inner any) {
	defer func() { r = recover() }()
	defer func() { inner = helper() }()
	panic("p")
}

func trace() (s string) {
	defer func() { recover(); s = string(debug.Stack()) }()
	var m map[string]int
	m["x"] = 1
	return ""
}

func main() {
	_, file, line, _ := runtime.Caller(0)
	var list *node
	for i := 0; i < 100000; i++ {
		list = &node{next: list, b: make([]byte, 1+i%7)}
		if i%5000 == 0 {
			runtime.GC()
		}
	}
	done := make(chan int)
	go func() { done <- deep(5000, list) }()
	r, inner := indirect()
	fmt.Println(filepath.Base(file), line, <-done, strings.Contains(trace(), "main.trace"), r, inner)
}
`

// TestRewriteGoModule rewrites a module built by this Go toolchain (a
// small GOOS=js program, goProgram) both ways: the segment count must drop,
// the rewritten module must still run (in Node, through Go's
// wasm_exec_node.js) and print what the program prints, with its line
// ("main.go 48") kept or dropped ("? 0"), and a second Rewrite must pass
// its self check. With the line tables dropped, the program's garbage
// collections, stack growth and traceback show that the tables the
// runtime needs are intact, and the "? 0" that the tables were found.
func TestRewriteGoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(goProgram), 0o644); err != nil {
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
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node is not installed: the rewritten modules are not run")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, drop := range []bool{false, true} {
		out, st, err := Rewrite(mod, drop)
		if err != nil {
			t.Fatalf("drop lines %v: %v", drop, err)
		}
		if st.After >= st.Before/10 {
			t.Errorf("drop lines %v: segments %d → %d, want a tenth or fewer", drop, st.Before, st.After)
		}
		if drop != (st.LineBytes > 1000) {
			t.Errorf("drop lines %v: %d bytes of line tables zeroed", drop, st.LineBytes)
		}
		again, st2, err := Rewrite(out, drop)
		if err != nil {
			t.Errorf("drop lines %v: rewriting the rewritten module: %v", drop, err)
		} else if st2.LineBytes != 0 || !bytes.Equal(again, out) {
			t.Errorf("drop lines %v: a second rewrite changed the module (%d line bytes)", drop, st2.LineBytes)
		}
		if node == "" {
			continue
		}
		if err := os.WriteFile(wasm, out, 0o644); err != nil {
			t.Fatal(err)
		}
		run := exec.Command(node, filepath.Join(string(bytes.TrimSpace(goroot)), "lib", "wasm", "wasm_exec_node.js"), wasm)
		got, err := run.CombinedOutput()
		want := "main.go 48 399995 true p <nil>\n"
		if drop {
			want = "? 0 399995 true p <nil>\n"
		}
		if err != nil || string(got) != want {
			t.Errorf("drop lines %v: running the rewritten module: %v, output %q, want %q", drop, err, got, want)
		}
	}
}

// TestDropLinesRefuses: an image without a Go function table, or with one
// whose records do not check out, is refused, not rewritten.
func TestDropLinesRefuses(t *testing.T) {
	img := make([]byte, 4096)
	if _, err := dropLines(img); err == nil {
		t.Error("an image without a pclntab accepted")
	}
	// A pcHeader whose only function's _func says another pc than ftab.
	binary.LittleEndian.PutUint32(img[64:], pcHeaderMagic)
	img[64+6], img[64+7] = 1, 8
	for i, v := range []uint64{1, 0, 0, 72, 80, 80, 88, 96} { // nfunc .. pclnOffset
		binary.LittleEndian.PutUint64(img[64+8+8*i:], v)
	}
	pcln := 64 + 96
	binary.LittleEndian.PutUint32(img[pcln:], 5)    // ftab[0].entryoff
	binary.LittleEndian.PutUint32(img[pcln+4:], 16) // ftab[0].funcoff
	binary.LittleEndian.PutUint32(img[pcln+16:], 6) // _func.entryOff
	if _, err := dropLines(img); err == nil {
		t.Error("a pclntab whose _func disagrees with ftab accepted")
	}
	binary.LittleEndian.PutUint32(img[pcln+16:], 5)
	if _, err := dropLines(img); err == nil {
		t.Error("a pclntab without a moduledata accepted")
	}
	md := 1024 // a moduledata: the pcHeader, the funcnametab, gofunc..epclntab
	for o, v := range map[int]uint64{0: 64, 8: 64 + 72, 16: 8, mdGofunc: 2048, mdEpclntab: 3072} {
		binary.LittleEndian.PutUint64(img[md+o:], v)
	}
	if _, err := dropLines(img); err != nil {
		t.Errorf("the consistent table refused: %v", err)
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
	out, st, err := Rewrite(m, false)
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
