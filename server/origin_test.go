package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://localhost:3000", "http://localhost:3000"},
		{" HTTPS://App.Example.com/ ", "https://app.example.com:443"},
		{"http://a.example:80", "http://a.example:80"},
		{"http://a.example", "http://a.example:80"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"null", ""},
		{"localhost:3000", ""},
		{"http://a.example/path", ""},
		{"ftp://a.example", ""},
		{"http://user@a.example", ""},
	} {
		got, ok := normalizeOrigin(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if r := originRefusal("http://" + strings.Repeat("a", 200) + ".example"); len(r) > maxCloseReason || !strings.Contains(r, "YUNXIN_ALLOWED_ORIGINS") {
		t.Errorf("long refusal %q (%d bytes)", r, len(r))
	}
}

// TestOrigin: the allowed origins keep their scheme, the server's own origin
// is allowed, and any other page gets its upgrade, then a 4403 close that
// says what to do.
func TestOrigin(t *testing.T) {
	srv, err := Open(context.Background(), Config{DataDir: t.TempDir(), AppKey: testKey, AllowedOrigins: []string{"http://localhost:3000"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	self := strings.TrimPrefix(hs.URL, "http://")
	for _, tc := range []struct {
		name, origin, proto string
		ok                  bool
	}{
		{"allowed", "http://localhost:3000", "", true},
		{"allowed, other scheme", "https://localhost:3000", "", false},
		{"allowed, other port", "http://localhost:3001", "", false},
		{"same origin", hs.URL, "", true},
		{"same origin behind TLS proxy", "https://" + self, "https", true},
		{"https page, plain server", "https://" + self, "", false},
		{"http page behind TLS proxy", hs.URL, "https", false},
		{"no Origin", "", "", true},
		{"other", "http://a.example:3000", "", false},
		{"null", "null", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			if tc.proto != "" {
				h.Set("X-Forwarded-Proto", tc.proto)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
			if err != nil {
				t.Fatalf("dial: %v (the upgrade must complete either way)", err)
			}
			defer ws.CloseNow()
			// An allowed connection answers a ping; a refused one is closed.
			ping := []byte(`{"id":1,"op":"ping"}`)
			if err := ws.Write(ctx, websocket.MessageText, ping); err != nil && tc.ok {
				t.Fatal(err)
			}
			_, data, err := ws.Read(ctx)
			if tc.ok {
				if err != nil || !strings.Contains(string(data), `"code":200`) {
					t.Fatalf("ping: %s %v", data, err)
				}
				return
			}
			// The first request is answered 403 with the reason, then the
			// connection is closed with 4403 and the same reason.
			reason := "origin " + tc.origin + " is not allowed: add it to YUNXIN_ALLOWED_ORIGINS on the server"
			want, _ := json.Marshal(proto.Frame{ID: 1, Code: proto.CodeForbidden, Msg: reason})
			if err != nil || string(data) != string(want) {
				t.Fatalf("got %s %v, want the reply %s", data, err, want)
			}
			_, data, err = ws.Read(ctx)
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != proto.CloseOriginNotAllowed || ce.Reason != reason {
				t.Fatalf("got %s %v, want close %d naming the origin", data, err, proto.CloseOriginNotAllowed)
			}
		})
	}
}
