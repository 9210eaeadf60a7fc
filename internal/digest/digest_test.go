package digest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestMD5 compares NewMD5 with crypto/md5 on lengths around every block
// boundary and on random chunkings of the same input, and checks that Sum
// leaves the hash writable.
func TestMD5(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		want := md5.Sum(in)
		d := NewMD5()
		for p := in; len(p) > 0; {
			c := min(len(p), r.IntN(70)+1)
			d.Write(p[:c])
			p = p[c:]
		}
		if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("md5 of %d bytes: %x, want %x", n, got, want)
		}
		d.Write([]byte("more"))
		want = md5.Sum(append(in, "more"...))
		if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("md5 after Sum and Write, %d bytes: %x, want %x", n, got, want)
		}
	}
	big := bytes.Repeat([]byte("yunxinIM"), 1<<17) // 1 MiB in one Write
	want := md5.Sum(big)
	d := NewMD5()
	d.Write(big)
	if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("md5 of 1 MiB: %x, want %x", got, want)
	}
}

// TestSHA256 compares SHA256 with crypto/sha256 on lengths around every
// block boundary.
func TestSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 300; n++ {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		if got, want := SHA256(in), sha256.Sum256(in); got != want {
			t.Fatalf("sha256 of %d bytes: %x, want %x", n, got, want)
		}
	}
}

// BenchmarkMD5 hashes 1 MiB per op with NewMD5 and, for comparison,
// crypto/md5 (b.SetBytes: MB/s).
func BenchmarkMD5(b *testing.B) {
	buf := bytes.Repeat([]byte{7}, 1<<20)
	b.Run("digest", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			d := NewMD5()
			d.Write(buf)
			d.Sum(nil)
		}
	})
	b.Run("crypto", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			md5.Sum(buf)
		}
	})
}
