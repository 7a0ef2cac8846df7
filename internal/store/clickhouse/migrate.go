package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// migration is one step of the schema. ClickHouse runs one statement per
// query, so a step is a list; every statement is idempotent (IF NOT EXISTS)
// because ClickHouse has no transactional DDL: a step interrupted half way
// is simply run again.
type migration struct {
	version    uint32
	name       string
	statements []string
}

// migrations are applied in order and never edited once released; a change
// of schema is a new step.
//
// Keys are the ORDER BY of each ReplacingMergeTree, so FINAL collapses
// exactly the rows that share a key. Bars are partitioned by month, so a
// one-day query reads one partition (about 105k rows for 5,000 stocks) and
// one stock's history reads one granule range per month. (trade_date,
// ts_code) would make the one-day queries a little faster but one stock's
// history ten times slower; bench_test.go has the figures.
var migrations = []migration{
	{1, "market tables", []string{
		`CREATE TABLE IF NOT EXISTS stock_basic (
			ts_code     String,
			symbol      String,
			name        String,
			area        String,
			industry    String,
			market      String,
			exchange    String,
			list_date   Date,
			delist_date Date,
			list_status String,
			synthetic   UInt8,
			version     UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY ts_code`,

		`CREATE TABLE IF NOT EXISTS daily (
			ts_code    String,
			trade_date Date,
			open       Float64,
			high       Float64,
			low        Float64,
			close      Float64,
			pre_close  Float64,
			change     Float64,
			pct_chg    Float64,
			vol        Float64,
			amount     Float64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,

		`CREATE TABLE IF NOT EXISTS daily_basic (
			ts_code       String,
			trade_date    Date,
			close         Nullable(Float64),
			turnover_rate Nullable(Float64),
			volume_ratio  Nullable(Float64),
			pe            Nullable(Float64),
			pe_ttm        Nullable(Float64),
			pb            Nullable(Float64),
			ps            Nullable(Float64),
			dv_ratio      Nullable(Float64),
			total_share   Nullable(Float64),
			float_share   Nullable(Float64),
			total_mv      Nullable(Float64),
			circ_mv       Nullable(Float64),
			version       UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,

		`CREATE TABLE IF NOT EXISTS adj_factor (
			ts_code    String,
			trade_date Date,
			adj_factor Float64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,

		`CREATE TABLE IF NOT EXISTS etf_basic (
			ts_code     String,
			name        String,
			index_code  String,
			index_name  String,
			exchange    String,
			mgr_name    String,
			list_date   Date,
			list_status String,
			synthetic   UInt8,
			version     UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY ts_code`,

		`CREATE TABLE IF NOT EXISTS etf_daily (
			ts_code    String,
			trade_date Date,
			open       Float64,
			high       Float64,
			low        Float64,
			close      Float64,
			pre_close  Float64,
			change     Float64,
			pct_chg    Float64,
			vol        Float64,
			amount     Float64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,

		`CREATE TABLE IF NOT EXISTS trade_cal (
			exchange      String,
			cal_date      Date,
			is_open       UInt8,
			pretrade_date Date,
			version       UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY (exchange, cal_date)`,

		`CREATE TABLE IF NOT EXISTS sync_state (
			dataset    String,
			trade_date Date,
			rows       UInt64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY (dataset, trade_date)`,
	}},
	// 18.16 has no DateTime64, so times are Unix milliseconds. A delete
	// writes a tombstone (deleted = 1) that replaces the live row.
	{2, "workflows", []string{
		`CREATE TABLE IF NOT EXISTS workflows (
			id          String,
			name        String,
			category    String,
			is_template UInt8,
			doc         String,
			created_at  UInt64,
			updated_at  UInt64,
			deleted     UInt8,
			version     UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY id`,
	}},
	// The limit rule's inputs (name history, the exchange's limit prices)
	// and indices, shaped as Tushare's namechange, stk_limit, index_basic
	// and index_daily. The bar-like tables follow the other bar tables'
	// partitioning and key, so a later change of those applies to all.
	// ann_date and end_date are Date: 1970-01-01 stands for NULL and sorts
	// first, as NULL does in SQLite.
	{3, "limits and indices", []string{
		`CREATE TABLE IF NOT EXISTS namechange (
			ts_code       String,
			start_date    Date,
			name          String,
			end_date      Date,
			ann_date      Date,
			change_reason String,
			version       UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY (ts_code, start_date, name)`,

		`CREATE TABLE IF NOT EXISTS stk_limit (
			ts_code    String,
			trade_date Date,
			pre_close  Nullable(Float64),
			up_limit   Nullable(Float64),
			down_limit Nullable(Float64),
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,

		`CREATE TABLE IF NOT EXISTS index_basic (
			ts_code    String,
			name       String,
			market     String,
			publisher  String,
			category   String,
			base_date  Date,
			base_point Float64,
			list_date  Date,
			synthetic  UInt8,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY ts_code`,

		`CREATE TABLE IF NOT EXISTS index_daily (
			ts_code    String,
			trade_date Date,
			open       Float64,
			high       Float64,
			low        Float64,
			close      Float64,
			pre_close  Float64,
			change     Float64,
			pct_chg    Float64,
			vol        Float64,
			amount     Float64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(trade_date)
		ORDER BY (ts_code, trade_date)`,
	}},
	// Workflow runs: written when a run starts and again when it ends, so
	// reads take the newest version with FINAL. A run never changes its
	// workflow, so the key (workflow_id, id) collapses the versions of an
	// id as id alone would, and a workflow's history is one key range.
	// Times are Unix milliseconds (no DateTime64 in 18.16); 0 = not yet.
	{4, "runs", []string{
		`CREATE TABLE IF NOT EXISTS runs (
			id            String,
			workflow_id   String,
			status        String,
			model         String,
			instance      String,
			started_at    UInt64,
			finished_at   UInt64,
			latency_ms    UInt64,
			input_tokens  UInt64,
			output_tokens UInt64,
			trace_id      String,
			error_code    String,
			variables     String,
			doc           String,
			version       UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY (workflow_id, id)`,
	}},
	// The fencing token of the sync lease each sync record was written
	// under (0: a sync without a lease); see MarkSynced. 18.16 has no ADD
	// COLUMN IF NOT EXISTS: Migrate takes "already exists" as done.
	{5, "sync fence", []string{
		`ALTER TABLE sync_state ADD COLUMN fence UInt64`,
	}},
}

// Migrate creates the database when it is missing (through the "default"
// database, which always exists), then applies the steps not yet recorded
// in schema_migrations. Running it again, or from two processes at once,
// is harmless.
func (s *Store) Migrate(ctx context.Context) error {
	// The name was checked against identRE in Open.
	if err := s.admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
		return s.connErr(fmt.Errorf("create database %s: %w", s.db, err))
	}
	if err := s.conn.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    UInt32,
			name       String,
			applied_at DateTime
		) ENGINE = ReplacingMergeTree(applied_at)
		ORDER BY version`); err != nil {
		return s.connErr(fmt.Errorf("create schema_migrations: %w", err))
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if err := s.conn.Exec(ctx, stmt); err != nil && !columnExists(err) {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if err := s.recordMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// columnExists tells an ADD COLUMN of a step that ran half way before (the
// column is there) from a real failure.
func columnExists(err error) bool {
	var exc *ch.Exception
	return errors.As(err, &exc) && exc.Code == 44 && strings.Contains(exc.Message, "already exists")
}

func (s *Store) appliedMigrations(ctx context.Context) (map[uint32]bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

func (s *Store) recordMigration(ctx context.Context, m migration) error {
	batch, err := s.conn.PrepareBatch(ctx, `INSERT INTO schema_migrations (version, name, applied_at)`)
	if err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	defer batch.Close()
	if err := batch.Append(m.version, m.name, time.Now()); err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	return nil
}
