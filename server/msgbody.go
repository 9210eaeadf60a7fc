package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/blobstore"
)

// Message bodies: checkBody validates the body of each message type a
// client may send and returns the body to store, re-marshalled from its
// struct (proto.TipBody, proto.LocationBody, proto.AttachBody): unknown
// fields, and so any local path a client might add, never reach the store.

// Limits of message bodies beyond proto's.
const (
	maxDisplayName   = 255                                      // attachment displayName, bytes
	maxExt           = 16                                       // attachment ext, bytes
	maxLocationTitle = 1024                                     // location title, bytes
	maxDuration      = int64(24 * time.Hour / time.Millisecond) // audio/video duration, ms
	maxPixels        = 65535                                    // a width or height
)

// checkBody validates the body raw of a message of type typ (proto.Msg*)
// and returns its normalized form; 414 naming the field otherwise. Types
// other than text, image, audio, video, location, file and tip are 414 "not
// supported"; a notification (type 5) is posted by the server only (a team
// change's notification message), never sent by a client: 414.
func checkBody(ctx context.Context, c *conn, typ int, raw jx.RawMessage) (jx.RawMessage, error) {
	switch typ {
	case proto.MsgText, proto.MsgTip:
		return checkTextBody(raw)
	case proto.MsgLocation:
		return checkLocationBody(raw)
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
		return checkAttachBody(ctx, c.s.blobs, typ, raw)
	case proto.MsgNotification:
		return nil, errorf(proto.CodeBadParam, "msg.type 5 (notification) is posted by the server only, not sent by a client")
	}
	return nil, errorf(proto.CodeBadParam, "msg.type %d not supported (0 text, 1 image, 2 audio, 3 video, 4 location, 6 file, 10 tip)", typ)
}

