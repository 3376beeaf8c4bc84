package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/store"
)

const (
	sqlInsertBus   = `INSERT INTO event_buses (account_id, region, name, created_at) VALUES (?, ?, ?, ?)`
	sqlDeleteBus   = `DELETE FROM event_buses WHERE account_id = ? AND region = ? AND name = ?`
	sqlGetBus      = `SELECT account_id, region, name, created_at FROM event_buses WHERE account_id = ? AND region = ? AND name = ?`
	sqlListBuses   = `SELECT account_id, region, name, created_at FROM event_buses WHERE account_id = ? AND region = ? ORDER BY name`
	ruleColumns    = `account_id, region, bus_name, name, event_pattern, schedule_expression, state, description, role_arn, created_at`
	sqlPutRule     = `INSERT INTO event_rules (` + ruleColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, bus_name, name) DO UPDATE SET event_pattern = excluded.event_pattern, schedule_expression = excluded.schedule_expression, state = excluded.state, description = excluded.description, role_arn = excluded.role_arn`
	sqlDeleteRule  = `DELETE FROM event_rules WHERE account_id = ? AND region = ? AND bus_name = ? AND name = ?`
	sqlGetRule     = `SELECT ` + ruleColumns + ` FROM event_rules WHERE account_id = ? AND region = ? AND bus_name = ? AND name = ?`
	sqlListRules   = `SELECT ` + ruleColumns + ` FROM event_rules WHERE account_id = ? AND region = ? AND bus_name = ? ORDER BY name`
	sqlPutTarget   = `INSERT INTO event_targets (account_id, region, bus_name, rule_name, target_id, arn, config) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, bus_name, rule_name, target_id) DO UPDATE SET arn = excluded.arn, config = excluded.config`
	sqlDeleteTgt   = `DELETE FROM event_targets WHERE account_id = ? AND region = ? AND bus_name = ? AND rule_name = ? AND target_id = ?`
	sqlListTargets = `SELECT account_id, region, bus_name, rule_name, target_id, arn, config FROM event_targets WHERE account_id = ? AND region = ? AND bus_name = ? AND rule_name = ? ORDER BY target_id`
	sqlBusTargets  = `SELECT account_id, region, bus_name, rule_name, target_id, arn, config FROM event_targets WHERE account_id = ? AND region = ? AND bus_name = ? ORDER BY rule_name, target_id`
	sqlGetCursor   = `SELECT seq FROM dispatch_cursors WHERE name = ?`
	sqlSetCursor   = `INSERT INTO dispatch_cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`
	deliveryCols   = `id, event_id, account_id, region, rule_arn, target_id, target_arn, target, payload, attempts, event_time, next_at, last_error`
	sqlInsertDeliv = `INSERT INTO deliveries (event_id, account_id, region, rule_arn, target_id, target_arn, target, payload, attempts, event_time, next_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateDeliv = `UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`
	sqlDeleteDeliv = `DELETE FROM deliveries WHERE id = ?`
	sqlDueDeliv    = `SELECT ` + deliveryCols + ` FROM deliveries WHERE next_at <= ? ORDER BY next_at, id LIMIT ?`
	sqlNextDeliv   = `SELECT COALESCE(MIN(next_at), 0) FROM deliveries`
	connColumns    = `account_id, region, name, uuid, description, authorization_type, state, public_params, sealed_params, created_at, modified_at, authorized_at`
	sqlInsertConn  = `INSERT INTO event_connections (` + connColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlDeleteConn  = `DELETE FROM event_connections WHERE account_id = ? AND region = ? AND name = ?`
	sqlGetConn     = `SELECT ` + connColumns + ` FROM event_connections WHERE account_id = ? AND region = ? AND name = ?`
	sqlListConns   = `SELECT ` + connColumns + ` FROM event_connections WHERE account_id = ? AND region = ? ORDER BY name`
	destColumns    = `account_id, region, name, uuid, description, connection_arn, endpoint, http_method, rate_limit, state, created_at, modified_at`
	sqlInsertDest  = `INSERT INTO event_api_destinations (` + destColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlDeleteDest  = `DELETE FROM event_api_destinations WHERE account_id = ? AND region = ? AND name = ?`
	sqlGetDest     = `SELECT ` + destColumns + ` FROM event_api_destinations WHERE account_id = ? AND region = ? AND name = ?`
	sqlListDests   = `SELECT ` + destColumns + ` FROM event_api_destinations WHERE account_id = ? AND region = ? ORDER BY name`
)

