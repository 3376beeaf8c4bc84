package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// Commits checkpoint the WAL once it reaches walCheckpointPages, so under a
// steady stream of commits it grows to about that size (not SQLite's default
// 1,000 pages) and stays there instead of keeping every page written since
// the start.
func TestWALIsCheckpointed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	payload := make([]byte, 3000)
	const pageSize = 4096
	limit := int64(walCheckpointPages+walCheckpointPages/4) * (pageSize + 24) // frames carry a 24-byte header
	for i := 0; ; i++ {
		err := st.Update(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(ctx, store.Event{ID: fmt.Sprint("ev", i), AccountID: "111122223333", Region: "us-east-1",
				DetailType: "t", Payload: payload, CreatedAt: time.Unix(1_700_000_000, 0)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%500 != 0 {
			continue
		}
		info, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > limit {
			t.Fatalf("WAL is %d bytes after %d commits: not checkpointed at %d pages", info.Size(), i+1, walCheckpointPages)
		}
		// Enough commits to fill the WAL twice over without checkpoints.
		if i*2 > 2*walCheckpointPages {
			if floor := int64(walCheckpointPages/2) * pageSize; info.Size() < floor {
				t.Fatalf("WAL is %d bytes after %d commits: checkpointed well before %d pages", info.Size(), i+1, walCheckpointPages)
			}
			t.Logf("WAL %d KiB after %d commits", info.Size()>>10, i+1)
			return
		}
	}
}
