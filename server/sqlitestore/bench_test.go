package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// BenchmarkSendParallel stores P2P text messages from 400 goroutines at
// once (200 conversations, as tools/loadgen's default load), so sends meet
// in group commits; it reports msg/s and the commits' mean batch size.
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
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			from, to := fmt.Sprintf("u%d", n%400), fmt.Sprintf("u%d", n%400^1)
			m := proto.Msg{From: from, To: to, Conv: proto.P2PConv(from, to), ClientID: fmt.Sprintf("c%d", n),
				Type: proto.MsgText, Body: json.RawMessage(`{"text":"hello"}`)}
			if _, _, err := s.Send(ctx, m, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64(b.N)/float64(max(1, s.wr.commits.Load())), "msgs/commit")
}
