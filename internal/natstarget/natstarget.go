// Package natstarget delivers events to NATS subjects, the event target of
// the scale-out deployment. A target's ARN is
// arn:openpca:nats:REGION:ACCOUNT:SUBJECT.
//
// Delivery is at least once only where NATS keeps messages: when a JetStream
// stream captures the subject, the publish waits for the stream's
// acknowledgement and carries Nats-Msg-Id (event ID and target) so JetStream
// drops the duplicates a retry after a crash would make. A subject no stream
// captures gets a plain publish, flushed to the server: core NATS delivers it
// to current subscribers only.
package natstarget

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/store"
)

const publishTimeout = 5 * time.Second

// Sender publishes events to NATS.
type Sender struct {
	conn *nats.Conn
	js   jetstream.JetStream
}

// Connect dials the NATS server at url; the connection reconnects on its own.
func Connect(url string) (*Sender, error) {
	conn, err := nats.Connect(url, nats.Name("openpca"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("natstarget: connect %s: %w", url, err)
	}
	js, err := jetstream.New(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("natstarget: %w", err)
	}
	return &Sender{conn: conn, js: js}, nil
}

// Close drains and closes the connection.
func (s *Sender) Close() { s.conn.Close() }

var _ events.Sender = (*Sender)(nil)

// Send publishes the delivery's payload to the target's subject.
func (s *Sender) Send(ctx context.Context, del store.Delivery, target events.Target) error {
	subject, ok := events.NATSSubject(del.TargetArn)
	if !ok {
		return &events.DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: del.TargetArn + " is not a NATS target ARN."}
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	msg := &nats.Msg{Subject: subject, Data: del.Payload, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, del.EventID+"/"+del.TargetID)
	msg.Header.Set("Openpca-Rule-Arn", del.RuleArn)
	_, err := s.js.PublishMsg(ctx, msg)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		// No stream captures the subject: a core publish, flushed so the
		// server has it before the delivery is deleted.
		if err = s.conn.PublishMsg(msg); err == nil {
			err = s.conn.FlushWithContext(ctx)
		}
	}
	if err != nil {
		return &events.DeliveryError{Code: "SDK_CLIENT_ERROR", Message: "Unable to publish to NATS subject " + subject + ": " + err.Error(), Retryable: true}
	}
	return nil
}
