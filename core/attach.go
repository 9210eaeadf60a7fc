package core

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"yunxin/internal/digest"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Attachments. A message with a file (image, voice, video, file) is built
// from what Files.Probe says of it, cached as sending at once, then its file
// goes up over HTTP (an upload grant over the link, then Files.Upload) and
// only then the message with the file's URL goes to the server.
//
// The local fields of the doc's bodies (path, thumbPath, coverPath) live in
// Message.Paths, never on the wire. A file the SDK keeps in the page's file
// store (Files.Keep: every file it sends, so that a reload or a resend
// still has it; every file it downloads) is stored there as "key:<key>";
// the views show it as a path the page can use (an object URL from
// Files.Path, or in the page that sent it the path it passed), never the
// key.

// keyPrefix marks a Paths value naming a kept file rather than a path.
const keyPrefix = "key:"

// fileKey is the key under which the file of field of message id is kept.
func fileKey(account, id, field string) string {
	return account + "/" + id + "/" + field
}

// downloadKey is the key a download of url is kept under.
func downloadKey(url string) string {
	h := digest.SHA256([]byte(url))
	return "dl/" + hex.EncodeToString(h[:16])
}

// errCanceled is the cause of an attempt that cancelSendingMessage or
// cancelTask stopped; the message ends failed with it.
var errCanceled = Errf(proto.CodeNetwork, "sending cancelled")

// errDownloadCanceled is what a download that cancelTask stopped answers.
var errDownloadCanceled = Errf(proto.CodeNetwork, "download cancelled")

// sendState is a run's bookkeeping of the messages being sent, the outbox
// and the transfers (in memory: what must outlive a reload is in the cache).
type sendState struct {
	mu       sync.Mutex
	flights  map[string]*flight       // message id → its attempt (or a cancel claiming it)
	waiters  map[string][]chan result // message id → callers waiting for its outcome
	draining bool                     // an outbox drain runs
	again    bool                     // drain once more when it ends
	lastKey  int64                    // time part of the newest outbox key this run made
	paths    map[string]string        // kept file key → a path this page can use
	objects  map[string]bool          // keys whose paths entry is the kept file's own path (Files.Path)
	tasks    map[string]*task         // cancelTask: a path or url → its transfer
}

func newSendState() *sendState {
	return &sendState{flights: map[string]*flight{}, waiters: map[string][]chan result{},
		paths: map[string]string{}, objects: map[string]bool{}, tasks: map[string]*task{}}
}

// task is one running transfer cancelTask can stop.
type task struct {
	cancel context.CancelCauseFunc
}

// addTask registers a transfer of path (a path or a url) and returns the
// function that removes it again.
func (ss *sendState) addTask(path string, cancel context.CancelCauseFunc) func() {
	t := &task{cancel: cancel}
	ss.mu.Lock()
	ss.tasks[path] = t
	ss.mu.Unlock()
	return func() {
		ss.mu.Lock()
		if ss.tasks[path] == t {
			delete(ss.tasks, path)
		}
		ss.mu.Unlock()
	}
}

