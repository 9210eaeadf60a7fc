package sqlitestore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// BenchmarkSendParallel stores P2P text messages from 400 goroutines at
// once (200 conversations, as tools/loadgen's default load), so sends meet
// in group commits; it reports msg/s, the commits' mean batch size and,
// on Linux, the bytes the process wrote to storage per message
// (/proc/self/io write_bytes: the WAL and the checkpoints). Client ids are
// made as the SDK makes them (time first, core.NewMessageID).
func BenchmarkSendParallel(b *testing.B) {
	s := open(b, b.TempDir(), nil)
	ctx := context.Background()
	for i := range 400 {
		if err := s.CreateUser(ctx, store.User{Accid: fmt.Sprintf("u%d", i), Salt: []byte("s"), TokenHash: []byte("h"), CreatedMs: 1}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(200) // × GOMAXPROCS goroutines
	written := writeBytes()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			from, to := fmt.Sprintf("u%d", n%400), fmt.Sprintf("u%d", n%400^1)
			m := proto.Msg{From: from, To: to, Conv: proto.P2PConv(from, to), ClientID: fmt.Sprintf("%012x%020x", time.Now().UnixMilli(), n),
				Type: proto.MsgText, Body: jx.RawMessage(`{"text":"hello"}`)}
			if _, _, err := s.Send(ctx, m, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64(b.N)/float64(max(1, s.wr.commits.Load())), "msgs/commit")
	if w := writeBytes(); w > 0 {
		b.ReportMetric(float64(w-written)/float64(b.N), "write-B/msg")
	}
}

// writeBytes is what this process has written to storage (Linux:
// /proc/self/io write_bytes), or 0 where that is not known.
func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
