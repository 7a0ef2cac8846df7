// Package clickhouse is the market.Store kept in ClickHouse, spoken to over
// the native protocol with clickhouse-go v2.
//
// Every table is a ReplacingMergeTree whose version column is the write time
// in nanoseconds, so re-ingesting a row replaces it. Until ClickHouse merges
// the parts both copies exist on disk; every read therefore uses FINAL (or an
// aggregate that does not care about duplicates, or argMax by version) so
// that answers never double-count.
//
// The bar tables are partitioned by month and ordered (ts_code,
// trade_date), which suits the whole-market day reads. One code's reads
// (basic info, K-lines) have tables of their own, kept by materialized
// views on every insert: bars_by_code and adj_factor_by_code hold the same
// rows in code order without partitions, and the *_latest tables hold each
// code's newest row (migrate.go, perStockMigration).
//
// One server is the default. With Options.Cluster the same migrations build
// a replicated, sharded schema on a ClickHouse cluster: each statement is
// rewritten by cluster.go, so a table added by a later migration needs
// nothing of its own. Write it as for one server — CREATE TABLE IF NOT
// EXISTS t (…) ENGINE = ReplacingMergeTree(version) …, with a ts_code column
// if its rows belong to a code — and in cluster mode it becomes a
// replicated local table (sharded by ts_code behind a Distributed table
// named t, or replicated on every host when it has no ts_code). Views,
// ALTER … COLUMN and INSERT … SELECT backfills are rewritten too; any other
// statement is refused by TestOnClusterCoversEveryMigration. Several hosts
// in Options.Addr give client-side failover (failover.go).
//
// The SQL runs on ClickHouse 18.16 (what the tests start) and 25.8 (what
// production runs): no window functions, no {p:Type} parameters, no
// LowCardinality, no DateTime64, inserts with explicit column lists, no NULL
// inside an aggregate state's tuple (18.16 garbles it).
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// Options says where the store lives.
type Options struct {
	// Addr is host:port of the native protocol, e.g. 127.0.0.1:9000, or
	// several separated by commas: connections go to the first that
	// answers, and a read or write cut off by a lost connection is retried
	// on the next (client-side failover; see failover.go).
	Addr     string
	User     string // empty means "default"
	Password string
	Database string // created by Migrate when missing; empty means "stock_data"
	// Cluster names a cluster of the servers' remote_servers: the schema is
	// then replicated and sharded (see cluster.go). Empty means one server.
	Cluster string
	Debug   bool // log the driver's protocol chatter at debug level
}

// Store is a market.Store on ClickHouse. It is safe for concurrent use.
type Store struct {
	addr    string // as given, for messages
	addrs   []string
	db      string
	cluster string
	opts    Options

	// conn talks to the configured database; admin to "default", which
	// always exists, so that Open and Migrate work on a fresh server.
	conn  driver.Conn
	admin driver.Conn

	mu          sync.Mutex
	lastVersion uint64

	// host is the index in addrs of the host connections are opened on.
	host atomic.Int32

	// refs keeps stock_basic and namechange for the day reads.
	refs market.RefCache
}

var _ market.Store = (*Store)(nil)