// decodeBody decodes a message body into v: a JSON object whose fields have
// the right JSON types, else 414 naming the field.
func decodeBody(raw jx.RawMessage, v any) error {
	if !isObject(raw) {
		return errorf(proto.CodeBadParam, "msg.body must be a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errorf(proto.CodeBadParam, "msg.body.%s must be a JSON %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return errorf(proto.CodeBadParam, "msg.body: %v", err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "string"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "float"), strings.HasPrefix(goKind, "uint"):
		return "number"
	}
	return "object"
}

// checkLocationBody validates {latitude, longitude, title}: both
// coordinates required, finite and in range, the title at most 1024 bytes.
func checkLocationBody(raw jx.RawMessage) (jx.RawMessage, error) {
	var b struct {
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
		Title     string   `json:"title"`
	}
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	if b.Latitude == nil || math.IsNaN(*b.Latitude) || *b.Latitude < -90 || *b.Latitude > 90 {
		return nil, errorf(proto.CodeBadParam, "msg.body.latitude must be a number from -90 to 90")
	}
	if b.Longitude == nil || math.IsNaN(*b.Longitude) || *b.Longitude < -180 || *b.Longitude > 180 {
		return nil, errorf(proto.CodeBadParam, "msg.body.longitude must be a number from -180 to 180")
	}
	if p := nameProblem(b.Title, maxLocationTitle); p != "" {
		return nil, errorf(proto.CodeBadParam, "msg.body.title %s", p)
	}
	return marshalBody(proto.LocationBody{Latitude: *b.Latitude, Longitude: *b.Longitude, Title: b.Title})
}

// mediaKind is the content type family the file of a media message must
// have.
var mediaKind = map[int]string{proto.MsgImage: "image", proto.MsgAudio: "audio", proto.MsgVideo: "video"}

// checkAttachBody validates the body of an image, audio, video or file
// message: url a file of this server whose length and md5 the body states
// (and, for an image, audio or video message, of that content type);
// thumbUrl (image) and coverUrl (video), when set, images of this server
// too; the other fields in range. The fields of other types are dropped and
// the urls are stored as their paths, /files/<id>/<name> (filePath).
func checkAttachBody(ctx context.Context, blobs blobstore.Store, typ int, raw jx.RawMessage) (jx.RawMessage, error) {
	var b proto.AttachBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	m, err := serverFile(ctx, blobs, "url", b.URL)
	if err != nil {
		return nil, err
	}
	if b.FileLength != m.Size {
		return nil, errorf(proto.CodeBadParam, "msg.body.fileLength %d differs from the size of the file at url, %d bytes", b.FileLength, m.Size)
	}
	if !strings.EqualFold(b.MD5, m.MD5) {
		return nil, errorf(proto.CodeBadParam, "msg.body.md5 %q differs from the md5 of the file at url, %s", b.MD5, m.MD5)
	}
	if want := mediaKind[typ]; want != "" {
		if err := checkFileType("url", m, want); err != nil {
			return nil, err
		}
	}
	out := proto.AttachBody{URL: filePath(m), FileLength: m.Size, MD5: m.MD5}
	if p := nameProblem(b.DisplayName, maxDisplayName); p != "" {
		return nil, errorf(proto.CodeBadParam, "msg.body.displayName %s", p)
	}
	if p := nameProblem(b.Ext, maxExt); p != "" {
		return nil, errorf(proto.CodeBadParam, "msg.body.ext %s", p)
	}
	out.DisplayName, out.Ext = b.DisplayName, b.Ext
	switch typ {
	case proto.MsgImage:
		if out.ThumbURL, err = optionalFile(ctx, blobs, "thumbUrl", b.ThumbURL, "image"); err != nil {
			return nil, err
		}
		if out.Size, err = checkSize("size", b.Size); err != nil {
			return nil, err
		}
	case proto.MsgAudio:
		if out.Duration, err = checkDuration(b.Duration); err != nil {
			return nil, err
		}
	case proto.MsgVideo:
		if out.Duration, err = checkDuration(b.Duration); err != nil {
			return nil, err
		}
		if out.Width, err = checkPixels("width", b.Width); err != nil {
			return nil, err
		}
		if out.Height, err = checkPixels("height", b.Height); err != nil {
			return nil, err
		}
		if out.CoverURL, err = optionalFile(ctx, blobs, "coverUrl", b.CoverURL, "image"); err != nil {
			return nil, err
		}
		if out.CoverSize, err = checkSize("coverSize", b.CoverSize); err != nil {
			return nil, err
		}
	}
	return marshalBody(out)
}

// serverFile returns the blob a url of the body names (field is its
// name): a URL this server's upload returned, http(s)://<host>/files/<id>/…,
// or its path alone, /files/<id>/…; 414 otherwise. Only the path counts:
// the body stores it without scheme and host (fileURL), and each client
// resolves it against the server it is connected to, so a host an
// uploader's request claimed never reaches another client.
func serverFile(ctx context.Context, blobs blobstore.Store, field, raw string) (blobstore.Meta, error) {
	if raw == "" {
		return blobstore.Meta{}, errorf(proto.CodeBadParam, "msg.body.%s is required: the url the upload returned", field)
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "" && u.Host == "" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "") {
		return blobstore.Meta{}, errorf(proto.CodeBadParam, "msg.body.%s must be the url of a file uploaded to this server", field)
	}
	rest, ok := strings.CutPrefix(u.Path, "/files/")
	id, _, _ := strings.Cut(rest, "/")
	if !ok || !blobstore.ValidID(id) {
		return blobstore.Meta{}, errorf(proto.CodeBadParam, "msg.body.%s must be the url of a file uploaded to this server (/files/<id>/<name>)", field)
	}
	m, err := blobs.Stat(ctx, id)
	if errors.Is(err, blobstore.ErrNotFound) {
		return blobstore.Meta{}, errorf(proto.CodeBadParam, "msg.body.%s names no file uploaded to this server", field)
	}
	if err != nil {
		return blobstore.Meta{}, fmt.Errorf("stat file %s: %w", id, err)
	}
	return m, nil
}

// checkFileType refuses (414) a file whose stored content type does not
// fit what the body says it is (want "image", "audio" or "video").
func checkFileType(field string, m blobstore.Meta, want string) error {
	if !strings.HasPrefix(m.Mime, want+"/") {
		return errorf(proto.CodeBadParam, "msg.body.%s is a file of type %s, not %s/*", field, m.Mime, want)
	}
	return nil
}

// optionalFile checks an optional url field: "" or a file of this server
// of type want/* (thumbnails and covers are images).
func optionalFile(ctx context.Context, blobs blobstore.Store, field, raw, want string) (string, error) {
	if raw == "" {
		return "", nil
	}
	m, err := serverFile(ctx, blobs, field, raw)
	if err != nil {
		return "", err
	}
	if err := checkFileType(field, m, want); err != nil {
		return "", err
	}
	return filePath(m), nil
}

func checkDuration(ms int64) (int64, error) {
	if ms < 0 || ms > maxDuration {
		return 0, errorf(proto.CodeBadParam, "msg.body.duration must be 0 to %d ms (24 hours), got %d", maxDuration, ms)
	}
	return ms, nil
}

func checkPixels(field string, n int) (int, error) {
	if n < 0 || n > maxPixels {
		return 0, errorf(proto.CodeBadParam, "msg.body.%s must be 0 to %d pixels, got %d", field, maxPixels, n)
	}
	return n, nil
}

func checkSize(field string, sz *proto.Size) (*proto.Size, error) {
	if sz == nil {
		return nil, nil
	}
	if _, err := checkPixels(field+".w", sz.W); err != nil {
		return nil, err
	}
	if _, err := checkPixels(field+".h", sz.H); err != nil {
		return nil, err
	}
	return &proto.Size{W: sz.W, H: sz.H}, nil
}

func marshalBody(v any) (jx.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf(proto.CodeBadParam, "msg.body: %v", err)
	}
	return b, nil
}
