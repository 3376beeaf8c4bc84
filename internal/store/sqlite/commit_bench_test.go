package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// BenchmarkCommitLatency measures the latency of issuance-shaped commits
// (a certificate with a random serial and its event) from 8 concurrent
// writers, with this store's checkpoint threshold and, as the baseline in
// the same run, SQLite's default of 1,000 pages:
//
//	go test -run '^$' -bench CommitLatency -benchtime 40000x ./internal/store/sqlite
func BenchmarkCommitLatency(b *testing.B) {
	for _, c := range []struct {
		name  string
		pages int
	}{{"sqlite-default-1000", 1000}, {"openpca", walCheckpointPages}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := open(ctx, filepath.Join(b.TempDir(), "bench.db"), c.pages)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			der := make([]byte, 700)
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			const writers = 8
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N; i += writers {
						var serial [16]byte
						rand.Read(serial[:])
						id := hex.EncodeToString(serial[:])
						start := time.Now()
						err := st.Update(ctx, func(tx store.Tx) error {
							err := tx.InsertCertificate(ctx, store.Certificate{CAID: "ca", Serial: id, Status: "ISSUED", DER: der, IssuedAt: start})
							if err != nil {
								return err
							}
							return tx.AppendEvent(ctx, store.Event{ID: id, AccountID: "111122223333", Region: "us-east-1",
								DetailType: "t", Payload: der, CreatedAt: start})
						})
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						lat = append(lat, time.Since(start))
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			slices.Sort(lat)
			if n := len(lat); n >= 1000 {
				ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
				b.ReportMetric(ms(lat[n/2]), "p50-ms")
				b.ReportMetric(ms(lat[n*99/100]), "p99-ms")
				b.ReportMetric(ms(lat[n*999/1000]), "p99.9-ms")
				b.ReportMetric(ms(lat[n-1]), "max-ms")
			}
		})
	}
}
