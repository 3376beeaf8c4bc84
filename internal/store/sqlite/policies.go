package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openpca/openpca/internal/store"
)

const (
	sqlPutPolicy = `INSERT INTO ca_policies (ca_id, policy, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (ca_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`
	sqlGetPolicy        = `SELECT policy, updated_at FROM ca_policies WHERE ca_id = ?`
	sqlDeletePolicy     = `DELETE FROM ca_policies WHERE ca_id = ?`
	sqlListPrincipals   = `SELECT account_id FROM ca_policy_principals WHERE ca_id = ? ORDER BY account_id`
	sqlDeletePrincipals = `DELETE FROM ca_policy_principals WHERE ca_id = ?`
	sqlInsertPrincipal  = `INSERT OR IGNORE INTO ca_policy_principals (account_id, ca_id) VALUES (?, ?)`
	sqlListSharedCAs    = `SELECT ` + caColumns + ` FROM certificate_authorities WHERE seq > ? AND region = ? AND account_id <> ? AND id IN (SELECT ca_id FROM ca_policy_principals WHERE account_id = ?) ORDER BY seq LIMIT ?`
	sqlInsertPermission = `INSERT INTO ca_permissions (ca_id, principal, source_account, actions, created_at) VALUES (?, ?, ?, ?, ?)`
	sqlDeletePermission = `DELETE FROM ca_permissions WHERE ca_id = ? AND principal = ? AND source_account = ?`
	sqlListPermissions  = `SELECT principal, source_account, actions, created_at FROM ca_permissions WHERE ca_id = ? ORDER BY created_at, principal, source_account`
)

var policyStatements = []string{sqlPutPolicy, sqlGetPolicy, sqlDeletePolicy, sqlListPrincipals, sqlDeletePrincipals,
	sqlInsertPrincipal, sqlListSharedCAs, sqlInsertPermission, sqlDeletePermission, sqlListPermissions}

func (q *queries) PutPolicy(ctx context.Context, p store.Policy) error {
	if _, err := q.exec(ctx, sqlPutPolicy, p.CAID, p.Document, ts(p.UpdatedAt)); err != nil {
		return err
	}
	if _, err := q.exec(ctx, sqlDeletePrincipals, p.CAID); err != nil {
		return err
	}
	for _, acct := range p.Principals {
		if _, err := q.exec(ctx, sqlInsertPrincipal, acct, p.CAID); err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) GetPolicy(ctx context.Context, caID string) (store.Policy, error) {
	row, err := q.queryRow(ctx, sqlGetPolicy, caID)
	if err != nil {
		return store.Policy{}, err
	}
	p := store.Policy{CAID: caID}
	var updated int64
	if err := row.Scan(&p.Document, &updated); err != nil {
		return store.Policy{}, notFound(err)
	}
	p.UpdatedAt = fromTS(updated)
	rows, err := q.query(ctx, sqlListPrincipals, caID)
	if err != nil {
		return store.Policy{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var acct string
		if err := rows.Scan(&acct); err != nil {
			return store.Policy{}, err
		}
		p.Principals = append(p.Principals, acct)
	}
	return p, rows.Err()
}

func (q *queries) DeletePolicy(ctx context.Context, caID string) error {
	res, err := q.exec(ctx, sqlDeletePolicy, caID)
	if err != nil {
		return err
	}
	if err := oneRow(res); err != nil {
		return err
	}
	_, err = q.exec(ctx, sqlDeletePrincipals, caID)
	return err
}

func (q *queries) ListSharedCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]store.CA, error) {
	return q.listCAs(ctx, sqlListSharedCAs, afterSeq, region, accountID, accountID, limit)
}

func (q *queries) InsertPermission(ctx context.Context, p store.Permission) error {
	actions, err := json.Marshal(p.Actions)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	_, err = q.exec(ctx, sqlInsertPermission, p.CAID, p.Principal, p.SourceAccount, string(actions), ts(p.CreatedAt))
	return err
}

func (q *queries) DeletePermission(ctx context.Context, caID, principal, sourceAccount string) error {
	res, err := q.exec(ctx, sqlDeletePermission, caID, principal, sourceAccount)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) ListPermissions(ctx context.Context, caID string) ([]store.Permission, error) {
	rows, err := q.query(ctx, sqlListPermissions, caID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Permission
	for rows.Next() {
		p := store.Permission{CAID: caID}
		var actions string
		var created int64
		if err := rows.Scan(&p.Principal, &p.SourceAccount, &actions, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(actions), &p.Actions); err != nil {
			return nil, fmt.Errorf("sqlite: permission actions: %w", err)
		}
		p.CreatedAt = fromTS(created)
		out = append(out, p)
	}
	return out, rows.Err()
}