// taskPath is the path cancelTask names j's upload by: the page's path of
// its file — the one the send was given, or, for a message the outbox sends
// (j has no source), the page path this page knows for its kept file. ""
// when there is none (after a reload: cancelSendingMessage still works).
func (ss *sendState) taskPath(j *job) string {
	if j.src != "" {
		return j.src
	}
	k, ok := strings.CutPrefix(j.m.Paths[fieldPath], keyPrefix)
	if !ok {
		return ""
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.objects[k] { // an object URL of the kept copy, not the page's own
		return ""
	}
	return ss.paths[k]
}

// setPath records that the file kept under key is reachable at path in this
// page.
func (ss *sendState) setPath(key, path string) {
	ss.mu.Lock()
	ss.paths[key] = path
	ss.mu.Unlock()
}

// setKeptPath records path, which Files.Path gave for the file kept under
// key: it stops working when the kept file is removed (forget).
func (ss *sendState) setKeptPath(key, path string) {
	ss.mu.Lock()
	ss.paths[key] = path
	ss.objects[key] = true
	ss.mu.Unlock()
}

// forget drops the paths of kept files removed from the store; a path the
// page passed stays (it still works).
func (ss *sendState) forget(keys []string) {
	ss.mu.Lock()
	for _, k := range keys {
		if ss.objects[k] {
			delete(ss.paths, k)
			delete(ss.objects, k)
		}
	}
	ss.mu.Unlock()
}

// keptKeys returns the keys of the kept files of message m (its "key:"
// Paths) that are its own: the ones kept when it was sent (fileKey of its
// id), and with downloads the downloads of its attachment. A forwarded
// message's paths naming the source message's files are not its own.
func keptKeys(account string, m Message, downloads bool) []string {
	var keys []string
	own := fileKey(account, m.ID, "")
	for _, v := range m.Paths {
		k, ok := strings.CutPrefix(v, keyPrefix)
		if ok && (strings.HasPrefix(k, own) || downloads && strings.HasPrefix(k, "dl/")) {
			keys = append(keys, k)
		}
	}
	return keys
}

// removeKept removes the kept files of message m (keptKeys; a deleted one's
// downloads too) from the page's file store, best effort: a failure is
// logged. No lock may be held.
func (c *Client) removeKept(r *run, m Message) {
	keys := keptKeys(r.account, m, m.Deleted)
	if len(keys) == 0 {
		return
	}
	f, err := c.fileEdge("remove")
	if err != nil {
		return
	}
	r.send.forget(keys)
	if err := f.Remove(context.WithoutCancel(r.ctx), keys); err != nil {
		c.logf("cannot remove the kept files of message " + m.ID + ": " + err.Error())
	}
}

// resolved returns a copy of m whose kept-file Paths are replaced by the
// paths this page knows for them (no I/O); unknown ones stay keys (the
// view shows them as "").
func (ss *sendState) resolved(m Message) Message {
	if len(m.Paths) == 0 {
		return m
	}
	out := make(map[string]string, len(m.Paths))
	ss.mu.Lock()
	for f, v := range m.Paths {
		if k, ok := strings.CutPrefix(v, keyPrefix); ok {
			if p := ss.paths[k]; p != "" {
				v = p
			}
		}
		out[f] = v
	}
	ss.mu.Unlock()
	m.Paths = out
	return m
}

// viewOf is m's view with its kept files shown as paths this page knows.
func (r *run) viewOf(m Message, peerReadSeq int64) MessageView {
	rm := r.send.resolved(m)
	return rm.View(peerReadSeq)
}

// withPaths returns ms with every kept file of their Paths replaced by a
// path the page can use: one this page knows, or else the object URL
// Files.Path gives for the key (remembered for the next time). A file that
// is not kept any more shows as "". Reading messages (messagesInSession,
// messagesInSessionWithMessageIds) calls it before making the views.
func (c *Client) withPaths(ctx context.Context, r *run, ms []Message) []Message {
	var f Files
	for i := range ms {
		for _, v := range ms[i].Paths {
			k, ok := strings.CutPrefix(v, keyPrefix)
			if !ok {
				continue
			}
			r.send.mu.Lock()
			_, known := r.send.paths[k]
			r.send.mu.Unlock()
			if known {
				continue
			}
			if f == nil {
				if f, _ = c.fileEdge("read"); f == nil {
					return ms
				}
			}
			p, err := f.Path(ctx, k)
			if err != nil {
				c.logf("cannot read the kept file " + k + ": " + err.Error())
				continue
			}
			if p != "" {
				r.send.setKeptPath(k, p)
			}
		}
		if ms[i].DL == DownloadRunning && !r.send.downloading(ms[i]) {
			// A download this page does not run: one a reload or a
			// logout cut off. It was tried and did not finish.
			ms[i].DL = DownloadFailed
		}
		ms[i] = r.send.resolved(ms[i])
	}
	return ms
}

// downloading reports whether this page runs the download of m's file.
func (ss *sendState) downloading(m Message) bool {
	var b urlBody
	if jx.Unmarshal(m.Body, &b) != nil || b.URL == "" {
		return false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.tasks[b.URL] != nil
}

// source returns a path Files can read the file of a Paths value from: the
// kept copy (an object URL, Files.Path) first, else the path this page
// passed. "" when there is neither.
func (c *Client) source(ctx context.Context, r *run, f Files, v string) (string, error) {
	k, ok := strings.CutPrefix(v, keyPrefix)
	if !ok {
		return v, nil
	}
	p, err := f.Path(ctx, k)
	if err != nil {
		return "", err
	}
	r.send.mu.Lock()
	defer r.send.mu.Unlock()
	if p == "" {
		return r.send.paths[k], nil
	}
	if r.send.paths[k] == "" { // the page that sent it keeps seeing the path it passed
		r.send.paths[k] = p
		r.send.objects[k] = true
	}
	return p, nil
}

// urlIndex maps the body url of attachment messages seen in views to their
// message ids, so that download(url) can tell which message it completes.
// Message ids are global (the sender's client id), so one index serves every
// Client of the program; it is bounded and starts over when full.
var urlIndex = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

const maxURLIndex = 4096

// noteURL records m's attachment url in urlIndex.
func noteURL(m *Message) {
	var b urlBody
	if jx.Unmarshal(m.Body, &b) != nil || b.URL == "" {
		return
	}
	urlIndex.Lock()
	if len(urlIndex.m) >= maxURLIndex {
		urlIndex.m = map[string]string{}
	}
	urlIndex.m[b.URL] = m.ID
	urlIndex.Unlock()
}

// messageOfURL returns the id of the message whose attachment is url, or "".
func messageOfURL(url string) string {
	urlIndex.Lock()
	defer urlIndex.Unlock()
	return urlIndex.m[url]
}

// uploadURL makes a grant's upload URL absolute: a path is on the server
// the WebSocket connects to (ws → http, wss → https).
func uploadURL(server, u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return u
	}
	scheme, rest, ok := strings.Cut(server, "://")
	if !ok {
		return u
	}
	host, _, _ := strings.Cut(rest, "/")
	switch scheme {
	case "wss":
		scheme = "https"
	default:
		scheme = "http"
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return scheme + "://" + host + u
}

// fileBase is the http(s) origin of the server the SDK connects to
// (ws://host/ws → http://host): the base of the file paths message bodies
// carry.
func (c *Client) fileBase() string {
	return strings.TrimSuffix(uploadURL(c.Config().Server, "/"), "/")
}

// fileURLFields are the body fields of an attachment that name a file of
// the server.
var fileURLFields = []string{"url", "thumbUrl", "coverUrl"}

// absoluteFileURLs returns the body of a message of type typ from the
// server with its file URLs made absolute against base: the server stores
// them as paths, /files/<id>/<name>, so that no host an uploader claimed
// reaches this client. Other bodies come back as they are.
func absoluteFileURLs(typ int, body jx.RawMessage, base string) jx.RawMessage {
	switch typ {
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
	default:
		return body
	}
	var fields map[string]jx.RawMessage
	if base == "" || jx.UnmarshalRawMap(body, &fields) != nil {
		return body
	}
	changed := false
	for _, f := range fileURLFields {
		var u string
		if jx.UnmarshalString(fields[f], &u) != nil || !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			continue
		}
		fields[f] = jx.MarshalString(base + u)
		changed = true
	}
	if !changed {
		return body
	}
	out, err := jx.MarshalRawMap(fields)
	if err != nil {
		return body
	}
	return out
}

// uploadFile asks for a grant over l and uploads the file at src described
// by info, named name, reporting the bytes sent. It returns the file's URL.
func (c *Client) uploadFile(ctx context.Context, l *link, f Files, src, name string, info FileInfo, progress func(sent, total int64)) (string, error) {
	if name == "" {
		name = info.Name
	}
	if name == "" {
		name = "file"
		if info.Ext != "" {
			name += "." + info.Ext
		}
	}
	// The type without parameters: a MediaRecorder Blob is typed like
	// "audio/webm;codecs=opus", and a grant names a bare content type.
	mime, _, _ := strings.Cut(info.Mime, ";")
	mime = strings.ToLower(strings.TrimSpace(mime))
	if mime == "" {
		mime = "application/octet-stream"
	}
	var g proto.UploadGrant
	if err := l.call(ctx, proto.OpUploadGrant, &proto.UploadGrantReq{Name: name, Size: info.Size, Mime: mime, MD5: info.MD5}, &g); err != nil {
		return "", err
	}
	resp, err := f.Upload(ctx, src, uploadURL(c.Config().Server, g.URL), g.Token, mime, progress)
	if err != nil {
		return "", err
	}
	if resp.URL == "" {
		return "", Errf(proto.CodeServer, "the upload answered no url")
	}
	return resp.URL, nil
}

// ctxFailure turns what a transfer returned into the error to report when
// its context ended: the cancel's cause (errCanceled, the run's end) or a
// 415/408 as for a request.
func ctxFailure(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return ctxError("transfer", ctx.Err())
}

// Upload uploads the file at path (upload's filepath: a File or Blob, a
// blob: or data: URL, or an http(s) URL) and returns its URL, calling
// progress with the bytes sent and the total as they go (from another
// goroutine, in order). It needs a connection (415 offline). cancelTask
// with the same path stops it (415 "sending cancelled").
func (c *Client) Upload(ctx context.Context, path string, progress func(sent, total int64)) (string, error) {
	if err := checkPath("filepath", path); err != nil {
		return "", err
	}
	f, err := c.fileEdge("upload")
	if err != nil {
		return "", err
	}
	r, l, err := c.online()
	if err != nil {
		return "", err
	}
	uctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(ctx.Err()) })
	defer stop()
	defer r.send.addTask(path, cancel)()
	info, err := f.Probe(uctx, "filepath", path, proto.MsgFile)
	if err != nil {
		return "", ctxFailure(uctx, err)
	}
	if progress == nil {
		progress = func(int64, int64) {}
	}
	u, err := c.uploadFile(uctx, l, f, path, "", info, progress)
	if err != nil {
		return "", ctxFailure(uctx, err)
	}
	return u, nil
}

