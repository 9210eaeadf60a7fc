package main

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Go's runtime keeps a table of functions (the pclntab) in the memory
// image. For each function its _func record points into pctab, a pool of
// varint-encoded tables: pcsp (frame size) and pcdata (stack maps,
// unsafe points) are what the garbage collector and stack growth need;
// pcfile and pcln only give tracebacks and runtime.Caller their file and
// line. The line tables are about 90 KB of the SDK's wasm after brotli, so
// the SDK build drops them: dropLines sets pcfile and pcln to 0 (the
// runtime's "no table": funcline1 answers "?", 0) and zeroes the bytes of
// pctab that only those tables used. With them go what only the file's name
// was read through (each _func's cuOffset, the cutab and filetab tables)
// and each _func's startLine (read only by runtime/pprof): another 10 KB.
//
// It also drops the inlining trees (FUNCDATA_InlTree and the
// PCDATA_InlTreeIndex tables, about 20 KB): tracebacks and runtime.Callers
// then show a function inlined into another as that other function. The
// runtime reads them only through newInlineUnwinder, which takes a missing
// tree as "nothing inlined here". The one use that is not for printing or
// profiling, recover's check that it was called by the deferred function
// itself (runtime/panic.go gorecover), gives the same answer without them:
// a function that calls recover is never inlined (cmd/compile's "call to
// recover"), so the frames it walks are its caller's own.
//
// Tracebacks still name every function. The layout read here is the
// runtime's (runtime/symtab.go pcHeader and moduledata,
// runtime/runtime2.go _func, Go 1.20 and later); dropLines refuses an
// image where it does not find exactly one pclntab that checks out and one
// moduledata for it, and tools/wasmdata's TestRewriteGoModule runs a
// rewritten module.

// pcHeaderMagic is abi.Go120PCLnTabMagic, the first word of a pcHeader.
const pcHeaderMagic = 0xFFFFFFF1

// pclntab is what dropLines reads of the runtime's function table.
type pclntab struct {
	hdr             int // offset of the pcHeader in the image
	nfunc           int
	funcname        int // offset of funcnametab in the image
	cutab, filetab  int // offsets of cutab and filetab (filetab runs up to pctab)
	pctab, pclntabs int // offsets of pctab and of the pclntable (ftab first)
	pctabLen        int // pctab runs up to the pclntable
	funcnameLen     int
}

