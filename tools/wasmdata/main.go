// Command wasmdata rewrites the data section of a WebAssembly module built
// by Go so that it compresses better. First, without changing the module's
// memory image: Go's linker writes one active data segment per symbol
// (about 66,000 in the SDK), and each costs a segment header (flags, an
// i32.const offset expression, a length) that brotli cannot squeeze.
// wasmdata merges neighbouring segments, filling the small gaps between
// them with zero bytes (linear memory starts zeroed, so the image is the
// same), and drops runs of zeros long enough to pay for a new header.
//
// Second, unless -keep-lines is given, it drops the Go runtime's file, line
// and inlining tables from the image (lines.go): about 125 KB of the SDK
// after brotli. Tracebacks then name each function without its file:line
// and show inlined functions as their caller, and runtime.Caller reports
// "?", 0; nothing else depends on those tables (see lines.go).
//
//	go run ./tools/wasmdata [-keep-lines] [-o OUT.wasm] FILE.wasm
//
// It writes OUT.wasm, or rewrites FILE.wasm in place without -o.
//
// It only accepts what Go's linker emits (active segments of memory 0 with
// an i32.const offset, not overlapping) and fails on anything else. Before
// writing it rebuilds the memory image from the old and the new data
// section and fails unless they are byte for byte the same.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
)

func main() {
	keepLines := flag.Bool("keep-lines", false, "keep the runtime's file, line and inlining tables (tracebacks with file:line and inlined frames)")
	outName := flag.String("o", "", "write the module to this file (default: rewrite FILE.wasm in place)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: wasmdata [-keep-lines] [-o OUT.wasm] FILE.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	name := flag.Arg(0)
	mod, err := os.ReadFile(name)
	if err != nil {
		fatal(err)
	}
	out, st, err := Rewrite(mod, !*keepLines)
	if err != nil {
		fatal(fmt.Errorf("%s: %w", name, err))
	}
	if *outName == "" {
		*outName = name
	}
	if err := os.WriteFile(*outName, out, 0o644); err != nil {
		fatal(err)
	}
	fmt.Printf("wasmdata: %s: %d data segments → %d, %d → %d bytes", *outName, st.Before, st.After, len(mod), len(out))
	if !*keepLines {
		fmt.Printf(", line tables dropped (%d bytes zeroed)", st.LineBytes)
	}
	fmt.Println()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "wasmdata:", err)
	os.Exit(1)
}

// Stats counts the data segments before and after a Rewrite, and the
// bytes of line tables it zeroed.
type Stats struct{ Before, After, LineBytes int }

// segment is an active data segment of memory 0 at offset off.
type segment struct {
	off  uint32
	data []byte
}

const (
	secData      = 11
	secDataCount = 12
	// zeroRun is the length from which a run of zero bytes inside merged
	// data is cut out (two segments instead): longer than a header.
	zeroRun = 128
)

// Rewrite returns mod with its data segments merged and, if dropLineTables,
// the runtime's line tables dropped (see the package doc). A module without
// a data section is returned as it is.
func Rewrite(mod []byte, dropLineTables bool) ([]byte, Stats, error) {
	var st Stats
	if len(mod) < 8 || !bytes.Equal(mod[:4], []byte("\x00asm")) {
		return nil, st, errors.New("not a WebAssembly module")
	}
	out := append([]byte(nil), mod[:8]...)
	p := mod[8:]
	var newCount int = -1
	var countAt = -1 // where in out the DataCount section starts
	for len(p) > 0 {
		id := p[0]
		size, n := binary.Uvarint(p[1:])
		if n <= 0 || uint64(len(p)-1-n) < size {
			return nil, st, errors.New("truncated section")
		}
		body := p[1+n : 1+n+int(size)]
		p = p[1+n+int(size):]
		switch id {
		case secData:
			segs, err := parseData(body)
			if err != nil {
				return nil, st, err
			}
			st.Before = len(segs)
			if dropLineTables && len(segs) > 0 {
				img := image(segs, 0)
				if st.LineBytes, err = dropLines(img); err != nil {
					return nil, st, fmt.Errorf("dropping the line tables: %w", err)
				}
				segs = []segment{{off: 0, data: img}}
			}
			merged := merge(segs)
			if len(segs) > 0 && !bytes.Equal(image(segs, segs[0].off), image(merged, segs[0].off)) {
				return nil, st, errors.New("internal error: the merged segments make another memory image")
			}
			st.After = len(merged)
			newCount = len(merged)
			out = appendSection(out, secData, encodeData(merged))
		case secDataCount:
			countAt = len(out)
			out = appendSection(out, id, body)
		default:
			out = appendSection(out, id, body)
		}
	}
	if countAt >= 0 && newCount >= 0 {
		// The DataCount section comes before the data section: rewrite it.
		_, n := binary.Uvarint(out[countAt+1:])
		rest := append([]byte(nil), out[countAt+1+n+lenUvarint(out[countAt+1+n:]):]...)
		out = appendSection(out[:countAt], secDataCount, binary.AppendUvarint(nil, uint64(newCount)))
		out = append(out, rest...)
	}
	return out, st, nil
}

