package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/openpca/openpca/internal/store"
)

const (
	queueColumns    = `id, account_id, region, name, arn, attributes, tags, created_at, modified_at, purged_at`
	sqlInsertQueue  = `INSERT INTO queues (account_id, region, name, arn, attributes, tags, created_at, modified_at, purged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateQueue  = `UPDATE queues SET attributes = ?, tags = ?, modified_at = ?, purged_at = ? WHERE id = ?`
	sqlDeleteQueue  = `DELETE FROM queues WHERE id = ?`
	sqlGetQueue     = `SELECT ` + queueColumns + ` FROM queues WHERE account_id = ? AND region = ? AND name = ?`
	sqlListQueues   = `SELECT ` + queueColumns + ` FROM queues WHERE account_id = ? AND region = ? AND name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?`
	messageColumns  = `id, queue_id, message_id, body, attributes, md5_body, md5_attributes, sender_id, sent_at, visible_at, receive_count, first_received_at, receipt`
	sqlInsertQMsg   = `INSERT INTO queue_messages (queue_id, message_id, body, attributes, md5_body, md5_attributes, sender_id, sent_at, visible_at, receive_count, first_received_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateQMsg   = `UPDATE queue_messages SET queue_id = ?, visible_at = ?, receive_count = ?, first_received_at = ?, receipt = ? WHERE id = ?`
	sqlDeleteQMsg   = `DELETE FROM queue_messages WHERE queue_id = ? AND id = ?`
	sqlPurgeQMsgs   = `DELETE FROM queue_messages WHERE queue_id = ?`
	sqlExpireQMsgs  = `DELETE FROM queue_messages WHERE queue_id = ? AND sent_at <= ?`
	sqlGetQMsg      = `SELECT ` + messageColumns + ` FROM queue_messages WHERE queue_id = ? AND id = ?`
	sqlVisibleQMsgs = `SELECT ` + messageColumns + ` FROM queue_messages WHERE queue_id = ? AND visible_at <= ? AND sent_at > ? ORDER BY visible_at, id LIMIT ?`
	sqlNextQVisible = `SELECT COALESCE(MIN(visible_at), 0) FROM queue_messages WHERE queue_id = ? AND visible_at > ? AND sent_at > ?`
	sqlOldestQSent  = `SELECT COALESCE(MIN(sent_at), 0) FROM queue_messages WHERE queue_id = ?`
	sqlCountQMsgs   = `SELECT COALESCE(SUM(visible_at <= ?), 0), COALESCE(SUM(visible_at > ? AND receive_count > 0), 0),
		COALESCE(SUM(visible_at > ? AND receive_count = 0), 0) FROM queue_messages WHERE queue_id = ? AND sent_at > ?`
)

var queueStatements = []string{sqlInsertQueue, sqlUpdateQueue, sqlDeleteQueue, sqlGetQueue, sqlListQueues,
	sqlInsertQMsg, sqlUpdateQMsg, sqlDeleteQMsg, sqlPurgeQMsgs, sqlExpireQMsgs, sqlGetQMsg, sqlVisibleQMsgs,
	sqlNextQVisible, sqlOldestQSent, sqlCountQMsgs}

func encodeMap(m map[string]string) ([]byte, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode: %w", err)
	}
	return b, nil
}

