//go:build js && wasm

package idbstore

import (
	"context"
	"sort"
	"strconv"
	"syscall/js"

	"yunxin/core"
	"yunxin/internal/errf"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Runs. A sync brings thousands of messages at once, and IndexedDB's cost
// is per record (10,000 records of one message: about 500 ms in Chromium;
// 100 records of 100 messages: about 40 ms). So the messages of a batch's
// AddMessages that no other record can hold (see land) are stored as runs:
// one record per session and up to runMax messages,
//
//	{k: [sk, t, id] of its first message, e: [t, id] of its last,
//	 ids: [id...], ts: [time...], j: [message JSON...]}
//
// in (Time, ID) order, in the runs store, whose byMsg index (multiEntry on
// ids) finds a message's run. No id is both in a run and a record of the
// messages store: a later write of a run's message (an update, a delete)
// takes it out of its run and writes it as a record, a revoke
// (DeleteMessages) takes it out, an add of an id a run holds is refused
// (heldByRuns), and clearing a session or everything deletes its runs.
// Runs of one session do not overlap (land checks), so reading them in key
// order reads their messages in order.

const (
	storeRuns   = "runs"
	indexRunMsg = "byMsg"
	// runMax is the most messages of one run.
	runMax = 100
	// runMin is the fewest messages of one session in one batch that are
	// stored as a run: fewer go as records (a live push's one message).
	runMin = 10
)

// lessMsg orders messages as IndexedDB orders their [t, id] keys (strings
// by UTF-16 code units).
func lessMsg(a, b *core.Message) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	return a.ID != b.ID && utf16Less(a.ID, b.ID)
}

// land picks the candidates (in batch order) to store as runs: a server
// message (seq above 0) that another account sent, whose seq the stored
// session did not mark (prior: no tab cached it or passed it, so no record
// of its id can exist; this account's own messages have records before
// their seqs are known), in a session with at least runMin of them whose
// range overlaps no stored run of the session; not one of the batch's own
// records (written: its add is refused). It issues the reads for the
// overlap check, waits for them, issues the runs' puts and reports which
// candidates they hold.
func (c *cache) land(ctx context.Context, tx js.Value, cands []core.Message, prior map[string]*core.Session, written []core.Message) ([]bool, error) {
	inRun := make([]bool, len(cands))
	if c.account == "" {
		return inRun, nil
	}
	own := make(map[string]bool, len(written))
	for i := range written {
		own[written[i].ID] = true
	}
	bySK := map[string][]int{}
	var order []string
	for i := range cands {
		m := &cands[i]
		if m.Seq <= 0 || m.From == c.account || m.Deleted || own[m.ID] || prior[m.SK] != nil && prior[m.SK].HasSeq(m.Seq) {
			continue
		}
		if _, ok := bySK[m.SK]; !ok {
			order = append(order, m.SK)
		}
		bySK[m.SK] = append(bySK[m.SK], i)
	}
	runs := tx.Call("objectStore", storeRuns)
	type group struct {
		sk   string
		idx  []int    // into cands, in (Time, ID) order
		last js.Value // the last stored run starting at or before the group's end
	}
	var groups []group
	var lastReq js.Value
	for _, sk := range order {
		idx := bySK[sk]
		if len(idx) < runMin {
			continue
		}
		// In (Time, ID) order; the batch's order among equals (sort.Slice
		// with the index as the last key: sort.SliceStable would be one
		// more sort in the wasm).
		sort.Slice(idx, func(a, b int) bool {
			x, y := &cands[idx[a]], &cands[idx[b]]
			return lessMsg(x, y) || !lessMsg(y, x) && idx[a] < idx[b]
		})
		end := &cands[idx[len(idx)-1]]
		kr := jsIDBKeyRange.Call("bound", []any{sk}, []any{sk, float64(end.Time), end.ID})
		r := runs.Call("openCursor", kr, "prev")
		groups = append(groups, group{sk: sk, idx: idx, last: r})
		lastReq = r
	}
	if len(groups) == 0 {
		return inRun, nil
	}
	if _, err := awaitReq(ctx, lastReq); err != nil {
		return nil, errf.Errorf("reading runs: %w", err)
	}
	buf := make([]byte, 0, 4096)
	buf = append(buf, '[')
	n := 0
	for _, g := range groups {
		if cur := g.last.Get("result"); cur.Truthy() {
			e := cur.Get("value").Get("e")
			first := &cands[g.idx[0]]
			if e.Type() != js.TypeObject || !lessMsg(&core.Message{Time: int64(e.Index(0).Float()), ID: e.Index(1).String()}, first) {
				continue // it overlaps a stored run (or one of an unknown shape): records
			}
		}
		for lo := 0; lo < len(g.idx); lo += runMax {
			part := g.idx[lo:min(lo+runMax, len(g.idx))]
			var err error
			if n > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendRun(buf, g.sk, cands, part); err != nil {
				return nil, err
			}
			n++
			for _, i := range part {
				inRun[i] = true
			}
		}
	}
	if n == 0 {
		return inRun, nil
	}
	buf = append(buf, ']')
	putAll(runs, jsJSON.Call("parse", string(buf)), n)
	return inRun, nil
}