var busStatements = []string{sqlInsertBus, sqlDeleteBus, sqlGetBus, sqlListBuses, sqlPutRule, sqlDeleteRule, sqlGetRule,
	sqlListRules, sqlPutTarget, sqlDeleteTgt, sqlListTargets, sqlBusTargets, sqlGetCursor, sqlSetCursor, sqlInsertDeliv,
	sqlUpdateDeliv, sqlDeleteDeliv, sqlDueDeliv, sqlNextDeliv, sqlInsertConn, sqlDeleteConn, sqlGetConn, sqlListConns,
	sqlInsertDest, sqlDeleteDest, sqlGetDest, sqlListDests}

func (q *queries) InsertEventBus(ctx context.Context, b store.EventBus) error {
	_, err := q.exec(ctx, sqlInsertBus, b.AccountID, b.Region, b.Name, ts(b.CreatedAt))
	return err
}

func (q *queries) DeleteEventBus(ctx context.Context, accountID, region, name string) error {
	res, err := q.exec(ctx, sqlDeleteBus, accountID, region, name)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func scanBus(scan func(...any) error) (store.EventBus, error) {
	var b store.EventBus
	var created int64
	if err := scan(&b.AccountID, &b.Region, &b.Name, &created); err != nil {
		return store.EventBus{}, err
	}
	b.CreatedAt = fromTS(created)
	return b, nil
}

func (q *queries) GetEventBus(ctx context.Context, accountID, region, name string) (store.EventBus, error) {
	row, err := q.queryRow(ctx, sqlGetBus, accountID, region, name)
	if err != nil {
		return store.EventBus{}, err
	}
	b, err := scanBus(row.Scan)
	if err != nil {
		return store.EventBus{}, notFound(err)
	}
	return b, nil
}

func (q *queries) ListEventBuses(ctx context.Context, accountID, region string) ([]store.EventBus, error) {
	return collect(q, ctx, sqlListBuses, scanBus, accountID, region)
}

func scanRule(scan func(...any) error) (store.Rule, error) {
	var r store.Rule
	var created int64
	if err := scan(&r.AccountID, &r.Region, &r.BusName, &r.Name, &r.EventPattern, &r.ScheduleExpression, &r.State,
		&r.Description, &r.RoleArn, &created); err != nil {
		return store.Rule{}, err
	}
	r.CreatedAt = fromTS(created)
	return r, nil
}

func (q *queries) PutRule(ctx context.Context, r store.Rule) error {
	_, err := q.exec(ctx, sqlPutRule, r.AccountID, r.Region, r.BusName, r.Name, r.EventPattern, r.ScheduleExpression,
		r.State, r.Description, r.RoleArn, ts(r.CreatedAt))
	return err
}

func (q *queries) DeleteRule(ctx context.Context, accountID, region, bus, name string) error {
	res, err := q.exec(ctx, sqlDeleteRule, accountID, region, bus, name)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) GetRule(ctx context.Context, accountID, region, bus, name string) (store.Rule, error) {
	row, err := q.queryRow(ctx, sqlGetRule, accountID, region, bus, name)
	if err != nil {
		return store.Rule{}, err
	}
	r, err := scanRule(row.Scan)
	if err != nil {
		return store.Rule{}, notFound(err)
	}
	return r, nil
}

func (q *queries) ListRules(ctx context.Context, accountID, region, bus string) ([]store.Rule, error) {
	return collect(q, ctx, sqlListRules, scanRule, accountID, region, bus)
}

func scanTarget(scan func(...any) error) (store.Target, error) {
	var t store.Target
	err := scan(&t.AccountID, &t.Region, &t.BusName, &t.RuleName, &t.ID, &t.Arn, &t.Config)
	return t, err
}

func (q *queries) PutTarget(ctx context.Context, t store.Target) error {
	_, err := q.exec(ctx, sqlPutTarget, t.AccountID, t.Region, t.BusName, t.RuleName, t.ID, t.Arn, t.Config)
	return err
}

func (q *queries) DeleteTarget(ctx context.Context, accountID, region, bus, rule, id string) error {
	res, err := q.exec(ctx, sqlDeleteTgt, accountID, region, bus, rule, id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func (q *queries) ListTargets(ctx context.Context, accountID, region, bus, rule string) ([]store.Target, error) {
	return collect(q, ctx, sqlListTargets, scanTarget, accountID, region, bus, rule)
}

func (q *queries) ListBusTargets(ctx context.Context, accountID, region, bus string) ([]store.Target, error) {
	return collect(q, ctx, sqlBusTargets, scanTarget, accountID, region, bus)
}

func (q *queries) GetCursor(ctx context.Context, name string) (int64, error) {
	row, err := q.queryRow(ctx, sqlGetCursor, name)
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := row.Scan(&seq); err != nil {
		if err := notFound(err); err == store.ErrNotFound {
			return 0, nil
		}
		return 0, notFound(err)
	}
	return seq, nil
}

func (q *queries) SetCursor(ctx context.Context, name string, seq int64) error {
	_, err := q.exec(ctx, sqlSetCursor, name, seq)
	return err
}

func (q *queries) InsertDelivery(ctx context.Context, d store.Delivery) (int64, error) {
	res, err := q.exec(ctx, sqlInsertDeliv, d.EventID, d.AccountID, d.Region, d.RuleArn, d.TargetID, d.TargetArn, d.Target,
		d.Payload, d.Attempts, ts(d.EventTime), ts(d.NextAt), d.LastError)
	if err != nil {
		return 0, err
	}
	if q.deliveries != nil {
		*q.deliveries = true
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delivery id: %w", err)
	}
	return id, nil
}

func (q *queries) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	res, err := q.exec(ctx, sqlUpdateDeliv, d.Attempts, ts(d.NextAt), d.LastError, d.ID)
	if err != nil {
		return err
	}
	if q.deliveries != nil {
		*q.deliveries = true
	}
	return oneRow(res)
}

func (q *queries) DeleteDelivery(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, sqlDeleteDeliv, id)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func scanDelivery(scan func(...any) error) (store.Delivery, error) {
	var d store.Delivery
	var eventTime, next int64
	err := scan(&d.ID, &d.EventID, &d.AccountID, &d.Region, &d.RuleArn, &d.TargetID, &d.TargetArn, &d.Target, &d.Payload,
		&d.Attempts, &eventTime, &next, &d.LastError)
	d.EventTime, d.NextAt = fromTS(eventTime), fromTS(next)
	return d, err
}

func (q *queries) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	return collect(q, ctx, sqlDueDeliv, scanDelivery, ts(now), limit)
}

func (q *queries) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	row, err := q.queryRow(ctx, sqlNextDeliv)
	if err != nil {
		return time.Time{}, err
	}
	var next int64
	if err := row.Scan(&next); err != nil {
		return time.Time{}, notFound(err)
	}
	return fromTS(next), nil
}