func (q *queries) InsertQueue(ctx context.Context, qu store.Queue) (int64, error) {
	attrs, err := encodeMap(qu.Attributes)
	if err != nil {
		return 0, err
	}
	tags, err := encodeMap(qu.Tags)
	if err != nil {
		return 0, err
	}
	res, err := q.exec(ctx, sqlInsertQueue, qu.AccountID, qu.Region, qu.Name, qu.ARN, attrs, tags, ts(qu.CreatedAt),
		ts(qu.ModifiedAt), ts(qu.PurgedAt))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (q *queries) UpdateQueue(ctx context.Context, qu store.Queue) error {
	attrs, err := encodeMap(qu.Attributes)
	if err != nil {
		return err
	}
	tags, err := encodeMap(qu.Tags)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, sqlUpdateQueue, attrs, tags, ts(qu.ModifiedAt), ts(qu.PurgedAt), qu.ID)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) DeleteQueue(ctx context.Context, id int64) error {
	if _, err := q.exec(ctx, sqlPurgeQMsgs, id); err != nil {
		return err
	}
	res, err := q.exec(ctx, sqlDeleteQueue, id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func scanQueue(scan func(...any) error) (store.Queue, error) {
	var qu store.Queue
	var attrs, tags []byte
	var created, modified, purged int64
	if err := scan(&qu.ID, &qu.AccountID, &qu.Region, &qu.Name, &qu.ARN, &attrs, &tags, &created, &modified, &purged); err != nil {
		return store.Queue{}, err
	}
	if err := json.Unmarshal(attrs, &qu.Attributes); err != nil {
		return store.Queue{}, fmt.Errorf("sqlite: queue attributes: %w", err)
	}
	if err := json.Unmarshal(tags, &qu.Tags); err != nil {
		return store.Queue{}, fmt.Errorf("sqlite: queue tags: %w", err)
	}
	qu.CreatedAt, qu.ModifiedAt, qu.PurgedAt = fromTS(created), fromTS(modified), fromTS(purged)
	return qu, nil
}

func (q *queries) GetQueue(ctx context.Context, accountID, region, name string) (store.Queue, error) {
	row, err := q.queryRow(ctx, sqlGetQueue, accountID, region, name)
	if err != nil {
		return store.Queue{}, err
	}
	qu, err := scanQueue(row.Scan)
	if err != nil {
		return store.Queue{}, notFound(err)
	}
	return qu, nil
}

func (q *queries) ListQueues(ctx context.Context, accountID, region, prefix, afterName string, limit int) ([]store.Queue, error) {
	return collect(q, ctx, sqlListQueues, scanQueue, accountID, region, afterName, utf8.RuneCountInString(prefix), prefix, limit)
}

func (q *queries) InsertQueueMessage(ctx context.Context, m store.QueueMessage) (int64, error) {
	res, err := q.exec(ctx, sqlInsertQMsg, m.QueueID, m.MessageID, m.Body, m.Attributes, m.MD5OfBody, m.MD5OfAttributes,
		m.SenderID, ts(m.SentAt), ts(m.VisibleAt), m.ReceiveCount, ts(m.FirstReceivedAt), m.Receipt)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (q *queries) UpdateQueueMessage(ctx context.Context, m store.QueueMessage) error {
	res, err := q.exec(ctx, sqlUpdateQMsg, m.QueueID, ts(m.VisibleAt), m.ReceiveCount, ts(m.FirstReceivedAt), m.Receipt, m.ID)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) DeleteQueueMessage(ctx context.Context, queueID, id int64) error {
	res, err := q.exec(ctx, sqlDeleteQMsg, queueID, id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) PurgeQueueMessages(ctx context.Context, queueID int64) error {
	_, err := q.exec(ctx, sqlPurgeQMsgs, queueID)
	return err
}

func (q *queries) DeleteExpiredQueueMessages(ctx context.Context, queueID int64, sentBefore time.Time) error {
	_, err := q.exec(ctx, sqlExpireQMsgs, queueID, ts(sentBefore))
	return err
}

func scanQueueMessage(scan func(...any) error) (store.QueueMessage, error) {
	var m store.QueueMessage
	var sent, visible, first int64
	if err := scan(&m.ID, &m.QueueID, &m.MessageID, &m.Body, &m.Attributes, &m.MD5OfBody, &m.MD5OfAttributes, &m.SenderID,
		&sent, &visible, &m.ReceiveCount, &first, &m.Receipt); err != nil {
		return store.QueueMessage{}, err
	}
	m.SentAt, m.VisibleAt, m.FirstReceivedAt = fromTS(sent), fromTS(visible), fromTS(first)
	return m, nil
}

func (q *queries) GetQueueMessage(ctx context.Context, queueID, id int64) (store.QueueMessage, error) {
	row, err := q.queryRow(ctx, sqlGetQMsg, queueID, id)
	if err != nil {
		return store.QueueMessage{}, err
	}
	m, err := scanQueueMessage(row.Scan)
	if err != nil {
		return store.QueueMessage{}, notFound(err)
	}
	return m, nil
}

func (q *queries) VisibleQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time, limit int) ([]store.QueueMessage, error) {
	return collect(q, ctx, sqlVisibleQMsgs, scanQueueMessage, queueID, ts(now), ts(sentAfter), limit)
}

func (q *queries) NextQueueVisibleAt(ctx context.Context, queueID int64, now, sentAfter time.Time) (time.Time, error) {
	row, err := q.queryRow(ctx, sqlNextQVisible, queueID, ts(now), ts(sentAfter))
	if err != nil {
		return time.Time{}, err
	}
	var next int64
	if err := row.Scan(&next); err != nil {
		return time.Time{}, notFound(err)
	}
	return fromTS(next), nil
}

func (q *queries) OldestQueueMessageSentAt(ctx context.Context, queueID int64) (time.Time, error) {
	row, err := q.queryRow(ctx, sqlOldestQSent, queueID)
	if err != nil {
		return time.Time{}, err
	}
	var oldest int64
	if err := row.Scan(&oldest); err != nil {
		return time.Time{}, err
	}
	return fromTS(oldest), nil
}

func (q *queries) CountQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time) (store.QueueCounts, error) {
	row, err := q.queryRow(ctx, sqlCountQMsgs, ts(now), ts(now), ts(now), queueID, ts(sentAfter))
	if err != nil {
		return store.QueueCounts{}, err
	}
	var c store.QueueCounts
	if err := row.Scan(&c.Visible, &c.InFlight, &c.Delayed); err != nil {
		return store.QueueCounts{}, notFound(err)
	}
	return c, nil
}

// Reads outside a transaction go to the read pool.

func (s *Store) GetQueue(ctx context.Context, accountID, region, name string) (store.Queue, error) {
	return s.rq.GetQueue(ctx, accountID, region, name)
}

func (s *Store) ListQueues(ctx context.Context, accountID, region, prefix, afterName string, limit int) ([]store.Queue, error) {
	return s.rq.ListQueues(ctx, accountID, region, prefix, afterName, limit)
}

func (s *Store) GetQueueMessage(ctx context.Context, queueID, id int64) (store.QueueMessage, error) {
	return s.rq.GetQueueMessage(ctx, queueID, id)
}

func (s *Store) VisibleQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time, limit int) ([]store.QueueMessage, error) {
	return s.rq.VisibleQueueMessages(ctx, queueID, now, sentAfter, limit)
}

func (s *Store) NextQueueVisibleAt(ctx context.Context, queueID int64, now, sentAfter time.Time) (time.Time, error) {
	return s.rq.NextQueueVisibleAt(ctx, queueID, now, sentAfter)
}

func (s *Store) OldestQueueMessageSentAt(ctx context.Context, queueID int64) (time.Time, error) {
	return s.rq.OldestQueueMessageSentAt(ctx, queueID)
}

func (s *Store) CountQueueMessages(ctx context.Context, queueID int64, now, sentAfter time.Time) (store.QueueCounts, error) {
	return s.rq.CountQueueMessages(ctx, queueID, now, sentAfter)
}