func lenUvarint(b []byte) int { _, n := binary.Uvarint(b); return n }

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

// parseData reads a data section of active memory-0 segments with an
// i32.const offset.
func parseData(b []byte) ([]segment, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errors.New("bad data section")
	}
	b = b[n:]
	segs := make([]segment, 0, count)
	for i := uint64(0); i < count; i++ {
		flags, n := binary.Uvarint(b)
		if n <= 0 || flags != 0 || len(b) < n+1 || b[n] != 0x41 { // i32.const
			return nil, fmt.Errorf("data segment %d is not an active segment with an i32.const offset", i)
		}
		b = b[n+1:]
		off, n := sleb(b)
		if n <= 0 || off < 0 || off > 1<<32-1 || len(b) < n+1 || b[n] != 0x0b { // end
			return nil, fmt.Errorf("data segment %d: bad offset expression", i)
		}
		b = b[n+1:]
		size, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < size {
			return nil, fmt.Errorf("data segment %d: truncated", i)
		}
		segs = append(segs, segment{off: uint32(off), data: b[n : n+int(size)]})
		b = b[n+int(size):]
	}
	if len(b) != 0 {
		return nil, errors.New("bytes after the last data segment")
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].off < segs[j].off })
	for i := 1; i < len(segs); i++ {
		if uint64(segs[i-1].off)+uint64(len(segs[i-1].data)) > uint64(segs[i].off) {
			return nil, fmt.Errorf("data segments at %#x and %#x overlap", segs[i-1].off, segs[i].off)
		}
	}
	return segs, nil
}

// merge joins sorted, disjoint segments into as few as pay off: gaps below
// zeroRun are filled with zeros, and zero runs of zeroRun bytes or more
// (in a segment or between two) split it.
func merge(segs []segment) []segment {
	var out []segment
	var cur []byte
	var start uint32
	flush := func() {
		// Emit cur without its zero ends, cut at each run of zeroRun or
		// more zeros.
		i := 0
		for i < len(cur) {
			for i < len(cur) && cur[i] == 0 {
				i++
			}
			if i == len(cur) {
				break
			}
			// cur[i] != 0: find end, the first zero of a long run (or len).
			end, zeros := i, 0
			for j := i; j < len(cur); j++ {
				if cur[j] != 0 {
					zeros = 0
					end = j + 1
					continue
				}
				if zeros++; zeros >= zeroRun {
					break
				}
			}
			out = append(out, segment{off: start + uint32(i), data: cur[i:end]})
			i = end
		}
		cur = nil
	}
	for _, s := range segs {
		end := start + uint32(len(cur))
		if cur != nil && s.off-end < zeroRun {
			cur = append(cur, make([]byte, s.off-end)...)
			cur = append(cur, s.data...)
			continue
		}
		if cur != nil {
			flush()
		}
		start = s.off
		cur = append([]byte{}, s.data...)
	}
	if cur != nil {
		flush()
	}
	return out
}

func encodeData(segs []segment) []byte {
	b := binary.AppendUvarint(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSleb(b, int64(s.off))
		b = append(b, 0x0b)
		b = binary.AppendUvarint(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// image is the memory the segments initialise, from offset lo (at most
// the lowest offset).
func image(segs []segment, lo uint32) []byte {
	hi := lo
	for _, s := range segs {
		hi = max(hi, s.off+uint32(len(s.data)))
	}
	// Trailing zeros are not part of the image (memory is zero there).
	img := make([]byte, hi-lo)
	for _, s := range segs {
		copy(img[s.off-lo:], s.data)
	}
	return bytes.TrimRight(img, "\x00")
}

func sleb(b []byte) (int64, int) {
	var v int64
	var shift uint
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1
		}
	}
	return 0, 0
}

func appendSleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