// collect runs a query and scans every row.
func collect[T any](q *queries, ctx context.Context, query string, scan func(func(...any) error) (T, error), args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (q *queries) InsertConnection(ctx context.Context, c store.Connection) error {
	_, err := q.exec(ctx, sqlInsertConn, c.AccountID, c.Region, c.Name, c.UUID, c.Description, c.AuthorizationType, c.State,
		c.Public, c.Sealed, ts(c.CreatedAt), ts(c.ModifiedAt), ts(c.AuthorizedAt))
	return err
}

func (q *queries) DeleteConnection(ctx context.Context, accountID, region, name string) error {
	res, err := q.exec(ctx, sqlDeleteConn, accountID, region, name)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func scanConnection(scan func(...any) error) (store.Connection, error) {
	var c store.Connection
	var created, modified, authorized int64
	if err := scan(&c.AccountID, &c.Region, &c.Name, &c.UUID, &c.Description, &c.AuthorizationType, &c.State, &c.Public,
		&c.Sealed, &created, &modified, &authorized); err != nil {
		return store.Connection{}, err
	}
	c.CreatedAt, c.ModifiedAt, c.AuthorizedAt = fromTS(created), fromTS(modified), fromTS(authorized)
	return c, nil
}

func (q *queries) GetConnection(ctx context.Context, accountID, region, name string) (store.Connection, error) {
	row, err := q.queryRow(ctx, sqlGetConn, accountID, region, name)
	if err != nil {
		return store.Connection{}, err
	}
	c, err := scanConnection(row.Scan)
	if err != nil {
		return store.Connection{}, notFound(err)
	}
	return c, nil
}

func (q *queries) ListConnections(ctx context.Context, accountID, region string) ([]store.Connection, error) {
	return collect(q, ctx, sqlListConns, scanConnection, accountID, region)
}

func (q *queries) InsertApiDestination(ctx context.Context, d store.ApiDestination) error {
	_, err := q.exec(ctx, sqlInsertDest, d.AccountID, d.Region, d.Name, d.UUID, d.Description, d.ConnectionArn, d.Endpoint,
		d.HTTPMethod, d.RateLimit, d.State, ts(d.CreatedAt), ts(d.ModifiedAt))
	return err
}

func (q *queries) DeleteApiDestination(ctx context.Context, accountID, region, name string) error {
	res, err := q.exec(ctx, sqlDeleteDest, accountID, region, name)
	if err != nil {
		return err
	}
	return oneRow(res)
}

func scanApiDestination(scan func(...any) error) (store.ApiDestination, error) {
	var d store.ApiDestination
	var created, modified int64
	if err := scan(&d.AccountID, &d.Region, &d.Name, &d.UUID, &d.Description, &d.ConnectionArn, &d.Endpoint, &d.HTTPMethod,
		&d.RateLimit, &d.State, &created, &modified); err != nil {
		return store.ApiDestination{}, err
	}
	d.CreatedAt, d.ModifiedAt = fromTS(created), fromTS(modified)
	return d, nil
}

func (q *queries) GetApiDestination(ctx context.Context, accountID, region, name string) (store.ApiDestination, error) {
	row, err := q.queryRow(ctx, sqlGetDest, accountID, region, name)
	if err != nil {
		return store.ApiDestination{}, err
	}
	d, err := scanApiDestination(row.Scan)
	if err != nil {
		return store.ApiDestination{}, notFound(err)
	}
	return d, nil
}

func (q *queries) ListApiDestinations(ctx context.Context, accountID, region string) ([]store.ApiDestination, error) {
	return collect(q, ctx, sqlListDests, scanApiDestination, accountID, region)
}

func (s *Store) GetConnection(ctx context.Context, accountID, region, name string) (store.Connection, error) {
	return s.rq.GetConnection(ctx, accountID, region, name)
}

func (s *Store) ListConnections(ctx context.Context, accountID, region string) ([]store.Connection, error) {
	return s.rq.ListConnections(ctx, accountID, region)
}

func (s *Store) GetApiDestination(ctx context.Context, accountID, region, name string) (store.ApiDestination, error) {
	return s.rq.GetApiDestination(ctx, accountID, region, name)
}

func (s *Store) ListApiDestinations(ctx context.Context, accountID, region string) ([]store.ApiDestination, error) {
	return s.rq.ListApiDestinations(ctx, accountID, region)
}
