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
	// One code's reads (basic, K-lines) get tables of their own, kept by
	// materialized views, so the bar tables keep the monthly partitions the
	// whole-market day reads want. See perStockMigration.
	perStockMigration(),
	// The fencing token of the sync lease each sync record was written
	// under (0: a sync without a lease); see MarkSynced. 18.16 has no ADD
	// COLUMN IF NOT EXISTS: Migrate takes "already exists" as done.
	{6, "sync fence", []string{
		`ALTER TABLE sync_state ADD COLUMN fence UInt64`,
	}},
}

// Bar and valuation columns, in the order the per-stock tables keep them.
const (
	barValueColumns = "open, high, low, close, pre_close, change, pct_chg, vol, amount"
	basicColumns    = "close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio, total_share, float_share, total_mv, circ_mv"
)

// perStockMigration builds step 5. A code's rows in the bar tables are
// spread over every monthly partition (48 on the 5,000 × 1,000 demo), and
// each partition costs a granule of 8,192 rows per column to read one code's
// 21 rows; a coarser partitioning would instead make every day read scan a
// year. So the per-stock reads get their own copies, filled by materialized
// views on every insert (whoever writes) and backfilled from the rows
// already stored:
//
//   - bars_by_code: every row of daily, etf_daily and index_daily (source
//     names the table), unpartitioned and ordered (ts_code, trade_date) in
//     granules of 256 rows, so a year of one code is about one granule per
//     part (8,192 rows per granule read 30 times as many rows and took
//     twice as long); adj_factor_by_code likewise for the factors. Same
//     rows, same versions: reads collapse re-loads with argMax(row,
//     version) per day.
//   - bars_latest, adj_factor_latest, daily_basic_latest: the newest row of
//     each code as an argMax state by (trade_date, version), which merges
//     keep exact, so "the newest bar" is one granule of 256 rows (the
//     states are wide: a whole 5,000-row table in one granule took 7 ms)
//     instead of a scan of every partition.
//
// The view is created before its backfill, so rows written meanwhile are
// not missed; a row that arrives both ways is a duplicate with the same
// version, which every read collapses.
func perStockMigration() migration {
	barTuple := "(trade_date, " + barValueColumns + ")"
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS bars_by_code (
			ts_code    String,
			trade_date Date,
			source     String,
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
		ORDER BY (ts_code, trade_date, source)
		SETTINGS index_granularity = 256`,

		`CREATE TABLE IF NOT EXISTS adj_factor_by_code (
			ts_code    String,
			trade_date Date,
			adj_factor Float64,
			version    UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY (ts_code, trade_date)
		SETTINGS index_granularity = 256`,

		`CREATE TABLE IF NOT EXISTS bars_latest (
			ts_code String,
			source  String,
			bar     AggregateFunction(argMax, Tuple(Date, Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64), Tuple(Date, UInt64))
		) ENGINE = AggregatingMergeTree()
		ORDER BY (ts_code, source)
		SETTINGS index_granularity = 256`,

		`CREATE TABLE IF NOT EXISTS adj_factor_latest (
			ts_code String,
			factor  AggregateFunction(argMax, Tuple(Date, Float64), Tuple(Date, UInt64))
		) ENGINE = AggregatingMergeTree()
		ORDER BY ts_code
		SETTINGS index_granularity = 256`,

		`CREATE TABLE IF NOT EXISTS daily_basic_latest (
			ts_code String,
			basic   AggregateFunction(argMax, Tuple(Date, UInt16, Float64, Float64, Float64, Float64, Float64, Float64,
				Float64, Float64, Float64, Float64, Float64, Float64), Tuple(Date, UInt64))
		) ENGINE = AggregatingMergeTree()
		ORDER BY ts_code
		SETTINGS index_granularity = 256`,
	}
	for _, source := range []string{"daily", "etf_daily", "index_daily"} {
		stmts = append(stmts, derived("bars_by_code_"+source, "bars_by_code",
			"ts_code, trade_date, source, "+barValueColumns+", version",
			"SELECT ts_code, trade_date, '"+source+"' AS source, "+barValueColumns+", version FROM "+source)...)
		stmts = append(stmts, derived("bars_latest_"+source, "bars_latest", "ts_code, source, bar",
			"SELECT ts_code, '"+source+"' AS source, argMaxState("+barTuple+", (trade_date, version)) AS bar FROM "+source+
				" GROUP BY ts_code")...)
	}
	stmts = append(stmts, derived("adj_factor_by_code_mv", "adj_factor_by_code", "ts_code, trade_date, adj_factor, version",
		"SELECT ts_code, trade_date, adj_factor, version FROM adj_factor")...)
	stmts = append(stmts, derived("adj_factor_latest_mv", "adj_factor_latest", "ts_code, factor",
		"SELECT ts_code, argMaxState((trade_date, adj_factor), (trade_date, version)) AS factor FROM adj_factor GROUP BY ts_code")...)
	stmts = append(stmts, derived("daily_basic_latest_mv", "daily_basic_latest", "ts_code, basic",
		"SELECT ts_code, argMaxState("+basicTuple()+", (trade_date, version)) AS basic FROM daily_basic GROUP BY ts_code")...)
	return migration{5, "per-stock tables", stmts}
}

// basicTuple is the newest valuation as daily_basic_latest keeps it. 18.16
// garbles a NULL inside a tuple of an aggregate state, so the tuple holds
// (trade_date, null mask, values with NULL as 0): bit i of the mask set
// means the i-th of basicColumns is NULL (basicValues reads them back).
func basicTuple() string {
	cols := strings.Split(basicColumns, ", ")
	mask := make([]string, len(cols))
	vals := make([]string, len(cols))
	for i, c := range cols {
		mask[i] = fmt.Sprintf("%d * isNull(%s)", 1<<i, c)
		vals[i] = "ifNull(" + c + ", 0)"
	}
	return "(trade_date, toUInt16(" + strings.Join(mask, " + ") + "), " + strings.Join(vals, ", ") + ")"
}

// basicValues reads the valuation columns back from the tuple b of
// daily_basic_latest, NULLs restored.
func basicValues(b string) string {
	cols := strings.Split(basicColumns, ", ")
	out := make([]string, len(cols))
	for i := range cols {
		out[i] = fmt.Sprintf("if(bitAnd(%s.2, %d) = 0, %s.%d, NULL)", b, 1<<i, b, i+3)
	}
	return strings.Join(out, ", ")
}

// derived is a materialized view that feeds target with query on every
// insert into the query's table, then the backfill of the rows already
// there. The query's column names are target's columns.
func derived(view, target, columns, query string) []string {
	return []string{
		"CREATE MATERIALIZED VIEW IF NOT EXISTS " + view + " TO " + target + " AS " + query,
		"INSERT INTO " + target + " (" + columns + ") " + query,
	}
}

// schemaMigrationsSQL creates the table that records applied steps.
const schemaMigrationsSQL = `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    UInt32,
			name       String,
			applied_at DateTime
		) ENGINE = ReplacingMergeTree(applied_at)
		ORDER BY version`

// Migrate creates the database when it is missing (through the "default"
// database, which always exists), then applies the steps not yet recorded
// in schema_migrations. Running it again, or from two processes at once,
// is harmless. In cluster mode every statement is rewritten by onCluster
// and runs on every host (ON CLUSTER), which needs every host up; once the
// schema is complete, Migrate runs no DDL at all, so a process starts while
// a replica is down.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx, migrations) }

// migrate applies steps (all migrations, or the first few in tests).
func (s *Store) migrate(ctx context.Context, steps []migration) error {
	var schema *clusterSchema
	if s.cluster != "" {
		schema = newClusterSchema(s.cluster, s.db)
	}
	// exec runs a statement, or with run false only lets the cluster
	// rewrite learn the tables it creates.
	exec := func(stmt string, run bool) error {
		stmts := []string{stmt}
		if schema != nil {
			var err error
			if stmts, err = schema.onCluster(stmt); err != nil {
				return err
			}
		}
		for _, q := range stmts {
			if !run {
				continue
			}
			if err := s.conn.Exec(ctx, q); err != nil {
				return s.connErr(err)
			}
		}
		return nil
	}
	ready, err := s.hasTable(ctx, "schema_migrations")
	if err != nil {
		return err
	}
	if !ready || schema == nil {
		// The name was checked against identRE in Open.
		create := "CREATE DATABASE IF NOT EXISTS " + s.db
		if schema != nil {
			create += " ON CLUSTER " + s.cluster
		}
		if err := s.admin.Exec(ctx, create); err != nil {
			return s.connErr(fmt.Errorf("create database %s: %w", s.db, err))
		}
	}
	if err := exec(schemaMigrationsSQL, !ready || schema == nil); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range steps {
		for _, stmt := range m.statements {
			if err := exec(stmt, !applied[m.version]); err != nil && !columnExists(err) {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if applied[m.version] {
			continue
		}
		if err := s.recordMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// hasTable reports whether the database holds table on the host the store
// talks to.
func (s *Store) hasTable(ctx context.Context, table string) (bool, error) {
	var n uint64
	if err := s.admin.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = ?`,
		s.db, table).Scan(&n); err != nil {
		return false, s.connErr(fmt.Errorf("look up %s.%s: %w", s.db, table, err))
	}
	return n > 0, nil
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
