package storetest

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// sendSeq numbers the client ids of sendCode.
var sendSeq atomic.Int64

// teamText is a team text message from → tm with client id cid.
func teamText(from string, tm proto.Team, cid string) proto.Msg {
	body, _ := json.Marshal(map[string]string{"text": "text of " + cid})
	return proto.Msg{From: from, To: tm.ID, Conv: proto.TeamConv(tm.ID), ChatType: proto.TeamChatType(tm.Type),
		ClientID: cid, Type: proto.MsgText, Body: body, FromClient: proto.ClientWeb}
}

// sendCode sends a new text message from acc to tm (tm.Type gives the
// chat type) and returns 0 when it was stored, the TeamError's code when
// it was refused; anything else fails t.
func sendCode(t *testing.T, s store.Store, tm proto.Team, acc string) int {
	t.Helper()
	cid := "sc" + strconv.FormatInt(sendSeq.Add(1), 10)
	m, dup, err := s.SendTeam(t.Context(), teamText(acc, tm, cid), 5000)
	if err == nil && (dup || m.Seq <= 0 || m.From != acc || m.ClientID != cid) {
		t.Fatalf("SendTeam %s→%s %s: %+v dup=%v", acc, tm.ID, cid, m, dup)
	}
	c := teamCode(err)
	if c < 0 {
		t.Fatalf("SendTeam %s→%s: %v", acc, tm.ID, err)
	}
	return c
}

// SendTeam: each refusal (803, 805, 804, 812), the success path storing
// one row, and a retry of a stored message answered as its duplicate
// after the sender was muted, kicked, or the team dismissed.
func testTeamSend(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "x")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "b")
	cv := proto.TeamConv(tm.ID)
	before := conv(t, s, "own", cv)

	m, dup, err := s.SendTeam(ctx, teamText("a", tm, "c1"), 6000)
	if err != nil || dup || m.Seq != before.LastSeq+1 || m.Conv != cv || m.ServerID == "" {
		t.Fatalf("send: %+v dup=%v, %v", m, dup, err)
	}
	if got := msgsOf(t, s, cv, before.LastSeq); len(got) != 1 || got[0].ServerID != m.ServerID || got[0].From != "a" {
		t.Fatalf("stored %+v, want the one message %s", got, m.ServerID)
	}

	// Refusals store nothing.
	wrongType := teamText("a", tm, "c2")
	wrongType.ChatType = proto.TeamChatType(proto.TeamSuper)
	_, _, err = s.SendTeam(ctx, wrongType, 6001)
	wantCode(t, "chat type of a super team", err, proto.CodeTeamType)
	_, _, err = s.SendTeam(ctx, teamText("x", tm, "c2"), 6001)
	wantCode(t, "not a member", err, proto.CodeTeamNotMember)
	_, _, err = s.SendTeam(ctx, teamText("a", proto.Team{ID: "nope", Type: proto.TeamAdvanced}, "c2"), 6001)
	wantCode(t, "no such team", err, proto.CodeTeamNotFound)
	if _, err := s.MuteMember(ctx, "own", tm.ID, "a", true, 6002); err != nil {
		t.Fatal(err)
	}
	afterMute := conv(t, s, "own", cv).LastSeq
	_, _, err = s.SendTeam(ctx, teamText("a", tm, "c2"), 6003)
	wantCode(t, "muted", err, proto.CodeTeamMuted)
	if got := msgsOf(t, s, cv, afterMute); len(got) != 0 {
		t.Errorf("refused sends stored %+v", got)
	}

	// A retry of c1, stored before the mute, is its duplicate.
	again, dup, err := s.SendTeam(ctx, teamText("a", tm, "c1"), 6004)
	if err != nil || !dup || again.ServerID != m.ServerID || again.Seq != m.Seq {
		t.Fatalf("retry after the mute: %+v dup=%v, %v", again, dup, err)
	}
	// So after a kick, and after the team is dismissed.
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"a"}, 6005); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.SendTeam(ctx, teamText("a", tm, "c3"), 6006)
	wantCode(t, "kicked", err, proto.CodeTeamNotMember)
	if _, dup, err := s.SendTeam(ctx, teamText("a", tm, "c1"), 6006); err != nil || !dup {
		t.Fatalf("retry after the kick: dup=%v, %v", dup, err)
	}
	b, _, err := s.SendTeam(ctx, teamText("b", tm, "c1"), 6007) // client ids are per sender
	if err != nil || b.ServerID == m.ServerID {
		t.Fatalf("b's c1: %+v, %v", b, err)
	}
	if _, err := s.DismissTeam(ctx, "own", tm.ID, 6008); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.SendTeam(ctx, teamText("b", tm, "c4"), 6009)
	wantCode(t, "dismissed", err, proto.CodeTeamNotFound)
	if again, dup, err := s.SendTeam(ctx, teamText("b", tm, "c1"), 6009); err != nil || !dup || again.ServerID != b.ServerID {
		t.Fatalf("retry after the dismissal: %+v dup=%v, %v", again, dup, err)
	}
}

// SendTeam racing a mute: the rights are checked in the transaction that
// stores the message, so no message of the member is stored after the
// mute's notification (a check before the store's transaction would let
// one through now and then).
func testTeamSendRacesMute(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a")
	const senders, each = 4, 25
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				cid := "r" + strconv.Itoa(g) + "." + strconv.Itoa(i)
				_, _, err := s.SendTeam(ctx, teamText("a", tm, cid), 7000)
				if c := teamCode(err); c != 0 && c != proto.CodeTeamMuted {
					t.Errorf("send %s: %v", cid, err)
					return
				}
			}
		}()
	}
	var w store.TeamWrite
	var muteErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		w, muteErr = s.MuteMember(ctx, "own", tm.ID, "a", true, 7000)
	}()
	close(start)
	wg.Wait()
	if muteErr != nil || len(w.Msgs) != 1 {
		t.Fatalf("mute: %+v, %v", w, muteErr)
	}
	muteSeq := w.Msgs[0].Seq
	for _, m := range msgsOf(t, s, proto.TeamConv(tm.ID), 0) {
		if m.From == "a" && m.Seq > muteSeq {
			t.Errorf("a's message %s stored at seq %d, after the mute at %d", m.ClientID, m.Seq, muteSeq)
		}
	}
}

// msgsOf returns the messages of conv after seq (up to 1000).
func msgsOf(t *testing.T, s store.Store, conv string, after int64) []proto.Msg {
	t.Helper()
	ms, err := s.Messages(t.Context(), conv, after, 1000)
	if err != nil {
		t.Fatalf("messages of %s: %v", conv, err)
	}
	return ms
}
