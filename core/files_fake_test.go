//go:build !js

package core_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"yunxin/core"
	"yunxin/proto"
)

// fakeFiles is the native tests' file edge (core.Files): files the test
// registers in memory ("blob:test/N" paths, with the media facts a browser
// would probe), a map as the kept-file store ("obj:<key>" paths), and REAL
// HTTP to the test server for uploads and downloads (net/http).
type fakeFiles struct {
	mu    sync.Mutex
	files map[string]fakeFile // path → file
	kept  map[string]fakeFile // key → file
	n     int
	chunk int // upload chunk size (progress granularity)
	// gate, when set, is called by Upload after the first chunk of each
	// file with the file's md5: the upload waits for it to return (a test
	// blocks until the upload's ctx is cancelled).
	gate func(ctx context.Context, md5 string)
	// uploads counts the POSTs made, by the md5 of the file (a file is
	// uploaded from the page's path or from its kept copy).
	uploads map[string]int
	probes  int
	// probeGate, when set, makes Probe wait until it is closed: a probe
	// that takes long (a big file's md5).
	probeGate chan struct{}
}

// fakeFile is one file with what a probe of it says.
type fakeFile struct {
	data  []byte
	name  string
	mime  string
	w, h  int
	dur   int64
	thumb []byte // an image's thumbnail or a video's cover (PNG bytes), or nil
}

func newFakeFiles() *fakeFiles {
	return &fakeFiles{files: map[string]fakeFile{}, kept: map[string]fakeFile{}, chunk: 1024, uploads: map[string]int{}}
}

// add registers f and returns its path.
func (f *fakeFiles) add(ff fakeFile) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	p := "blob:test/" + strconv.Itoa(f.n)
	f.files[p] = ff
	return p
}

// drop forgets the file at path (as a page revoking a blob: URL, or a reload).
func (f *fakeFiles) drop(path string) {
	f.mu.Lock()
	delete(f.files, path)
	f.mu.Unlock()
}

func (f *fakeFiles) lookup(path string) (fakeFile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := strings.CutPrefix(path, "key:"); ok {
		ff, ok := f.kept[k]
		return ff, ok
	}
	if k, ok := strings.CutPrefix(path, "obj:"); ok {
		ff, ok := f.kept[k]
		return ff, ok
	}
	ff, ok := f.files[path]
	return ff, ok
}

func md5hex(b []byte) string { h := md5.Sum(b); return hex.EncodeToString(h[:]) }

func (f *fakeFiles) Probe(ctx context.Context, param, path string, kind int) (core.FileInfo, error) {
	f.mu.Lock()
	f.probes++
	gate := f.probeGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return core.FileInfo{}, ctx.Err()
		}
	}
	ff, ok := f.lookup(path)
	if !ok {
		return core.FileInfo{}, core.BadParam(param, "cannot be read: no file at "+path)
	}
	info := core.FileInfo{Name: ff.name, Size: int64(len(ff.data)), Mime: ff.mime, MD5: md5hex(ff.data)}
	if i := strings.LastIndexByte(ff.name, '.'); i >= 0 {
		info.Ext = strings.ToLower(ff.name[i+1:])
	}
	if info.Mime == "" {
		info.Mime = "application/octet-stream"
	}
	want := map[int]string{proto.MsgImage: "image/", proto.MsgAudio: "audio/", proto.MsgVideo: "video/"}[kind]
	if want != "" && !strings.HasPrefix(ff.mime, want) {
		return core.FileInfo{}, core.BadParam(param, "cannot be decoded as "+strings.TrimSuffix(want, "/"))
	}
	switch kind {
	case proto.MsgImage, proto.MsgVideo:
		info.W, info.H, info.Duration = ff.w, ff.h, ff.dur
		if ff.thumb != nil {
			info.Thumb = f.add(fakeFile{data: ff.thumb, name: "thumb.png", mime: "image/png", w: 32, h: 24})
			info.ThumbW, info.ThumbH = 32, 24
		}
	case proto.MsgAudio:
		info.Duration = ff.dur
	}
	return info, nil
}

