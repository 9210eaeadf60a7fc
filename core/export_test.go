package core

import "time"

// SetBackoff replaces the reconnect backoff of c (tests record the attempts
// and shorten the waits).
func SetBackoff(c *Client, f func(n int) time.Duration) { c.backoff = f }

// ChangeKinds is changeKinds, for the tests of package core_test.
const ChangeKinds = changeKinds
