package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// Times are stored as Unix microseconds; 0 is the zero time.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromTS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// Every statement is prepared once when the store opens (see Open): a
// statement first prepared inside a transaction would need a second
// connection, and the writer has exactly one.
const (
	sqlInsertAccount   = `INSERT INTO accounts (account_id, created_at) VALUES (?, ?)`
	sqlGetAccount      = `SELECT account_id, created_at FROM accounts WHERE account_id = ?`
	sqlInsertAccessKey = `INSERT INTO access_keys (access_key_id, account_id, secret_sealed, created_at) VALUES (?, ?, ?, ?)`
	sqlGetAccessKey    = `SELECT access_key_id, account_id, secret_sealed, created_at FROM access_keys WHERE access_key_id = ?`
	sqlInsertCA        = `INSERT INTO certificate_authorities (id, account_id, region, arn, type, status,
		status_before_deletion, failure_reason, usage_mode, key_storage, config_json, revocation_json, key_handle,
		csr_pem, certificate_pem, chain_pem, serial, not_before, not_after, created_at, last_state_change_at, restorable_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateCA = `UPDATE certificate_authorities SET status = ?, status_before_deletion = ?, failure_reason = ?,
		revocation_json = ?, key_handle = ?, csr_pem = ?, certificate_pem = ?, chain_pem = ?, serial = ?, not_before = ?,
		not_after = ?, last_state_change_at = ?, restorable_until = ? WHERE id = ?`
	sqlGetCA      = `SELECT ` + caColumns + ` FROM certificate_authorities WHERE id = ?`
	sqlGetCAState = `SELECT id, account_id, region, arn, type, status, not_after, restorable_until
		FROM certificate_authorities WHERE id = ?`
	sqlListCAs = `SELECT ` + caColumns + ` FROM certificate_authorities
		WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?`
	sqlPutTag = `INSERT INTO ca_tags (ca_id, key, value) VALUES (?, ?, ?)
			ON CONFLICT (ca_id, key) DO UPDATE SET value = excluded.value`
	sqlDeleteTagByKey      = `DELETE FROM ca_tags WHERE ca_id = ? AND key = ?`
	sqlDeleteTagByKeyValue = `DELETE FROM ca_tags WHERE ca_id = ? AND key = ? AND value = ?`
	sqlListTags            = `SELECT key, value FROM ca_tags WHERE ca_id = ? ORDER BY key`
	sqlInsertCertificate   = `INSERT INTO certificates (ca_id, serial, status, der, failure_reason, template, issued_at,
		not_before, not_after, revoked_at, revocation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateCertificate = `UPDATE certificates SET status = ?, der = ?, failure_reason = ?, revoked_at = ?,
		revocation_reason = ? WHERE ca_id = ? AND serial = ?`
	sqlGetCertificate = `SELECT ca_id, serial, status, der, failure_reason, template, issued_at, not_before,
		not_after, revoked_at, revocation_reason FROM certificates WHERE ca_id = ? AND serial = ?`
	sqlPutIdempotency = `INSERT INTO idempotency (account_id, operation, token, request_hash, result, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, operation, token) DO UPDATE SET
		request_hash = excluded.request_hash, result = excluded.result, created_at = excluded.created_at`
	sqlGetIdempotency = `SELECT account_id, operation, token, request_hash, result, created_at FROM idempotency
		WHERE account_id = ? AND operation = ? AND token = ?`
	sqlAppendEvent = `INSERT INTO outbox (event_id, account_id, region, bus_name, detail_type, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlListEvents = `SELECT seq, event_id, account_id, region, bus_name, detail_type, payload, created_at FROM outbox
		WHERE seq > ? ORDER BY seq LIMIT ?`
)

var allStatements = []string{sqlInsertAccount, sqlGetAccount, sqlInsertAccessKey, sqlGetAccessKey, sqlInsertCA, sqlUpdateCA, sqlGetCA, sqlGetCAState, sqlListCAs, sqlPutTag, sqlDeleteTagByKey, sqlDeleteTagByKeyValue, sqlListTags, sqlInsertCertificate, sqlUpdateCertificate, sqlGetCertificate, sqlPutIdempotency, sqlGetIdempotency, sqlAppendEvent, sqlListEvents}

func (q *queries) InsertAccount(ctx context.Context, a store.Account) error {
	_, err := q.exec(ctx, sqlInsertAccount, a.ID, ts(a.CreatedAt))
	return err
}

func (q *queries) GetAccount(ctx context.Context, id string) (store.Account, error) {
	row, err := q.queryRow(ctx, sqlGetAccount, id)
	if err != nil {
		return store.Account{}, err
	}
	var a store.Account
	var created int64
	if err := row.Scan(&a.ID, &created); err != nil {
		return store.Account{}, notFound(err)
	}
	a.CreatedAt = fromTS(created)
	return a, nil
}

func (q *queries) InsertAccessKey(ctx context.Context, k store.AccessKey) error {
	_, err := q.exec(ctx, sqlInsertAccessKey,
		k.AccessKeyID, k.AccountID, k.SecretSealed, ts(k.CreatedAt))
	return err
}

func (q *queries) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	row, err := q.queryRow(ctx, sqlGetAccessKey, id)
	if err != nil {
		return store.AccessKey{}, err
	}
	var k store.AccessKey
	var created int64
	if err := row.Scan(&k.AccessKeyID, &k.AccountID, &k.SecretSealed, &created); err != nil {
		return store.AccessKey{}, notFound(err)
	}
	k.CreatedAt = fromTS(created)
	return k, nil
}

const caColumns = `seq, id, account_id, region, arn, type, status, status_before_deletion, failure_reason, usage_mode,
	key_storage, config_json, revocation_json, key_handle, csr_pem, certificate_pem, chain_pem, serial,
	not_before, not_after, created_at, last_state_change_at, restorable_until`

func scanCA(scan func(...any) error) (store.CA, error) {
	var c store.CA
	var nb, na, created, changed, restorable int64
	err := scan(&c.Seq, &c.ID, &c.AccountID, &c.Region, &c.ARN, &c.Type, &c.Status, &c.StatusBeforeDeletion,
		&c.FailureReason, &c.UsageMode, &c.KeyStorageSecurityStandard, &c.ConfigJSON, &c.RevocationJSON,
		&c.KeyHandle, &c.CSRPEM, &c.CertificatePEM, &c.ChainPEM, &c.Serial, &nb, &na, &created, &changed, &restorable)
	if err != nil {
		return store.CA{}, err
	}
	c.NotBefore, c.NotAfter = fromTS(nb), fromTS(na)
	c.CreatedAt, c.LastStateChangeAt, c.RestorableUntil = fromTS(created), fromTS(changed), fromTS(restorable)
	return c, nil
}

func (q *queries) InsertCA(ctx context.Context, c store.CA) error {
	_, err := q.exec(ctx, sqlInsertCA,
		c.ID, c.AccountID, c.Region, c.ARN, c.Type, c.Status, c.StatusBeforeDeletion, c.FailureReason, c.UsageMode,
		c.KeyStorageSecurityStandard, c.ConfigJSON, c.RevocationJSON, c.KeyHandle, c.CSRPEM, c.CertificatePEM,
		c.ChainPEM, c.Serial, ts(c.NotBefore), ts(c.NotAfter), ts(c.CreatedAt), ts(c.LastStateChangeAt), ts(c.RestorableUntil))
	return err
}

func (q *queries) UpdateCA(ctx context.Context, c store.CA) error {
	res, err := q.exec(ctx, sqlUpdateCA,
		c.Status, c.StatusBeforeDeletion, c.FailureReason, c.RevocationJSON, c.KeyHandle, c.CSRPEM, c.CertificatePEM,
		c.ChainPEM, c.Serial, ts(c.NotBefore), ts(c.NotAfter), ts(c.LastStateChangeAt), ts(c.RestorableUntil), c.ID)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (q *queries) GetCA(ctx context.Context, id string) (store.CA, error) {
	row, err := q.queryRow(ctx, sqlGetCA, id)
	if err != nil {
		return store.CA{}, err
	}
	c, err := scanCA(row.Scan)
	if err != nil {
		return store.CA{}, notFound(err)
	}
	return c, nil
}

func (q *queries) GetCAState(ctx context.Context, id string) (store.CA, error) {
	row, err := q.queryRow(ctx, sqlGetCAState, id)
	if err != nil {
		return store.CA{}, err
	}
	var c store.CA
	var notAfter, restorable int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Region, &c.ARN, &c.Type, &c.Status, &notAfter, &restorable); err != nil {
		return store.CA{}, notFound(err)
	}
	c.NotAfter, c.RestorableUntil = fromTS(notAfter), fromTS(restorable)
	return c, nil
}

func (q *queries) ListCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]store.CA, error) {
	return q.listCAs(ctx, sqlListCAs, accountID, region, afterSeq, limit)
}

func (q *queries) listCAs(ctx context.Context, query string, args ...any) ([]store.CA, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CA
	for rows.Next() {
		c, err := scanCA(rows.Scan)
		if err != nil {
			return nil, notFound(err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (q *queries) PutTags(ctx context.Context, caID string, tags []store.Tag) error {
	for _, t := range tags {
		if _, err := q.exec(ctx, sqlPutTag, caID, t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// DeleteTags removes each tag by key, or by key and value when a value is given (AWS semantics).
func (q *queries) DeleteTags(ctx context.Context, caID string, tags []store.Tag) error {
	for _, t := range tags {
		var err error
		if t.Value == nil {
			_, err = q.exec(ctx, sqlDeleteTagByKey, caID, t.Key)
		} else {
			_, err = q.exec(ctx, sqlDeleteTagByKeyValue, caID, t.Key, *t.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) ListTags(ctx context.Context, caID string) ([]store.Tag, error) {
	rows, err := q.query(ctx, sqlListTags, caID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Tag
	for rows.Next() {
		var t store.Tag
		var v sql.NullString
		if err := rows.Scan(&t.Key, &v); err != nil {
			return nil, err
		}
		if v.Valid {
			t.Value = &v.String
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (q *queries) InsertCertificate(ctx context.Context, c store.Certificate) error {
	_, err := q.exec(ctx, sqlInsertCertificate,
		c.CAID, c.Serial, c.Status, c.DER, c.FailureReason, c.Template, ts(c.IssuedAt), ts(c.NotBefore), ts(c.NotAfter),
		ts(c.RevokedAt), c.RevocationReason)
	return err
}

func (q *queries) UpdateCertificate(ctx context.Context, c store.Certificate) error {
	res, err := q.exec(ctx, sqlUpdateCertificate,
		c.Status, c.DER, c.FailureReason, ts(c.RevokedAt), c.RevocationReason, c.CAID, c.Serial)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) GetCertificate(ctx context.Context, caID, serial string) (store.Certificate, error) {
	row, err := q.queryRow(ctx, sqlGetCertificate, caID, serial)
	if err != nil {
		return store.Certificate{}, err
	}
	var c store.Certificate
	var issued, nb, na, revoked int64
	if err := row.Scan(&c.CAID, &c.Serial, &c.Status, &c.DER, &c.FailureReason, &c.Template, &issued, &nb, &na,
		&revoked, &c.RevocationReason); err != nil {
		return store.Certificate{}, notFound(err)
	}
	c.IssuedAt, c.NotBefore, c.NotAfter, c.RevokedAt = fromTS(issued), fromTS(nb), fromTS(na), fromTS(revoked)
	return c, nil
}

func (q *queries) PutIdempotency(ctx context.Context, i store.Idempotency) error {
	_, err := q.exec(ctx, sqlPutIdempotency,
		i.AccountID, i.Operation, i.Token, i.RequestHash, i.Result, ts(i.CreatedAt))
	return err
}

func (q *queries) GetIdempotency(ctx context.Context, accountID, operation, token string) (store.Idempotency, error) {
	row, err := q.queryRow(ctx, sqlGetIdempotency, accountID, operation, token)
	if err != nil {
		return store.Idempotency{}, err
	}
	var i store.Idempotency
	var created int64
	if err := row.Scan(&i.AccountID, &i.Operation, &i.Token, &i.RequestHash, &i.Result, &created); err != nil {
		return store.Idempotency{}, notFound(err)
	}
	i.CreatedAt = fromTS(created)
	return i, nil
}

func (q *queries) AppendEvent(ctx context.Context, e store.Event) error {
	bus := e.BusName
	if bus == "" {
		bus = "default"
	}
	_, err := q.exec(ctx, sqlAppendEvent, e.ID, e.AccountID, e.Region, bus, e.DetailType, e.Payload, ts(e.CreatedAt))
	if err == nil && q.appended != nil {
		*q.appended = true
	}
	return err
}

func (q *queries) ListEvents(ctx context.Context, afterSeq int64, limit int) ([]store.Event, error) {
	rows, err := q.query(ctx, sqlListEvents, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var created int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.AccountID, &e.Region, &e.BusName, &e.DetailType, &e.Payload, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = fromTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}
