package store

import (
	"context"
	"time"
)

// Queue is an SQS-compatible queue. Attributes holds its settable attributes
// (VisibilityTimeout, RedrivePolicy, ...) as canonical strings; the queue
// domain owns their meaning and defaults.
type Queue struct {
	ID         int64 // row identity: a queue deleted and created again gets a new one
	AccountID  string
	Region     string
	Name       string
	ARN        string
	Attributes map[string]string
	Tags       map[string]string
	CreatedAt  time.Time
	ModifiedAt time.Time
	PurgedAt   time.Time
}

// QueueMessage is one message in a queue. VisibleAt is when it may be
// received next (a delay or a visibility timeout); Receipt is the token of
// its latest receive, so only the newest receipt handle acts on it.
type QueueMessage struct {
	ID              int64 // row identity, also the receive order
	QueueID         int64
	MessageID       string
	Body            string
	Attributes      []byte // the message attributes as the queue domain encodes them
	MD5OfBody       string
	MD5OfAttributes string
	SenderID        string
	SentAt          time.Time
	VisibleAt       time.Time
	ReceiveCount    int
	FirstReceivedAt time.Time
	Receipt         string
}

// QueueCounts are a queue's approximate message counts at one instant.
type QueueCounts struct {
	Visible  int64 // receivable now
	InFlight int64 // received and not yet visible again
	Delayed  int64 // sent with a delay that has not passed, never received
}

// QueueReader reads queues and their messages. sentAfter bounds message
// retention: messages sent at or before it have expired and are skipped.
type QueueReader interface {
	GetQueue(ctx context.Context, accountID, region, name string) (Queue, error)
	// ListQueues returns up to limit queues of the account in the region whose
	// names start with prefix and sort after afterName, by name.
	ListQueues(ctx context.Context, accountID, region, prefix, afterName string, limit int) ([]Queue, error)
	GetQueueMessage(ctx context.Context, queueID, id int64) (QueueMessage, error)
	// VisibleQueueMessages returns up to limit messages visible at now, oldest first.
	VisibleQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time, limit int) ([]QueueMessage, error)
	// NextQueueVisibleAt is the earliest VisibleAt after now of a live message (zero when none).
	NextQueueVisibleAt(ctx context.Context, queueID int64, now, sentAfter time.Time) (time.Time, error)
	CountQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time) (QueueCounts, error)
	// OldestQueueMessageSentAt is the SentAt of the queue's oldest message,
	// expired or not (zero when it has none).
	OldestQueueMessageSentAt(ctx context.Context, queueID int64) (time.Time, error)
}

// QueueTx changes queues and their messages.
type QueueTx interface {
	// InsertQueue fails with ErrConflict when the name is taken; it returns the new ID.
	InsertQueue(ctx context.Context, q Queue) (int64, error)
	// UpdateQueue stores Attributes, Tags, ModifiedAt and PurgedAt.
	UpdateQueue(ctx context.Context, q Queue) error
	// DeleteQueue removes the queue and its messages.
	DeleteQueue(ctx context.Context, id int64) error
	// InsertQueueMessage returns the new message's ID.
	InsertQueueMessage(ctx context.Context, m QueueMessage) (int64, error)
	// UpdateQueueMessage stores QueueID, VisibleAt, ReceiveCount, FirstReceivedAt and Receipt.
	UpdateQueueMessage(ctx context.Context, m QueueMessage) error
	DeleteQueueMessage(ctx context.Context, queueID, id int64) error
	PurgeQueueMessages(ctx context.Context, queueID int64) error
	// DeleteExpiredQueueMessages removes messages sent at or before sentBefore.
	DeleteExpiredQueueMessages(ctx context.Context, queueID int64, sentBefore time.Time) error
}
