package ops

import (
	"context"
	"sync"
	"time"

	"github.com/tradectl/tradectl/signaler/outbox"
)

// OutboxStats is what OutboxSource reads deliveries from (*outbox.Deliverer).
type OutboxStats interface {
	Stats() outbox.Stats
}

// PendingCounter counts the outbox messages still to deliver (*state.DB).
type PendingCounter interface {
	Pending(ctx context.Context) (int, error)
}

// pendingTimeout bounds the pending-count query made by a scrape.
const pendingTimeout = 2 * time.Second

// OutboxSource returns a notification source for SetNotificationSource: Sent is the
// deliverer's sent count, Failed its failed attempts (retried plus rejected), Queued the
// database's pending count. When that query fails the last good count is kept.
func OutboxSource(d OutboxStats, db PendingCounter) func() Notifications {
	var mu sync.Mutex
	var queued int64
	return func() Notifications {
		st := d.Stats()
		ctx, cancel := context.WithTimeout(context.Background(), pendingTimeout)
		defer cancel()
		n, err := db.Pending(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			queued = int64(n)
		}
		return Notifications{Sent: st.Sent, Failed: st.Retried + st.Rejected, Queued: queued}
	}
}
