package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"yunxin/internal/imclient"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// createTeam creates a super team owned by owner's account (logged in,
// no reading loop yet: it reads the replies itself) with members added at
// once, as the SDK's createTeam and addTeamMembers do: tcreate with the
// first members, then tinvite in batches of proto.MaxTeamAccounts. It
// checks that the team holds every member and returns its id.
func createTeam(ctx context.Context, owner *client, members []string) (string, error) {
	call := func(op string, payload any) (proto.Frame, error) {
		return imclient.Call(ctx, owner.conn(), owner.nextID.Add(1), op, payload)
	}
	first := members[:min(len(members), proto.MaxTeamAccounts-1)]
	f, err := call(proto.OpTeamCreate, proto.CreateTeamReq{Name: "loadgen", Type: proto.TeamSuper,
		BeInviteMode: proto.BeInviteAtOnce, Members: first})
	if err := replyErr(f, err); err != nil {
		return "", fmt.Errorf("create team: %w", err)
	}
	var created proto.TeamResp
	if err := json.Unmarshal(f.Data, &created); err != nil {
		return "", fmt.Errorf("create team: %w", err)
	}
	if len(created.Failed) > 0 {
		return "", fmt.Errorf("create team: %d members not added (%s…)", len(created.Failed), created.Failed[0])
	}
	tid := created.TeamID
	for i := len(first); i < len(members); i += proto.MaxTeamAccounts {
		batch := members[i:min(i+proto.MaxTeamAccounts, len(members))]
		f, err := call(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: batch})
		if err := replyErr(f, err); err != nil {
			return "", fmt.Errorf("add team members %d…%d: %w", i, i+len(batch)-1, err)
		}
	}
	f, err = call(proto.OpTeamInfo, proto.TeamReq{TeamID: tid})
	if err := replyErr(f, err); err != nil {
		return "", fmt.Errorf("team info: %w", err)
	}
	var info proto.TeamState
	if err := json.Unmarshal(f.Data, &info); err != nil {
		return "", fmt.Errorf("team info: %w", err)
	}
	if want := len(members) + 1; info.Team.Members != want {
		return "", fmt.Errorf("team %s has %d members, want %d (the server's YUNXIN_SUPER_TEAM_MAX_MEMBERS?)", tid, info.Team.Members, want)
	}
	return tid, nil
}

// replyErr is err, or an error naming f's code when it is not 200.
func replyErr(f proto.Frame, err error) error {
	if err != nil {
		return err
	}
	if f.Code != 200 {
		return fmt.Errorf("%s: %d %s", f.Op, f.Code, f.Msg)
	}
	return nil
}

// teamSend writes one text message with client id cid to team tid on c's
// connection without waiting for the reply (teamRead counts it).
func (c *client) teamSend(tid, cid string) error {
	d, _ := json.Marshal(proto.SendReq{Msg: proto.Msg{ClientID: cid, To: tid, ChatType: proto.ChatSuperTeam,
		Type: proto.MsgText, Body: jx.RawMessage(`{"text":"load ` + cid + `"}`)}})
	b, _ := json.Marshal(proto.Frame{ID: c.nextID.Add(1), Op: proto.OpSend, Data: d})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.conn().Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("send %s: %w", cid, err)
	}
	return nil
}

// teamRead reads c's frames until the connection ends: each msg push
// whose client id is prefix + a number calls onPush with that number and
// the time it was read; replies count into acked (200) or failed.
func (c *client) teamRead(prefix string, onPush func(k int, at time.Time), acked, failed *atomic.Int64) {
	c.frames(func(f proto.Frame, now time.Time) {
		switch {
		case f.ID != 0 && f.Code == 200:
			acked.Add(1)
		case f.ID != 0:
			failed.Add(1)
		case f.Op == proto.PushMsg:
			var m proto.Msg
			if json.Unmarshal(f.Data, &m) != nil {
				return
			}
			if k, err := strconv.Atoi(strings.TrimPrefix(m.ClientID, prefix)); err == nil && strings.HasPrefix(m.ClientID, prefix) {
				onPush(k, now)
			}
		}
	})
}

// teamPrefix is the client id prefix of one run's team messages.
func teamPrefix() string { return "lt" + imclient.RandHex(4) + "-" }