// appendRun appends the run record of session sk holding cands[part...],
// in that order (part nil: all of cands).
func appendRun(buf []byte, sk string, cands []core.Message, part []int) ([]byte, error) {
	if part == nil {
		part = make([]int, len(cands))
		for i := range part {
			part[i] = i
		}
	}
	first, last := &cands[part[0]], &cands[part[len(part)-1]]
	buf = append(buf, `{"k":[`...)
	buf = proto.AppendString(buf, sk)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, first.Time, 10)
	buf = append(buf, ',')
	buf = proto.AppendString(buf, first.ID)
	buf = append(buf, `],"e":[`...)
	buf = strconv.AppendInt(buf, last.Time, 10)
	buf = append(buf, ',')
	buf = proto.AppendString(buf, last.ID)
	buf = append(buf, `],"ids":[`...)
	for x, i := range part {
		if x > 0 {
			buf = append(buf, ',')
		}
		buf = proto.AppendString(buf, cands[i].ID)
	}
	buf = append(buf, `],"ts":[`...)
	for x, i := range part {
		if x > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, cands[i].Time, 10)
	}
	buf = append(buf, `],"j":[`...)
	var j []byte
	for x, i := range part {
		var err error
		j, err = cands[i].AppendJSON(j[:0])
		if err != nil {
			return nil, errf.Errorf("message %q: %w", cands[i].ID, err)
		}
		if x > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONText(buf, j)
	}
	return append(buf, "]}"...), nil
}

// heldByRuns reports, for each of cands[rest...], whether a run holds a
// message of its id: one getKey of the byMsg index each, waited for.
func heldByRuns(ctx context.Context, tx js.Value, cands []core.Message, rest []int) ([]bool, error) {
	held := make([]bool, len(rest))
	if len(rest) == 0 {
		return held, nil
	}
	idx := tx.Call("objectStore", storeRuns).Call("index", indexRunMsg)
	gets := make([]js.Value, len(rest))
	for k, i := range rest {
		gets[k] = idx.Call("getKey", cands[i].ID)
	}
	if _, err := awaitReq(ctx, gets[len(gets)-1]); err != nil {
		return nil, errf.Errorf("finding messages in runs: %w", err)
	}
	for k, g := range gets {
		r := g.Get("result")
		held[k] = !r.IsUndefined() && !r.IsNull()
	}
	return held, nil
}

