//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"yunxin/core"
	"yunxin/proto"
)

// rawCall logs account in on a connection of its own (a plain WebSocket
// client: the tests' stand-in for the SDK's team methods, written in
// parallel) and makes one request of op; it returns the reply's error (a
// *core.Error with the server's code) and decodes its payload into resp.
func rawCall(t *testing.T, ts *testServer, account, op string, req, resp any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ts.addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(websocket.StatusNormalClosure, "")
	c.SetReadLimit(proto.MaxFrame)
	call := func(id uint64, op string, req, resp any) error {
		d, _ := json.Marshal(req)
		b, _ := json.Marshal(proto.Frame{ID: id, Op: op, Data: d})
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			var f proto.Frame
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			if f.ID != id || f.Op != "" { // a push
				continue
			}
			if f.Code != proto.CodeOK && f.Code != 0 {
				return &core.Error{Code: f.Code, Msg: f.Msg}
			}
			if resp != nil && len(f.Data) > 0 {
				if err := json.Unmarshal(f.Data, resp); err != nil {
					t.Fatal(err)
				}
			}
			return nil
		}
	}
	if err := call(1, proto.OpLogin, proto.LoginReq{AppKey: "demo", Account: account, Token: account + "-token",
		ClientType: 4, Version: proto.Version}, nil); err != nil {
		t.Fatalf("raw login %s: %v", account, err)
	}
	return call(2, op, req, resp)
}

// createTeam has owner create a team of type typ with members, who join at
// once, and returns its id.
func createTeam(t *testing.T, ts *testServer, owner string, typ int, members ...string) string {
	t.Helper()
	var resp proto.TeamResp
	req := proto.CreateTeamReq{Name: "team of " + owner, Type: typ, BeInviteMode: proto.BeInviteAtOnce, Members: members}
	if err := rawCall(t, ts, owner, proto.OpTeamCreate, req, &resp); err != nil {
		t.Fatalf("create team: %v", err)
	}
	if resp.TeamID == "" || len(resp.Failed) > 0 || resp.Pending {
		t.Fatalf("create team: %+v", resp)
	}
	return resp.TeamID
}

// teamDevice is newDevice with Config changes applied before its login.
func teamDevice(t *testing.T, ts *testServer, f func(*core.Config)) *device {
	d := newDevice(t, ts, false)
	cfg := d.c.Config()
	if f != nil {
		f(&cfg)
	}
	d.c.SetConfig(cfg)
	return d
}

// sendTeam sends text to team tid of chatType on d.
func (d *device) sendTeam(tid string, chatType int, text string) *core.MessageView {
	d.t.Helper()
	v, err := d.c.SendText(context.Background(), core.SendTextParams{SessionID: tid, ChatType: chatType, Text: text})
	if err != nil {
		d.t.Fatalf("sendText to team %s: %v", tid, err)
	}
	return v
}

// recvByID returns how often each message id was reported by onRecvMessages,
// and the last view of each.
func (d *device) recvByID() (map[string]int, map[string]core.MessageView) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, last := map[string]int{}, map[string]core.MessageView{}
	for _, e := range d.events {
		if m, ok := e.Data.(core.MessageEvent); ok && m.EventType == "onRecvMessages" {
			for _, v := range m.Messages {
				n[v.MessageID]++
				last[v.MessageID] = v
			}
		}
	}
	return n, last
}

// teamSession returns the recent session of team tid, nil if none.
func (d *device) teamSession(tid string) *core.RecentSessionView {
	return d.session(tid)
}

// unreadOf returns the unread count of session id (-1 if not listed).
func (d *device) unreadOf(id string) int {
	if s := d.session(id); s != nil {
		return s.UnreadCount
	}
	return -1
}

// teamMessages returns the cached messages of team tid, oldest first.
func (d *device) teamMessages(tid string, chatType int) []core.MessageView {
	d.t.Helper()
	ms, err := d.c.MessagesInSession(context.Background(), core.MessagesParams{SessionID: tid, ChatType: chatType, Limit: 100})
	if err != nil {
		d.t.Fatal(err)
	}
	return ms
}

// textOf returns a view's text ("" for other bodies).
func textOf(v core.MessageView) string {
	var b struct{ Text string }
	json.Unmarshal(v.Body, &b)
	return b.Text
}

// userMessages returns the views that are not notification messages.
func userMessages(ms []core.MessageView) []core.MessageView {
	var out []core.MessageView
	for _, m := range ms {
		var b struct{ Type int }
		json.Unmarshal(m.Body, &b)
		if b.Type != proto.MsgNotification {
			out = append(out, m)
		}
	}
	return out
}
