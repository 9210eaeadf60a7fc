package core

import "time"

// SetBackoff replaces the reconnect backoff of c (tests record the attempts
// and shorten the waits).
func SetBackoff(c *Client, f func(n int) time.Duration) { c.backoff = f }

// ChangeKinds is changeKinds, for the tests of package core_test.
const ChangeKinds = changeKinds

// LoopsEnded waits up to d for the loops of every run c started to return
// (a stopped run's loop ends; one that reconnects does not), and reports
// whether they did.
func LoopsEnded(c *Client, d time.Duration) bool {
	done := make(chan struct{})
	go func() { c.loops.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// TeamMemberCursor is the MemberVer c's cached member list of team tid is
// complete up to; ok false when it was never fetched.
func TeamMemberCursor(c *Client, tid string) (int64, bool) {
	r, err := c.current()
	if err != nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return memberCursor(r.st.lookup, tid)
}

// TeamMemberVer is the MemberVer of team tid as c caches it.
func TeamMemberVer(c *Client, tid string) int64 {
	r, err := c.current()
	if err != nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, _ := teamOf(r.st.lookup, tid)
	return ts.Team.MemberVer
}
