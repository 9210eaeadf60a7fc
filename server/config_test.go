package server

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	for _, k := range []string{"YUNXIN_ADDR", "YUNXIN_DATA", "YUNXIN_APP_KEY", "YUNXIN_APP_SECRET", "YUNXIN_ALLOWED_ORIGINS"} {
		t.Setenv(k, "")
	}
	want := Config{Addr: "127.0.0.1:8080", DataDir: "./data", AppKey: "demo", AppSecret: "demo-secret"}
	if got := ConfigFromEnv(); !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults %+v", got)
	}
	t.Setenv("YUNXIN_ADDR", ":9000")
	t.Setenv("YUNXIN_DATA", "/var/lib/yx")
	t.Setenv("YUNXIN_APP_KEY", "k")
	t.Setenv("YUNXIN_APP_SECRET", "s")
	t.Setenv("YUNXIN_ALLOWED_ORIGINS", "http://localhost:3000, https://a.example ,")
	want = Config{Addr: ":9000", DataDir: "/var/lib/yx", AppKey: "k", AppSecret: "s", AllowedOrigins: []string{"http://localhost:3000", "https://a.example"}}
	if got := ConfigFromEnv(); !reflect.DeepEqual(got, want) {
		t.Fatalf("from env %+v", got)
	}
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		addr, secret string
		ok           bool
	}{
		{"127.0.0.1:8080", DefaultAppSecret, true},
		{"localhost:8080", DefaultAppSecret, true},
		{"[::1]:8080", DefaultAppSecret, true},
		{"127.0.0.2:8080", "", true},
		{"", DefaultAppSecret, true}, // no listener
		{":8080", DefaultAppSecret, false},
		{"0.0.0.0:8080", DefaultAppSecret, false},
		{"192.168.1.5:8080", DefaultAppSecret, false},
		{"im.example.com:443", "", false},
		{":8080", "a-secret-of-mine", true},
	} {
		err := Config{Addr: tc.addr, AppSecret: tc.secret}.Check()
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), "YUNXIN_APP_SECRET") {
			t.Errorf("addr %q secret %q: %v", tc.addr, tc.secret, err)
		}
	}
	err := Config{Addr: "127.0.0.1:0", AllowedOrigins: []string{"localhost:3000"}}.Check()
	if err == nil || !strings.Contains(err.Error(), "YUNXIN_ALLOWED_ORIGINS") || !strings.Contains(err.Error(), "localhost:3000") {
		t.Errorf("bad origin: %v", err)
	}
	// Open refuses before touching the data directory.
	dir := t.TempDir() + "/data"
	if _, err := Open(context.Background(), Config{Addr: "0.0.0.0:8080", DataDir: dir, AppSecret: DefaultAppSecret}, nil); err == nil || !strings.Contains(err.Error(), "YUNXIN_APP_SECRET") {
		t.Fatalf("Open with the default secret on 0.0.0.0: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("data dir created: %v", err)
	}
}
