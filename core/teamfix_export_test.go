package core

import "yunxin/proto"

// SessionCursors returns, for c's session of chatType and id as installed,
// the cache's cursor (SyncSeq and Ahead) and this tab's announced cursor;
// ok false when there is no such session or no login.
func SessionCursors(c *Client, chatType int, id string) (syncSeq int64, ahead []int64, ann int64, annAhead []int64, ok bool) {
	r, err := c.current()
	if err != nil {
		return 0, nil, 0, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := SessionKey(chatType, id)
	s := r.st.sessions.byKey[key]
	if s == nil {
		return 0, nil, 0, nil, false
	}
	a := r.st.sessions.announced[key]
	return s.SyncSeq, append([]int64(nil), s.Ahead...), a.Seq, append([]int64(nil), a.Ahead...), true
}

// SrvReadSeq returns the server read mark c's session of chatType and id
// last took (Session.SrvReadSeq), and its ReadSeq.
func SrvReadSeq(c *Client, chatType int, id string) (srv, read int64) {
	r, err := c.current()
	if err != nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := r.st.sessions.byKey[SessionKey(chatType, id)]; s != nil {
		return s.SrvReadSeq, s.ReadSeq
	}
	return 0, 0
}

// ApplyTeamReceipt applies info on c as a ChangeTeamReceipt would.
func ApplyTeamReceipt(c *Client, info proto.TeamReceiptInfo) error {
	r, err := c.current()
	if err != nil {
		return err
	}
	var aerr error
	err = c.change(r, func(t *tx) { aerr = t.applyTeamReceipt(info) })
	if err != nil {
		return err
	}
	return aerr
}
