package core

import (
	"context"

	"yunxin/proto"
)

// Files is the browser's file edge, which core drives for attachments,
// upload, download and the outbox. The wasm implements it over Blob, fetch,
// XMLHttpRequest, <img>/<video>/<audio>, canvas and an IndexedDB file store
// (package wasm); native tests use a fake.
//
// A path is what a page passes as path or filepath: a blob: URL (the
// loader turns a File or Blob parameter into one), a data: URL, or an
// http(s): URL. A key names a file kept in the local file store, which
// outlives a reload (keys are chosen by core, e.g. "<account>/<messageId>/path").
// Every method honours ctx: canceling it aborts the transfer (the outcome is
// ctx's error).
type Files interface {
	// Probe reads the file at path and describes it: name, size, type,
	// md5, and for kind proto.MsgImage its size and a thumbnail, for
	// proto.MsgAudio its duration, for proto.MsgVideo its size, duration
	// and a cover frame. A path that cannot be read, or media that cannot
	// be decoded as kind, is a 414 naming param.
	Probe(ctx context.Context, param, path string, kind int) (FileInfo, error)
	// Upload POSTs the file at path (or kept under key when path starts
	// with "key:") to url with "Authorization: Bearer <token>" and
	// contentType, calling progress with the bytes sent so far and the
	// total (from another goroutine, in order). It returns the server's
	// UploadResp; an HTTP error answer {"code","msg"} comes back as that
	// *Error.
	Upload(ctx context.Context, path, url, token, contentType string, progress func(sent, total int64)) (proto.UploadResp, error)
	// Download fetches url, keeps it under key and returns a path the page
	// can use (an object URL), calling progress with the bytes received and
	// the total (-1 when unknown).
	Download(ctx context.Context, url, key string, progress func(got, total int64)) (string, error)
	// Keep copies the file at path into the local store under key.
	Keep(ctx context.Context, path, key string) error
	// Path returns a path (object URL) for the file kept under key, or ""
	// when nothing is kept under it.
	Path(ctx context.Context, key string) (string, error)
	// Remove deletes kept files; missing keys are ignored.
	Remove(ctx context.Context, keys []string) error
}

// FileInfo describes a file for a message body and its upload.
type FileInfo struct {
	Name     string // display name ("photo.png"); for a URL its last path segment
	Ext      string // extension without the dot, lower case ("png"), or ""
	Size     int64  // bytes
	Mime     string // content type ("image/png"); "application/octet-stream" when unknown
	MD5      string // hex
	W, H     int    // image or video size in pixels
	Duration int64  // audio or video, ms
	// Thumb is the path of a derived image: an image's thumbnail or a
	// video's cover frame ("" when none could be made), ThumbW×ThumbH.
	Thumb          string
	ThumbW, ThumbH int
}

// SetFiles sets the file edge. Without one, methods that need files
// (sending an attachment, upload, download) answer 414 "not supported".
func (c *Client) SetFiles(f Files) {
	c.mu.Lock()
	c.files = f
	c.mu.Unlock()
}

// fileEdge returns the file edge or the error a method without one answers.
func (c *Client) fileEdge(method string) (Files, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		return nil, ErrNotSupported(method + " (no file access in this environment)")
	}
	return c.files, nil
}