// Download fetches url (download's urlString), keeps it in the page's file
// store and returns a path the page can use (an object URL). When url is
// the attachment of a message this page has seen (in an event or a read),
// that message gets the file as its body's path and its
// attachmentDownloadState (2 while downloading, 3 done, 1 failed), and the
// page hears fetchMessageAttachmentProgress (progress 0…1) and
// fetchMessageAttachmentFinish (success, code, msg). cancelTask with url
// stops it (415 "download cancelled").
func (c *Client) Download(ctx context.Context, url string) (string, error) {
	if err := checkURL("urlString", url); err != nil {
		return "", err
	}
	f, err := c.fileEdge("download")
	if err != nil {
		return "", err
	}
	r, err := c.current()
	if err != nil {
		return "", err
	}
	dctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(ctx.Err()) })
	defer stop()
	defer r.send.addTask(url, func(cause error) {
		if cause == errCanceled { // cancelTask
			cause = errDownloadCanceled
		}
		cancel(cause)
	})()
	key := downloadKey(url)
	id := messageOfURL(url)
	var m *Message
	if id != "" {
		m = c.setDownload(dctx, r, id, url, DownloadRunning, "", nil)
	}
	var last float64 = -1
	path, err := f.Download(dctx, url, key, func(got, total int64) {
		if m == nil || total <= 0 {
			return
		}
		p := float64(got) / float64(total)
		if p <= last || p >= 1 { // 1 comes with the finish, once the file is kept
			return
		}
		last = p
		v := r.viewOf(*m, 0)
		c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "fetchMessageAttachmentProgress",
			Message: &v, URLString: url, Progress: &p}})
	})
	if err != nil {
		err = ctxFailure(dctx, err)
		if m != nil {
			c.setDownload(context.Background(), r, id, url, DownloadFailed, "", err)
		}
		return "", err
	}
	r.send.setKeptPath(key, path)
	if m != nil {
		c.setDownload(context.Background(), r, id, url, DownloadDone, key, nil)
	}
	return path, nil
}

