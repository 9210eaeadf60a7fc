//go:build js && wasm

package main

import (
	"context"
	"strings"
	"syscall/js"
	"testing"
)

// The dialer against the real server (a refused origin, a server close, a
// reconnect) is covered end to end by tests/e2e; here only what needs no server.

func TestDialNoWebSocket(t *testing.T) {
	g := js.Global()
	saved := g.Get("WebSocket")
	g.Set("WebSocket", js.Undefined())
	defer g.Set("WebSocket", saved)
	if _, err := dial(context.Background(), "ws://x/ws"); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("dial without WebSocket: %v", err)
	}
}
