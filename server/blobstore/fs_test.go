package blobstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// files lists every file under dir (relative paths), the tmp directory included.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestPutOpenStat(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("yunxin "), 100000) // 700 KB: several copy buffers
	want := Meta{Size: int64(len(data)), MD5: strings.ToUpper(md5hex(data)), Mime: "text/plain", Name: "../../etc/passwd", Owner: "alice", Origin: "http://x"}
	m, err := s.Put(context.Background(), bytes.NewReader(data), int64(len(data)), want)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(m.ID) || m.Size != int64(len(data)) || m.MD5 != md5hex(data) || m.Name != want.Name || m.Mime != "text/plain" || m.Owner != "alice" || m.Origin != "http://x" || m.Created.IsZero() {
		t.Fatalf("meta %+v", m)
	}
	// On disk: exactly the data and the metadata under the id, nothing named after the client's name.
	got := files(t, dir)
	wantFiles := []string{filepath.Join(m.ID[:2], m.ID), filepath.Join(m.ID[:2], m.ID+".json")}
	if strings.Join(got, ",") != strings.Join(wantFiles, ",") {
		t.Fatalf("files %v, want %v", got, wantFiles)
	}

	st, err := s.Stat(context.Background(), m.ID)
	if err != nil || st != m {
		t.Fatalf("stat %+v %v, want %+v", st, err, m)
	}
	// A second FS on the same directory (another node) sees it.
	s2, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s2.Open(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Meta() != m {
		t.Fatalf("open meta %+v", b.Meta())
	}
	if _, err := b.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(rest, data[7:]) {
		t.Fatalf("read after seek: %d bytes, %v", len(rest), err)
	}
}

func TestPutRefusalsKeepNothing(t *testing.T) {
	data := []byte("0123456789")
	cases := []struct {
		name  string
		limit int64
		want  Meta
		err   error
	}{
		{"over limit", 9, Meta{}, ErrTooLarge},
		{"shorter than size", 100, Meta{Size: 11}, ErrSize},
		{"longer than size", 100, Meta{Size: 9}, ErrSize},
		{"md5", 100, Meta{Size: 10, MD5: md5hex([]byte("other"))}, ErrMD5Mismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := OpenFS(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Put(context.Background(), bytes.NewReader(data), c.limit, c.want)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if f := files(t, dir); len(f) != 0 {
				t.Fatalf("files left: %v", f)
			}
		})
	}
}

// errReader fails after n bytes, like a client that goes away mid-upload.
type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestPutReadErrorAndCancel(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), &errReader{n: 1000}, 1<<20, Meta{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, strings.NewReader("x"), 10, Meta{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Fatalf("files left: %v", f)
	}
}

func TestBadIDsAreNotFound(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A file an id-as-path would reach if the store used ids as paths.
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x"), 0o600)
	for _, id := range []string{"", "../secret", "secret", strings.Repeat("A", 32), strings.Repeat("0", 31) + "/", strings.Repeat("0", 32)} {
		if _, err := s.Stat(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat(%q): %v", id, err)
		}
		if _, err := s.Open(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v", id, err)
		}
	}
}

func TestOpenFSRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenFS(dir); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, "tmp", "put-1"), filepath.Join(dir, "tmp", "put-2")
	os.WriteFile(stale, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("x"), 0o600)
	old := time.Now().Add(-2 * staleTemp)
	os.Chtimes(stale, old, old)
	if _, err := OpenFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp removed: %v", err)
	}
}
