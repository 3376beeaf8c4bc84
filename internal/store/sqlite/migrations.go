package sqlite

// migrations are applied in order, each once, recorded in schema_migrations.
// Never edit a released migration: append a new one.
var migrations = []string{
	`CREATE TABLE accounts (
		account_id TEXT PRIMARY KEY,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE access_keys (
		access_key_id TEXT PRIMARY KEY,
		account_id    TEXT NOT NULL REFERENCES accounts(account_id),
		secret_sealed BLOB NOT NULL,
		created_at    INTEGER NOT NULL
	);
	CREATE TABLE certificate_authorities (
		seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
		id                     TEXT NOT NULL UNIQUE,
		account_id             TEXT NOT NULL,
		region                 TEXT NOT NULL,
		arn                    TEXT NOT NULL UNIQUE,
		type                   TEXT NOT NULL,
		status                 TEXT NOT NULL,
		status_before_deletion TEXT NOT NULL DEFAULT '',
		failure_reason         TEXT NOT NULL DEFAULT '',
		usage_mode             TEXT NOT NULL,
		key_storage            TEXT NOT NULL,
		config_json            BLOB NOT NULL,
		revocation_json        BLOB,
		key_handle             BLOB,
		csr_pem                TEXT NOT NULL DEFAULT '',
		certificate_pem        TEXT NOT NULL DEFAULT '',
		chain_pem              TEXT NOT NULL DEFAULT '',
		serial                 TEXT NOT NULL DEFAULT '',
		not_before             INTEGER NOT NULL DEFAULT 0,
		not_after              INTEGER NOT NULL DEFAULT 0,
		created_at             INTEGER NOT NULL,
		last_state_change_at   INTEGER NOT NULL,
		restorable_until       INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX certificate_authorities_owner ON certificate_authorities(account_id, region, seq);
	CREATE TABLE ca_tags (
		ca_id TEXT NOT NULL,
		key   TEXT NOT NULL,
		value TEXT,
		PRIMARY KEY (ca_id, key)
	);
	CREATE TABLE certificates (
		ca_id             TEXT NOT NULL,
		serial            TEXT NOT NULL,
		status            TEXT NOT NULL,
		der               BLOB,
		failure_reason    TEXT NOT NULL DEFAULT '',
		template          TEXT NOT NULL DEFAULT '',
		issued_at         INTEGER NOT NULL,
		not_before        INTEGER NOT NULL DEFAULT 0,
		not_after         INTEGER NOT NULL DEFAULT 0,
		revoked_at        INTEGER NOT NULL DEFAULT 0,
		revocation_reason TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (ca_id, serial)
	) WITHOUT ROWID;
	CREATE TABLE idempotency (
		account_id   TEXT NOT NULL,
		operation    TEXT NOT NULL,
		token        TEXT NOT NULL,
		request_hash TEXT NOT NULL,
		result       TEXT NOT NULL,
		created_at   INTEGER NOT NULL,
		PRIMARY KEY (account_id, operation, token)
	) WITHOUT ROWID;
	CREATE TABLE outbox (
		seq         INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id    TEXT NOT NULL UNIQUE,
		account_id  TEXT NOT NULL,
		region      TEXT NOT NULL,
		detail_type TEXT NOT NULL,
		payload     BLOB NOT NULL,
		created_at  INTEGER NOT NULL
	);`,
	`CREATE TABLE ca_policies (
		ca_id      TEXT PRIMARY KEY,
		policy     TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE ca_policy_principals (
		account_id TEXT NOT NULL,
		ca_id      TEXT NOT NULL,
		PRIMARY KEY (account_id, ca_id)
	) WITHOUT ROWID;
	CREATE TABLE ca_permissions (
		ca_id          TEXT NOT NULL,
		principal      TEXT NOT NULL,
		source_account TEXT NOT NULL,
		actions        TEXT NOT NULL,
		created_at     INTEGER NOT NULL,
		PRIMARY KEY (ca_id, principal, source_account)
	) WITHOUT ROWID;`,
	// 3: the event bus — buses, rules, targets, the relay's cursor and the
	// per-target delivery queue (retry timers live here, not in memory).
	`CREATE TABLE event_buses (
		account_id TEXT NOT NULL,
		region     TEXT NOT NULL,
		name       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (account_id, region, name)
	) WITHOUT ROWID;
	CREATE TABLE event_rules (
		account_id          TEXT NOT NULL,
		region              TEXT NOT NULL,
		bus_name            TEXT NOT NULL,
		name                TEXT NOT NULL,
		event_pattern       TEXT NOT NULL DEFAULT '',
		schedule_expression TEXT NOT NULL DEFAULT '',
		state               TEXT NOT NULL,
		description         TEXT NOT NULL DEFAULT '',
		role_arn            TEXT NOT NULL DEFAULT '',
		created_at          INTEGER NOT NULL,
		PRIMARY KEY (account_id, region, bus_name, name)
	) WITHOUT ROWID;
	CREATE TABLE event_targets (
		account_id TEXT NOT NULL,
		region     TEXT NOT NULL,
		bus_name   TEXT NOT NULL,
		rule_name  TEXT NOT NULL,
		target_id  TEXT NOT NULL,
		arn        TEXT NOT NULL,
		config     BLOB NOT NULL,
		PRIMARY KEY (account_id, region, bus_name, rule_name, target_id)
	) WITHOUT ROWID;
	ALTER TABLE outbox ADD COLUMN bus_name TEXT NOT NULL DEFAULT 'default';
	CREATE TABLE dispatch_cursors (
		name        TEXT PRIMARY KEY,
		seq         INTEGER NOT NULL,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE deliveries (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id    TEXT NOT NULL,
		account_id  TEXT NOT NULL,
		region      TEXT NOT NULL,
		rule_arn    TEXT NOT NULL,
		target_id   TEXT NOT NULL,
		target_arn  TEXT NOT NULL,
		target      BLOB NOT NULL,
		payload     BLOB NOT NULL,
		attempts    INTEGER NOT NULL DEFAULT 0,
		event_time  INTEGER NOT NULL,
		next_at     INTEGER NOT NULL,
		last_error  TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX deliveries_due ON deliveries(next_at);
	CREATE TABLE event_connections (
		account_id         TEXT NOT NULL,
		region             TEXT NOT NULL,
		name               TEXT NOT NULL,
		uuid               TEXT NOT NULL,
		description        TEXT NOT NULL DEFAULT '',
		authorization_type TEXT NOT NULL,
		state              TEXT NOT NULL,
		public_params      BLOB NOT NULL,
		sealed_params      BLOB NOT NULL,
		created_at         INTEGER NOT NULL,
		modified_at        INTEGER NOT NULL,
		authorized_at      INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (account_id, region, name)
	) WITHOUT ROWID;
	CREATE TABLE event_api_destinations (
		account_id     TEXT NOT NULL,
		region         TEXT NOT NULL,
		name           TEXT NOT NULL,
		uuid           TEXT NOT NULL,
		description    TEXT NOT NULL DEFAULT '',
		connection_arn TEXT NOT NULL,
		endpoint       TEXT NOT NULL,
		http_method    TEXT NOT NULL,
		rate_limit     INTEGER NOT NULL DEFAULT 0,
		state          TEXT NOT NULL,
		created_at     INTEGER NOT NULL,
		modified_at    INTEGER NOT NULL,
		PRIMARY KEY (account_id, region, name)
	) WITHOUT ROWID;`,
	// 4: SQS-compatible queues. Messages carry their own visibility timer,
	// receive count and latest receipt token; retention is applied by sent_at.
	`CREATE TABLE queues (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		account_id  TEXT NOT NULL,
		region      TEXT NOT NULL,
		name        TEXT NOT NULL,
		arn         TEXT NOT NULL,
		attributes  BLOB NOT NULL,
		tags        BLOB NOT NULL,
		created_at  INTEGER NOT NULL,
		modified_at INTEGER NOT NULL,
		purged_at   INTEGER NOT NULL DEFAULT 0,
		UNIQUE (account_id, region, name)
	);
	CREATE TABLE queue_messages (
		id                INTEGER PRIMARY KEY AUTOINCREMENT,
		queue_id          INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
		message_id        TEXT NOT NULL,
		body              TEXT NOT NULL,
		attributes        BLOB,
		md5_body          TEXT NOT NULL,
		md5_attributes    TEXT NOT NULL DEFAULT '',
		sender_id         TEXT NOT NULL,
		sent_at           INTEGER NOT NULL,
		visible_at        INTEGER NOT NULL,
		receive_count     INTEGER NOT NULL DEFAULT 0,
		first_received_at INTEGER NOT NULL DEFAULT 0,
		receipt           TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX queue_messages_visible ON queue_messages(queue_id, visible_at, id);
	CREATE INDEX queue_messages_sent ON queue_messages(queue_id, sent_at);`,
}
