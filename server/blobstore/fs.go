package blobstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FS is a Store on a local directory. Blob id's bytes are in
// <dir>/<id[:2]>/<id> and its Meta, as JSON, beside them in <id>.json; a
// Put writes both into <dir>/tmp first, fsyncs them and renames them into
// place (the metadata last: a blob exists once its metadata does), so a
// crash never leaves a partial blob visible. Several servers may share the
// directory (the ids are random).
type FS struct {
	dir string
	now func() time.Time
}

// staleTemp is how old a file in <dir>/tmp must be for OpenFS to delete
// it: a Put that crashed left it there (a running Put in another process
// sharing the directory is younger).
const staleTemp = 24 * time.Hour

// OpenFS returns the FS on dir, creating the directory if needed, and
// deletes temp files older than a day left by interrupted Puts.
func OpenFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blobstore: empty directory")
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("blobstore: create %s: %w", tmp, err)
	}
	s := &FS{dir: dir, now: time.Now}
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && s.now().Sub(info.ModTime()) > staleTemp {
				os.Remove(filepath.Join(tmp, e.Name()))
			}
		}
	}
	return s, nil
}

// Dir is the directory the FS keeps its blobs in.
func (s *FS) Dir() string { return s.dir }

func (s *FS) paths(id string) (data, meta string) {
	d := filepath.Join(s.dir, id[:2])
	return filepath.Join(d, id), filepath.Join(d, id+".json")
}

// copyBuf pools the copy buffers of Put.
var copyBuf = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// Put implements Store.
func (s *FS) Put(ctx context.Context, r io.Reader, limit int64, want Meta) (m Meta, err error) {
	if limit <= 0 {
		return Meta{}, fmt.Errorf("blobstore: limit %d must be positive", limit)
	}
	if err := ctx.Err(); err != nil {
		return Meta{}, err
	}
	tmp := filepath.Join(s.dir, "tmp")
	f, err := os.CreateTemp(tmp, "put-*")
	if err != nil {
		return Meta{}, fmt.Errorf("blobstore: %w", err)
	}
	var temps = []string{f.Name()}
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil {
			for _, t := range temps {
				os.Remove(t)
			}
		}
	}()

	h := md5.New()
	bp := copyBuf.Get().(*[]byte)
	defer copyBuf.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Meta{}, err
		}
		k, rerr := r.Read(buf)
		if k > 0 {
			n += int64(k)
			if n > limit {
				return Meta{}, ErrTooLarge
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return Meta{}, fmt.Errorf("blobstore: write: %w", err)
			}
			h.Write(buf[:k])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return Meta{}, rerr
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want.Size != 0 && n != want.Size {
		return Meta{}, fmt.Errorf("%w: got %d bytes, want %d", ErrSize, n, want.Size)
	}
	if want.MD5 != "" && !strings.EqualFold(want.MD5, sum) {
		return Meta{}, fmt.Errorf("%w: got %s, want %s", ErrMD5Mismatch, sum, strings.ToLower(want.MD5))
	}
	if err := f.Sync(); err != nil {
		return Meta{}, fmt.Errorf("blobstore: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		f = nil
		return Meta{}, fmt.Errorf("blobstore: close: %w", err)
	}
	dataTmp := f.Name()
	f = nil

	m = want
	m.ID = newID()
	m.Size, m.MD5 = n, sum
	m.Created = s.now().UTC().Truncate(time.Second) // HTTP dates have second precision
	mj, err := json.Marshal(m)
	if err != nil {
		return Meta{}, fmt.Errorf("blobstore: encode meta: %w", err)
	}
	metaTmp, err := writeTemp(tmp, mj)
	if metaTmp != "" {
		temps = append(temps, metaTmp)
	}
	if err != nil {
		return Meta{}, err
	}
	dataPath, metaPath := s.paths(m.ID)
	dir := filepath.Dir(dataPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Meta{}, fmt.Errorf("blobstore: %w", err)
	}
	if err := os.Rename(dataTmp, dataPath); err != nil {
		return Meta{}, fmt.Errorf("blobstore: %w", err)
	}
	temps[0] = dataPath // removed if the metadata cannot be put in place
	if err := os.Rename(metaTmp, metaPath); err != nil {
		return Meta{}, fmt.Errorf("blobstore: %w", err)
	}
	if err := syncDir(dir); err != nil {
		os.Remove(metaPath)
		return Meta{}, err
	}
	return m, nil
}

// writeTemp writes b to a new fsynced temp file in dir and returns its
// name ("" if it could not be created).
func writeTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, "meta-*")
	if err != nil {
		return "", fmt.Errorf("blobstore: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f.Name(), fmt.Errorf("blobstore: write meta: %w", err)
	}
	return f.Name(), nil
}

// syncDir fsyncs a directory so that the renames into it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blobstore: sync %s: %w", dir, err)
	}
	return nil
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, id string) (Meta, error) {
	if !ValidID(id) {
		return Meta{}, ErrNotFound
	}
	_, metaPath := s.paths(id)
	b, err := os.ReadFile(metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, ErrNotFound
	}
	if err != nil {
		return Meta{}, fmt.Errorf("blobstore: %w", err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("blobstore: metadata of %s: %w", id, err)
	}
	if m.ID != id {
		return Meta{}, fmt.Errorf("blobstore: metadata of %s names %q", id, m.ID)
	}
	return m, nil
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, id string) (Blob, error) {
	m, err := s.Stat(ctx, id)
	if err != nil {
		return nil, err
	}
	dataPath, _ := s.paths(id)
	f, err := os.Open(dataPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &fsBlob{File: f, meta: m}, nil
}

type fsBlob struct {
	*os.File
	meta Meta
}

func (b *fsBlob) Meta() Meta { return b.meta }
