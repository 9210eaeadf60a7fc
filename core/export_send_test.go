package core

// OutboxLen returns how many messages wait in the outbox of c's run.
func OutboxLen(c *Client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return 0
	}
	return len(c.outboxKeys(c.active))
}