// findPclntab finds the one pcHeader in img whose tables check out.
func findPclntab(img []byte) (pclntab, error) {
	var found []pclntab
	for a := 0; a+72 <= len(img); a += 8 {
		if binary.LittleEndian.Uint32(img[a:]) != pcHeaderMagic {
			continue
		}
		if t, ok := checkPclntab(img, a); ok {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return pclntab{}, fmt.Errorf("found %d function tables (pclntab) that check out, want 1: not a Go 1.20+ wasm module this tool knows", len(found))
	}
	return found[0], nil
}

// checkPclntab reads a pcHeader at a (runtime/symtab.go) and checks that
// its function table is consistent: offsets in order and in range, each
// ftab entry's pc the same as its _func's entryOff, and every table a
// _func points to inside pctab.
func checkPclntab(img []byte, a int) (pclntab, bool) {
	u := func(o int) int { return int(binary.LittleEndian.Uint64(img[a+o:])) }
	if img[a+4] != 0 || img[a+5] != 0 || img[a+6] != 1 || img[a+7] != 8 { // pads, minLC 1, ptrSize 8
		return pclntab{}, false
	}
	nfunc := u(8)
	funcnameOff, cuOff, fileOff, pctabOff, pclnOff := u(32), u(40), u(48), u(56), u(64)
	if nfunc <= 0 || !(72 <= funcnameOff && funcnameOff <= cuOff && cuOff <= fileOff && fileOff <= pctabOff && pctabOff <= pclnOff) || a+pclnOff+8*(nfunc+1) > len(img) {
		return pclntab{}, false
	}
	t := pclntab{hdr: a, nfunc: nfunc, funcname: a + funcnameOff, funcnameLen: cuOff - funcnameOff, cutab: a + cuOff, filetab: a + fileOff,
		pctab: a + pctabOff, pctabLen: pclnOff - pctabOff, pclntabs: a + pclnOff}
	prev := -1
	for k := 0; k < nfunc; k++ {
		f, ok := t.fn(img, k)
		if !ok || int(f.entry) <= prev || f.entry != binary.LittleEndian.Uint32(img[t.pclntabs+8*k:]) || int(f.nameOff) >= t.funcnameLen {
			return pclntab{}, false
		}
		prev = int(f.entry)
		for _, off := range f.tables(img) {
			if int(off) >= t.pctabLen {
				return pclntab{}, false
			}
		}
	}
	return t, true
}

// _func field offsets (runtime/runtime2.go).
const (
	funcEntryOff  = 0
	funcNameOff   = 4
	funcPcsp      = 16
	funcPcfile    = 20
	funcPcln      = 24
	funcNpcdata   = 28
	funcCuOffset  = 32
	funcStartLine = 36
	funcNfuncdata = 43
	funcSize      = 44 // then npcdata uint32 pctab offsets, nfuncdata uint32 gofunc offsets
)

// Indexes of fnRec.tables, of the pcdata and funcdata arrays
// (internal/abi/symtab.go), and offsets in moduledata.
const (
	tabPcsp, tabPcfile, tabPcln, tabPcdata0 = 0, 1, 2, 3

	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3

	mdGofunc   = 8 + 6*24 + 21*8 // pcHeader, 6 slices, 21 uintptrs before gofunc
	mdEpclntab = mdGofunc + 8
)

// fnRec is one _func record at img[at:].
type fnRec struct {
	at             int
	entry, nameOff uint32
	npcdata        int
}

// fn reads the k-th function's _func through ftab.
func (t pclntab) fn(img []byte, k int) (fnRec, bool) {
	funcoff := int(binary.LittleEndian.Uint32(img[t.pclntabs+8*k+4:]))
	at := t.pclntabs + funcoff
	if funcoff < 8*(t.nfunc+1) || at+funcSize > len(img) {
		return fnRec{}, false
	}
	f := fnRec{at: at, entry: binary.LittleEndian.Uint32(img[at+funcEntryOff:]),
		nameOff: binary.LittleEndian.Uint32(img[at+funcNameOff:]),
		npcdata: int(binary.LittleEndian.Uint32(img[at+funcNpcdata:]))}
	if f.npcdata > 16 || at+funcSize+4*f.npcdata > len(img) || img[at+funcNfuncdata] > 16 {
		return fnRec{}, false
	}
	return f, true
}

// tables returns the pctab offsets of f's tables: pcsp, pcfile, pcln, then
// its pcdata (0 is "none").
func (f fnRec) tables(img []byte) []uint32 {
	offs := []uint32{
		binary.LittleEndian.Uint32(img[f.at+funcPcsp:]),
		binary.LittleEndian.Uint32(img[f.at+funcPcfile:]),
		binary.LittleEndian.Uint32(img[f.at+funcPcln:]),
	}
	for i := 0; i < f.npcdata; i++ {
		offs = append(offs, binary.LittleEndian.Uint32(img[f.at+funcSize+4*i:]))
	}
	return offs
}

// tableScan reads the pc-value table at pctab[off:]: pairs of uvarints
// (a zigzag value delta from -1, a pc delta) up to a zero value delta after
// the first (runtime/symtab.go step). It returns the table's length and
// its largest value.
func tableScan(pctab []byte, off int) (n int, maxVal int32, err error) {
	p, val := off, int32(-1)
	maxVal = -1
	for first := true; ; first = false {
		if p >= len(pctab) {
			return 0, 0, errors.New("a pc-value table runs past pctab")
		}
		if pctab[p] == 0 && !first {
			return p + 1 - off, maxVal, nil
		}
		for i := 0; i < 2; i++ {
			v, n := binary.Uvarint(pctab[p:])
			if n <= 0 {
				return 0, 0, errors.New("a bad varint in a pc-value table")
			}
			if i == 0 {
				val += int32(-(v & 1) ^ (v >> 1))
				maxVal = max(maxVal, val)
			}
			p += n
		}
	}
}

// dropLines removes the file, line and inlining tables from the Go
// runtime's function table in the memory image img (see the comment at the
// top of this file) and returns how many bytes it zeroed.
func dropLines(img []byte) (int, error) {
	t, err := findPclntab(img)
	if err != nil {
		return 0, err
	}
	gofunc, egofunc, err := findGofunc(img, t)
	if err != nil {
		return 0, err
	}
	pctab := img[t.pctab : t.pctab+t.pctabLen]
	keep := make([]bool, len(pctab))
	var drop []int
	zeroed := 0
	for k := 0; k < t.nfunc; k++ {
		f, _ := t.fn(img, k)
		ninl := 0 // inlining tree entries: the largest PCDATA_InlTreeIndex + 1
		for i, off := range f.tables(img) {
			if off == 0 {
				continue
			}
			n, maxVal, err := tableScan(pctab, int(off))
			if err != nil {
				return 0, err
			}
			switch i {
			case tabPcfile, tabPcln:
				drop = append(drop, int(off))
				continue
			case tabPcdata0 + pcdataInlTreeIndex:
				drop = append(drop, int(off))
				ninl = int(maxVal) + 1
				binary.LittleEndian.PutUint32(img[f.at+funcSize+4*pcdataInlTreeIndex:], 0)
				continue
			}
			for j := int(off); j < int(off)+n; j++ {
				keep[j] = true
			}
		}
		for _, field := range []int{funcPcfile, funcPcln, funcCuOffset, funcStartLine} {
			binary.LittleEndian.PutUint32(img[f.at+field:], 0)
		}
		// The inlining tree: its funcdata offset set to none (^0) and its
		// entries (16 bytes each, its own symbol) zeroed. An entry past the
		// largest index the pc table uses (if any) stays as it is.
		if fd := f.at + funcSize + 4*f.npcdata + 4*funcdataInlTree; int(img[f.at+funcNfuncdata]) > funcdataInlTree {
			if off := binary.LittleEndian.Uint32(img[fd:]); off != ^uint32(0) {
				start, end := gofunc+int(off), gofunc+int(off)+16*ninl
				if end > egofunc {
					return 0, fmt.Errorf("an inlining tree runs past the function data")
				}
				for j := start; j < end; j++ {
					if img[j] != 0 {
						img[j] = 0
						zeroed++
					}
				}
				binary.LittleEndian.PutUint32(img[fd:], ^uint32(0))
			}
		}
	}
	clear(img[t.cutab:t.pctab]) // cutab and filetab
	// Measure every dropped table before zeroing any: tables may share
	// bytes.
	lens := make([]int, len(drop))
	for i, off := range drop {
		if lens[i], _, err = tableScan(pctab, off); err != nil {
			return 0, err
		}
	}
	for i, off := range drop {
		for j := off; j < off+lens[i]; j++ {
			if !keep[j] && pctab[j] != 0 {
				pctab[j] = 0
				zeroed++
			}
		}
	}
	return zeroed, nil
}

// findGofunc finds the runtime's moduledata (runtime/symtab.go): the one
// 8-aligned word that holds the pcHeader's address, followed by the
// funcnametab slice pcHeader's offsets give. It returns its gofunc and
// epclntab: the function data (go:func.*) lies between them.
func findGofunc(img []byte, t pclntab) (gofunc, egofunc int, err error) {
	u := func(o int) int { return int(binary.LittleEndian.Uint64(img[o:])) }
	found := 0
	for a := 0; a+mdEpclntab+8 <= len(img); a += 8 {
		if u(a) != t.hdr || u(a+8) != t.funcname || u(a+16) != t.funcnameLen {
			continue
		}
		gofunc, egofunc = u(a+mdGofunc), u(a+mdEpclntab)
		found++
	}
	if found != 1 || !(0 < gofunc && gofunc <= egofunc && egofunc <= len(img)) {
		return 0, 0, fmt.Errorf("found %d module data records (moduledata) for the function table, want 1", found)
	}
	return gofunc, egofunc, nil
}
