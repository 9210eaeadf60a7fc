package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

// probeOS is the os a wsClient announces, so the tests can tell their own
// raw connections from the browsers' in a ClientInfo list.
const probeOS = "e2e-raw-client"

// wsClient is a raw protocol client over a real WebSocket, speaking to the
// server as the SDK does but from the test process: a cheap extra device
// for sending many messages or receipts, and a probe of who is online.
// Requests are sequential; pushes are skipped.
type wsClient struct {
	t      *testing.T
	ws     *websocket.Conn
	nextID uint64
	login  proto.LoginResp
}

// dialLogin connects to s, logs account in and returns the client; it is
// closed when t ends. A failed login fails the test.
func dialLogin(t *testing.T, s *imServer, account, token string) *wsClient {
	t.Helper()
	c, err := tryDialLogin(s, account, token)
	if err != nil {
		t.Fatalf("raw client: %v", err)
	}
	c.t = t
	t.Cleanup(c.close)
	return c
}

func tryDialLogin(s *imServer, account, token string) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.WS(), nil)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", s.WS(), err)
	}
	ws.SetReadLimit(proto.MaxFrame)
	c := &wsClient{ws: ws}
	err = c.do(proto.OpLogin, proto.LoginReq{AppKey: appKey, Account: account, Token: token,
		ClientType: proto.ClientWeb, OS: probeOS, Version: proto.Version}, &c.login)
	if err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("login %s: %w", account, err)
	}
	return c, nil
}

// close logs out (best effort) and closes the connection.
func (c *wsClient) close() {
	if c.ws == nil {
		return
	}
	c.do(proto.OpLogout, nil, nil)
	c.ws.CloseNow()
	c.ws = nil
}

// do sends one request and waits for its reply (pushes are skipped),
// decoding the payload into resp (when not nil).
func (c *wsClient) do(op string, req, resp any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c.nextID++
	f := proto.Frame{ID: c.nextID, Op: op}
	if req != nil {
		d, err := json.Marshal(req)
		if err != nil {
			return err
		}
		f.Data = d
	}
	out, _ := json.Marshal(f)
	if err := c.ws.Write(ctx, websocket.MessageText, out); err != nil {
		return fmt.Errorf("%s: writing: %w", op, err)
	}
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("%s: reading the reply: %w", op, err)
		}
		var r proto.Frame
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: a frame that is not JSON: %w", op, err)
		}
		if r.Op != "" || r.ID != f.ID { // a push
			continue
		}
		if r.Code != proto.CodeOK {
			return fmt.Errorf("%s: code %d %s", op, r.Code, r.Msg)
		}
		if resp != nil && len(r.Data) > 0 {
			if err := json.Unmarshal(r.Data, resp); err != nil {
				return fmt.Errorf("%s: reply %s: %w", op, short(string(r.Data)), err)
			}
		}
		return nil
	}
}

// must is do that fails the test on error.
func (c *wsClient) must(op string, req, resp any) {
	c.t.Helper()
	if err := c.do(op, req, resp); err != nil {
		c.t.Fatalf("raw client: %v", err)
	}
}

// sendText sends a P2P text message with the client message id cid.
func (c *wsClient) sendText(to, cid, text string) proto.SendResp {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	var r proto.SendResp
	c.must(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: cid, To: to, ChatType: proto.ChatP2P,
		Type: proto.MsgText, Body: body}}, &r)
	return r
}

// webClients returns the account's online clients as a new connection's
// login sees them, leaving out the test's own raw clients.
func webClients(t *testing.T, s *imServer, account, token string) []proto.ClientInfo {
	t.Helper()
	c, err := tryDialLogin(s, account, token)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	defer c.close()
	var out []proto.ClientInfo
	for _, ci := range c.login.Clients {
		if ci.OS != probeOS {
			out = append(out, ci)
		}
	}
	return out
}

// waitWebClients waits until the account has exactly n other online clients
// (not counting raw test clients), failing after timeout with what it saw.
func waitWebClients(t *testing.T, s *imServer, account, token string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := webClients(t, s, account, token)
		if len(got) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d online clients %+v, want %d", account, len(got), got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