// identRE is what we accept as a database or cluster name: it is spliced
// into SQL, so nothing that could end or escape an identifier gets through.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Open connects to the server and checks that it answers. The database
// need not exist yet: Migrate creates it.
func Open(ctx context.Context, o Options) (*Store, error) {
	var addrs []string
	for _, a := range strings.Split(o.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("clickhouse: no address")
	}
	if o.Database == "" {
		o.Database = "stock_data"
	}
	if !identRE.MatchString(o.Database) {
		return nil, fmt.Errorf("clickhouse: invalid database name %q: want letters, digits and _", o.Database)
	}
	if o.Cluster != "" && !identRE.MatchString(o.Cluster) {
		return nil, fmt.Errorf("clickhouse: invalid cluster name %q: want letters, digits and _", o.Cluster)
	}
	if o.User == "" {
		o.User = "default"
	}
	s := &Store{addr: strings.Join(addrs, ","), addrs: addrs, db: o.Database, cluster: o.Cluster, opts: o}
	var err error
	if s.admin, err = s.connect("default"); err != nil {
		return nil, err
	}
	// Connections are made lazily: the database may not exist until Migrate.
	if s.conn, err = s.connect(o.Database); err != nil {
		s.admin.Close()
		return nil, err
	}
	if err := s.admin.Ping(ctx); err != nil {
		s.Close()
		return nil, s.connErr(err)
	}
	if s.cluster != "" {
		if err := s.checkCluster(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) connect(database string) (driver.Conn, error) {
	opts := &ch.Options{
		Protocol: ch.Native,
		Addr:     s.addrs,
		Auth: ch.Auth{
			Database: database,
			Username: s.opts.User,
			Password: s.opts.Password,
		},
		DialTimeout:     5 * time.Second,
		ConnMaxLifetime: time.Hour,
		DialStrategy:    s.dialSticky,
		ClientInfo: ch.ClientInfo{
			Products: []struct{ Name, Version string }{{Name: "stockd"}},
		},
	}
	if s.cluster != "" {
		opts.Settings = ch.Settings{
			// A write to a Distributed table returns once a replica of
			// its shard has stored it, not when it is queued locally.
			"insert_distributed_sync": 1,
			// A replica that is catching up after a restart is passed
			// over for reads through the Distributed tables while it
			// is more than this many seconds behind.
			"max_replica_delay_for_distributed_queries": maxReplicaDelay,
		}
	}
	if s.opts.Debug {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", s.addr, err)
	}
	if len(s.addrs) > 1 {
		return failover{conn}, nil
	}
	return conn, nil
}

// dialSticky opens a connection on the host the last one was opened on,
// else on the next host that answers, in the order configured. A process
// thus talks to one host at a time — the first while it is up — and so
// reads its own writes from the replica that took them; after a failover it
// stays on the host it moved to rather than going back to a restarted
// replica that may still be catching up.
func (s *Store) dialSticky(ctx context.Context, _ int, opt *ch.Options, dial ch.Dial) (ch.DialResult, error) {
	start := int(s.host.Load())
	var err error
	for i := range opt.Addr {
		n := (start + i) % len(opt.Addr)
		var r ch.DialResult
		if r, err = dial(ctx, opt.Addr[n], opt); err == nil {
			s.host.Store(int32(n))
			return r, nil
		}
	}
	return ch.DialResult{}, err
}

// maxReplicaDelay is max_replica_delay_for_distributed_queries in cluster
// mode, in seconds.
const maxReplicaDelay = 5

// checkCluster makes sure the server knows the cluster, so a typo fails at
// start rather than at the first DDL.
func (s *Store) checkCluster(ctx context.Context) error {
	var hosts uint64
	if err := s.admin.QueryRow(ctx, `SELECT count() FROM system.clusters WHERE cluster = ?`, s.cluster).Scan(&hosts); err != nil {
		return s.connErr(fmt.Errorf("look up cluster %s: %w", s.cluster, err))
	}
	if hosts == 0 {
		return fmt.Errorf("clickhouse %s: cluster %q is not in the server's remote_servers", s.addr, s.cluster)
	}
	return nil
}

// connErr names the server in an error and, for the common network
// failures, says plainly what happened ("clickhouse 127.0.0.1:9000:
// connection refused") while keeping the cause for errors.Is.
func (s *Store) connErr(err error) error {
	var exc *ch.Exception
	switch {
	case errors.As(err, &exc):
		return fmt.Errorf("clickhouse %s: %w", s.addr, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("clickhouse %s: connection refused: %w", s.addr, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("clickhouse %s: %w", s.addr, err)
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("clickhouse %s: timed out: %w", s.addr, err)
	}
	return fmt.Errorf("clickhouse %s: %w", s.addr, err)
}

// Kind is "clickhouse".
func (s *Store) Kind() string { return "clickhouse" }

// Database is the name of the database the store keeps its tables in.
func (s *Store) Database() string { return s.db }

// Ping checks that the server answers and the database exists.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return s.connErr(err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	return errors.Join(s.conn.Close(), s.admin.Close())
}

// versions reserves n consecutive row versions. They start at the wall
// clock in nanoseconds and never go backwards within the process, so the
// last write wins even when two writes share a clock tick; rows of one call
// get ascending versions so that a key repeated inside a call keeps its last
// row, as an upsert would.
func (s *Store) versions(n int) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v + uint64(n) - 1
	return v
}

// dateArg renders a date for a `?` placeholder compared with a Date column.
// A string literal converts to Date on both 18.16 and 25.8 and keeps the
// primary key usable.
func dateArg(t time.Time) string { return t.Format("2006-01-02") }

// fromDate turns a Date read back into midnight UTC; ClickHouse stores the
// zero time as 1970-01-01, which we read back as the zero time.
func fromDate(t time.Time) time.Time {
	y, m, d := t.Date()
	if y == 1970 && m == time.January && d == 1 {
		return time.Time{}
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Dates outside what a ClickHouse Date holds would wrap around silently.
var (
	minDate = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC) // 1970-01-01 reads back as "no date"
	maxDate = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

func checkDate(field string, t time.Time, required bool) error {
	if t.IsZero() {
		if required {
			return fmt.Errorf("%s is missing", field)
		}
		return nil
	}
	if t.Before(minDate) || t.After(maxDate) {
		return fmt.Errorf("%s %s is out of range 1970-01-02..2105-12-31", field, market.FormatDate(t))
	}
	return nil
}