// runEntries decodes the messages of the run record v, in order; keep, if
// not nil, selects the ones to decode by index.
func runEntries(v js.Value, keep func(i int, id string) bool) ([]core.Message, error) {
	ids, texts := v.Get("ids"), v.Get("j")
	if ids.Type() != js.TypeObject || texts.Type() != js.TypeObject || ids.Length() != texts.Length() {
		return nil, errf.Errorf("malformed run record")
	}
	var out []core.Message
	for i, n := 0, ids.Length(); i < n; i++ {
		if keep != nil && !keep(i, ids.Index(i).String()) {
			continue
		}
		var m core.Message
		if err := jx.Unmarshal([]byte(texts.Index(i).String()), &m); err != nil {
			return nil, errf.Errorf("run message %d: %w", i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// outOfRuns returns the ids b takes out of runs: those it deletes
// (DeleteMessages, revokes) and those it writes as records (Messages: an
// update, a delete, a download), but for this account's own messages,
// which are never in runs (a send's writes do not look).
func (c *cache) outOfRuns(b *core.Batch) []string {
	if c.account == "" {
		return nil
	}
	ids := b.DeleteMessages
	for i := range b.Messages {
		if m := &b.Messages[i]; m.From != c.account {
			ids = append(ids[:len(ids):len(ids)], m.ID)
		}
	}
	return ids
}

// dropFromRuns takes the messages of outOfRuns out of their runs
// (rewritten without them, or deleted when emptied), so that no id is
// both in a run and a record, and deletes the runs of b.ClearSessions, or
// all of them for b.ClearAll. It waits only when there are ids to find.
func (c *cache) dropFromRuns(ctx context.Context, tx js.Value, b *core.Batch) error {
	runs := tx.Call("objectStore", storeRuns)
	if b.ClearAll {
		runs.Call("clear")
		return nil
	}
	for _, sk := range b.ClearSessions {
		runs.Call("delete", jsIDBKeyRange.Call("bound", []any{sk}, []any{sk, []any{}}))
	}
	ids := c.outOfRuns(b)
	if len(ids) == 0 {
		return nil
	}
	idx := runs.Call("index", indexRunMsg)
	gets := make([]js.Value, len(ids))
	for i, id := range ids {
		gets[i] = idx.Call("get", id)
	}
	if _, err := awaitReq(ctx, gets[len(gets)-1]); err != nil {
		return errf.Errorf("finding messages in runs: %w", err)
	}
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
	}
	done := map[string]bool{} // runs rewritten, by key JSON
	for _, g := range gets {
		v := g.Get("result")
		if !v.Truthy() {
			continue
		}
		key := jsJSON.Call("stringify", v.Get("k")).String()
		if done[key] {
			continue
		}
		done[key] = true
		ms, err := runEntries(v, func(_ int, id string) bool { return !gone[id] })
		if err != nil {
			return err
		}
		// Deleted, and put again without them when some are left (under
		// the key of its first one left: the range it covers only
		// shrinks, so runs still do not overlap).
		runs.Call("delete", v.Get("k"))
		if len(ms) == 0 {
			continue
		}
		buf, err := appendRun(nil, ms[0].SK, ms, nil)
		if err != nil {
			return err
		}
		runs.Call("put", jsJSON.Call("parse", string(buf)))
	}
	return nil
}

// runMessages returns the messages of session q.SK held in runs that q
// selects (no id is in a run and a record: see dropFromRuns), in order:
// for an older page (or the newest), up to q.Limit of them just before the
// anchor; for a newer one, up to q.Limit just after it; all with no limit.
// In tx (readonly, on the runs store), or a new one when it is undefined;
// the caller merges them with the records' page.
func (c *cache) runMessages(ctx context.Context, q core.Query, tx js.Value) (_ []core.Message, err error) {
	if tx.IsUndefined() {
		if tx, err = c.rawTransaction("readonly", storeRuns); err != nil {
			return nil, err
		}
	}
	runs := tx.Call("objectStore", storeRuns)
	a := q.Anchor
	older := !q.Newer
	want := func(m *core.Message) bool {
		return a == nil || older && lessMsg(m, a) || !older && lessMsg(a, m)
	}
	// A message of a run, not decoded yet: its run record, index, time and
	// id (from the run's ts and ids).
	type ref struct {
		run js.Value
		i   int
		m   core.Message // Time and ID only
	}
	var out []ref // in the order read: newest first for an older page
	// walk reads the runs of kr through a cursor in direction dir (at most
	// maxRuns of them, 0: no limit), taking the messages want selects
	// (newest first when desc), until it has q.Limit (0: all).
	walk := func(kr js.Value, dir string, desc bool, maxRuns int) error {
		req := runs.Call("openCursor", kr, dir)
		for n := 1; ; n++ {
			if _, err := awaitReq(ctx, req); err != nil {
				return err
			}
			cur := req.Get("result")
			if !cur.Truthy() {
				return nil
			}
			v := cur.Get("value")
			ids, ts := v.Get("ids"), v.Get("ts")
			if ids.Type() != js.TypeObject || ts.Type() != js.TypeObject || ids.Length() != ts.Length() {
				return errf.Errorf("malformed run record")
			}
			k := ids.Length()
			for x := 0; x < k; x++ {
				if q.Limit > 0 && len(out) >= q.Limit {
					return nil
				}
				i := x
				if desc {
					i = k - 1 - x
				}
				r := ref{run: v, i: i, m: core.Message{Time: int64(ts.Index(i).Float()), ID: ids.Index(i).String()}}
				if want(&r.m) {
					out = append(out, r)
				}
			}
			if q.Limit > 0 && len(out) >= q.Limit || maxRuns > 0 && n >= maxRuns {
				return nil
			}
			cur.Call("continue")
		}
	}
	bound := func(lo, hi []any, loOpen, hiOpen bool) js.Value {
		return jsIDBKeyRange.Call("bound", lo, hi, loOpen, hiOpen)
	}
	sk, all := []any{q.SK}, []any{q.SK, []any{}}
	var at []any
	if a != nil {
		at = []any{q.SK, float64(a.Time), a.ID}
	}
	switch {
	case q.Limit <= 0 || a == nil && !older:
		err = walk(bound(sk, all, false, false), "next", false, 0)
	case older && a == nil:
		err = walk(bound(sk, all, false, false), "prev", true, 0)
	case older:
		err = walk(bound(sk, at, false, true), "prev", true, 0)
	default:
		// The run that may hold the anchor starts at or before it; the
		// next ones after it.
		if err = walk(bound(sk, at, false, false), "prev", false, 1); err == nil && len(out) < q.Limit {
			err = walk(bound(at, all, true, false), "next", false, 0)
		}
	}
	if err != nil {
		return nil, err
	}
	ms := make([]core.Message, len(out))
	for x, r := range out {
		if older && q.Limit > 0 {
			x = len(out) - 1 - x // read newest first
		}
		j := r.run.Get("j").Index(r.i)
		if j.Type() != js.TypeString {
			return nil, errf.Errorf("malformed run record")
		}
		if err := jx.Unmarshal([]byte(j.String()), &ms[x]); err != nil {
			return nil, errf.Errorf("run message %q: %w", r.m.ID, err)
		}
	}
	return ms, nil
}

// mergePage merges the records' page recs with the runs' page runs (both
// in order, no id in both) into q's page.
func mergePage(q core.Query, recs, runs []core.Message) []core.Message {
	if len(runs) == 0 {
		return recs
	}
	out := make([]core.Message, 0, len(recs)+len(runs))
	i, j := 0, 0
	for i < len(recs) || j < len(runs) {
		if j == len(runs) || i < len(recs) && lessMsg(&recs[i], &runs[j]) {
			out = append(out, recs[i])
			i++
		} else {
			out = append(out, runs[j])
			j++
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		if q.Newer {
			out = out[:q.Limit]
		} else {
			out = out[len(out)-q.Limit:]
		}
	}
	return out
}

// runMessagesByID returns the messages of ids held in runs, by id.
func (c *cache) runMessagesByID(ctx context.Context, ids []string) (map[string]core.Message, error) {
	tx, err := c.rawTransaction("readonly", storeRuns)
	if err != nil {
		return nil, err
	}
	idx := tx.Call("objectStore", storeRuns).Call("index", indexRunMsg)
	gets := make([]js.Value, len(ids))
	for i, id := range ids {
		gets[i] = idx.Call("get", id)
	}
	if _, err := awaitReq(ctx, gets[len(gets)-1]); err != nil {
		return nil, err
	}
	out := map[string]core.Message{}
	for i, g := range gets {
		v := g.Get("result")
		if !v.Truthy() {
			continue
		}
		want := ids[i]
		ms, err := runEntries(v, func(_ int, id string) bool { return id == want })
		if err != nil {
			return nil, err
		}
		if len(ms) == 1 {
			out[want] = ms[0]
		}
	}
	return out, nil
}
