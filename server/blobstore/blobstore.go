// Package blobstore keeps the files users upload (message attachments)
// behind a small interface, so that the server can keep them on its own
// disk (FS, the default) or, later, in an S3-compatible store shared by
// several nodes.
//
// A blob is immutable once stored: its bytes and its Meta never change. Its
// id is 128 random bits in lowercase hex, chosen by the store; nothing a
// client supplies (a file name, a path) ever becomes part of a path on disk.
package blobstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors of Put, Open and Stat. Callers test them with errors.Is.
var (
	ErrNotFound    = errors.New("blobstore: no such blob")
	ErrTooLarge    = errors.New("blobstore: more bytes than the limit")
	ErrSize        = errors.New("blobstore: byte count differs from the expected size")
	ErrMD5Mismatch = errors.New("blobstore: md5 differs from the expected md5")
)

// Meta describes a stored blob.
type Meta struct {
	ID      string    `json:"id"`               // 32 lowercase hex digits, chosen by the store
	Size    int64     `json:"size"`             // bytes
	MD5     string    `json:"md5"`              // lowercase hex md5 of the bytes
	Mime    string    `json:"mime"`             // content type, e.g. image/png
	Name    string    `json:"name"`             // display name given at upload, e.g. photo.png (never a path on disk)
	Created time.Time `json:"created"`          // when it was stored
	Owner   string    `json:"owner,omitempty"`  // the account that uploaded it
	Origin  string    `json:"origin,omitempty"` // scheme://host the upload came through: its download URLs start with it
}

// Blob is an open stored blob: its bytes, seekable, and its Meta. Close it.
type Blob interface {
	io.ReadSeekCloser
	Meta() Meta
}

// Store stores and serves blobs. Implementations are safe for concurrent
// use.
type Store interface {
	// Put streams r into a new blob. It reads at most limit bytes: a
	// reader with more fails with ErrTooLarge without reading it all. Once
	// r is exhausted it checks the bytes against want: want.Size, if not 0,
	// must equal their count (ErrSize) and want.MD5, if not "", their md5
	// (ErrMD5Mismatch, case-insensitive). On any error nothing is kept. On
	// success the blob is durable and Put returns want with ID, Size, MD5
	// and Created set by the store (Mime, Name, Owner and Origin as given).
	Put(ctx context.Context, r io.Reader, limit int64, want Meta) (Meta, error)
	// Open opens blob id for reading; ErrNotFound if there is none (an id
	// that is not 32 lowercase hex digits included).
	Open(ctx context.Context, id string) (Blob, error)
	// Stat returns the Meta of blob id; ErrNotFound if there is none.
	Stat(ctx context.Context, id string) (Meta, error)
}

// ValidID reports whether id has the form of a blob id: 32 lowercase hex
// digits. Stores answer ErrNotFound for any other id without touching
// their storage.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