// setDownload records the download state dl of message id (whose body url
// is url) and, when the download is done, its kept file under key; the end
// of a download (done or failed) is reported with
// fetchMessageAttachmentFinish. It returns the message as stored, or nil
// when it is not cached (or not with that url).
func (c *Client) setDownload(ctx context.Context, r *run, id, url string, dl int, key string, failure error) *Message {
	t, err := c.openTx(r)
	if err != nil {
		return nil
	}
	defer t.abort()
	ms, err := r.cache.MessagesByID(ctx, []string{id})
	if err != nil || len(ms) == 0 || !isAttachment(ms[0].Type) {
		return nil
	}
	m := ms[0]
	var b urlBody
	if jx.Unmarshal(m.Body, &b) != nil || b.URL != url {
		return nil
	}
	if !m.Outgoing {
		m.DL = dl
	}
	if key != "" {
		paths := make(map[string]string, len(m.Paths)+1)
		for k, v := range m.Paths {
			paths[k] = v
		}
		paths[fieldPath] = keyPrefix + key
		m.Paths = paths
	}
	t.msgs = append(t.msgs, m)
	if s, ok := t.session(m.SK); ok && s.LastMsg != nil && s.LastMsg.ID == m.ID {
		mc := m
		s.LastMsg = &mc
		t.putSession(s, "")
	}
	if dl == DownloadDone || dl == DownloadFailed {
		v := r.viewOf(m, 0)
		ok := failure == nil
		e := MessageEvent{EventType: "fetchMessageAttachmentFinish", Message: &v, URLString: url, Success: &ok}
		if failure != nil {
			ae := AsError(failure)
			e.Code, e.Msg = ae.Code, ae.Msg
		} else {
			one := 1.0
			t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "fetchMessageAttachmentProgress",
				Message: &v, URLString: url, Progress: &one}})
		}
		t.events = append(t.events, Event{Kind: EventMessage, Data: e})
	}
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		c.logf("cannot record a download: " + err.Error())
	}
	return &m
}

// CancelTask stops the upload or download of path (cancelTask's filepath:
// the path an upload or a message's attachment was given, or a download's
// url). A message whose upload it stops ends failed (deliveryState 0), as
// with cancelSendingMessage. Nothing running under path: 404.
func (c *Client) CancelTask(ctx context.Context, path string) error {
	if path == "" {
		return BadParam("filepath", "must not be empty")
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	r.send.mu.Lock()
	t := r.send.tasks[path]
	r.send.mu.Unlock()
	if t == nil {
		return Errf(proto.CodeNotFound, "no upload or download of "+path+" is running")
	}
	t.cancel(errCanceled)
	return nil
}
