package imclient

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

// TestServerLifecycle starts the server the Makefile builds
// (bin/yunxin-server; skipped without it), creates an account, logs it in,
// kills the server with SIGKILL, restarts it on the same data dir and logs
// the account in again.
func TestServerLifecycle(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin", "yunxin-server"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is missing (make server builds it): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := StartServer(ctx, ServerOptions{Binary: bin, AppKey: "demo", Secret: "demo-secret", LogName: "test.log"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	acc := "ic" + RandHex(4)
	if err := CreateAccounts(ctx, s.Addr, "demo", "demo-secret", []string{acc}); err != nil {
		t.Fatal(err)
	}
	if err := CreateAccounts(ctx, s.Addr, "demo", "wrong-secret", []string{acc + "x"}); err == nil {
		t.Error("CreateAccounts with a wrong secret succeeded")
	}
	login := func() {
		t.Helper()
		ws, err := Login(ctx, s.Addr, "demo", acc, "test")
		if err != nil {
			t.Fatal(err)
		}
		// Call returns a refusal as the reply, without an error.
		f, err := Call(ctx, ws, LoginID+1, proto.OpTeamInfo, proto.TeamReq{TeamID: "no-such-team"})
		if err != nil || f.ID != LoginID+1 || f.Code == 200 {
			t.Errorf("Call of an unknown team's info: %+v, %v; want its refusal", f, err)
		}
		ws.Close(websocket.StatusNormalClosure, "")
	}
	login()
	if _, err := Login(ctx, s.Addr, "demo", acc+"-nobody", "test"); err == nil || !strings.Contains(err.Error(), "login") {
		t.Errorf("login of an unknown account: err %v, want a login error", err)
	}
	pid := s.Pid()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Pid() == pid {
		t.Error("Restart kept the killed process's pid")
	}
	login() // the account survived on the same data dir
	data := s.Data
	s.Stop()
	s.Stop()
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stop left the temporary data dir %s: %v", data, err)
	}
}

func TestEach(t *testing.T) {
	boom := errors.New("boom")
	var n [10]bool
	err := Each([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, func(i int) error {
		n[i] = true
		if i == 7 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("Each = %v, want boom", err)
	}
	for i, ran := range n {
		if !ran {
			t.Errorf("item %d did not run", i)
		}
	}
}