// gatedReader hands out data in chunks, reporting progress, and waits at
// the gate after the first chunk.
type gatedReader struct {
	ctx      context.Context
	data     []byte
	off      int
	chunk    int
	gate     func()
	progress func(sent, total int64)
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.off >= len(g.data) {
		return 0, io.EOF
	}
	if g.off > 0 && g.gate != nil {
		gate := g.gate
		g.gate = nil
		gate()
		if err := g.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n := copy(p[:min(len(p), g.chunk)], g.data[g.off:])
	g.off += n
	g.progress(int64(g.off), int64(len(g.data)))
	return n, nil
}

func (f *fakeFiles) Upload(ctx context.Context, path, url, token, contentType string, progress func(sent, total int64)) (proto.UploadResp, error) {
	ff, ok := f.lookup(path)
	if !ok {
		return proto.UploadResp{}, core.BadParam("path", "cannot be read: no file at "+path)
	}
	f.mu.Lock()
	sum := md5hex(ff.data)
	f.uploads[sum]++
	gate, chunk := f.gate, f.chunk
	f.mu.Unlock()
	body := &gatedReader{ctx: ctx, data: ff.data, chunk: chunk, progress: progress}
	if gate != nil {
		body.gate = func() { gate(ctx, sum) }
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return proto.UploadResp{}, core.Errf(proto.CodeBadParam, err.Error())
	}
	req.ContentLength = int64(len(ff.data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return proto.UploadResp{}, core.Errf(proto.CodeNetwork, "upload failed: "+err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e core.Error
		if json.Unmarshal(b, &e) == nil && e.Code != 0 {
			return proto.UploadResp{}, &e
		}
		return proto.UploadResp{}, core.Errf(proto.CodeServer, "upload: HTTP "+resp.Status)
	}
	var out proto.UploadResp
	if err := json.Unmarshal(b, &out); err != nil {
		return proto.UploadResp{}, core.Errf(proto.CodeServer, "upload: bad answer: "+err.Error())
	}
	return out, nil
}

func (f *fakeFiles) Download(ctx context.Context, url, key string, progress func(got, total int64)) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", core.BadParam("urlString", err.Error())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", core.Errf(proto.CodeNetwork, "download failed: "+err.Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", core.Errf(proto.CodeNotFound, "download: HTTP "+resp.Status)
	}
	var buf bytes.Buffer
	p := make([]byte, 512)
	for {
		n, err := resp.Body.Read(p)
		buf.Write(p[:n])
		if n > 0 {
			progress(int64(buf.Len()), resp.ContentLength)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", core.Errf(proto.CodeNetwork, "download failed: "+err.Error())
		}
	}
	f.mu.Lock()
	f.kept[key] = fakeFile{data: buf.Bytes(), mime: resp.Header.Get("Content-Type")}
	f.mu.Unlock()
	return "obj:" + key, nil
}

func (f *fakeFiles) Keep(ctx context.Context, path, key string) error {
	ff, ok := f.lookup(path)
	if !ok {
		return core.BadParam("path", "cannot be read: no file at "+path)
	}
	f.mu.Lock()
	f.kept[key] = ff
	f.mu.Unlock()
	return nil
}

func (f *fakeFiles) Path(ctx context.Context, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.kept[key]; ok {
		return "obj:" + key, nil
	}
	return "", nil
}

func (f *fakeFiles) Remove(ctx context.Context, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		delete(f.kept, k)
	}
	return nil
}

// keptData returns the bytes kept under key.
func (f *fakeFiles) keptData(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kept[key].data
}

// uploadCount returns how many times data was uploaded.
func (f *fakeFiles) uploadCount(data []byte) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploads[md5hex(data)]
}
