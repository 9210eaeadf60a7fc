package server

import (
	"reflect"
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
