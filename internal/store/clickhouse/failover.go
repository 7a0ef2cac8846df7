package clickhouse

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Client-side failover. With several hosts in Options.Addr the driver opens
// each new connection on a host that accepts it (dialSticky), and drops a
// pooled connection whose server has gone. What it cannot do is save the
// query that was running when the server died: that one fails with a
// broken connection. So with several hosts the store runs such a query
// again, on a fresh connection, and a reader sees no error when a replica
// dies under it:
//
//   - a single-row read (QueryRow) and a statement (Exec) are repeated by
//     the failover connection;
//   - a read of several rows is repeated whole, from its first row, by
//     queryAll (or Store.retry around a read made of several queries):
//     a result can break after some of its rows were handed out, so the
//     rows must be collected afresh;
//   - an insert is sent again by Store.insert: the same rows with the same
//     versions, which reads collapse should the first copy have arrived.
//
// Every read is safe to repeat, and so is every write.

// failoverAttempts bounds the tries of one query: the first, then one per
// pooled connection that may still point at the dead server (the pool
// checks sockets, so usually one retry is enough), with a short pause
// between them.
const failoverAttempts = 4

var failoverPause = 50 * time.Millisecond

// brokenConn reports whether err means the connection or the server went
// away (so the query can go to another host), as opposed to an answer of
// the server (a ClickHouse exception) or the caller's own deadline.
func brokenConn(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var exc *ch.Exception
	if errors.As(err, &exc) {
		return false
	}
	var nerr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, ch.ErrAcquireConnTimeout) || errors.As(err, &nerr)
}

// retry runs fn until it succeeds, fails for another reason than a broken
// connection, or has had its attempts.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for i := range failoverAttempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(failoverPause * time.Duration(i)):
			}
		}
		if err = fn(); !brokenConn(err) {
			return err
		}
	}
	return err
}

// failover is a driver.Conn on several hosts that repeats single-row reads
// and statements cut off by a lost connection, and a query whose first
// answer is a lost connection.
type failover struct {
	driver.Conn
}

func (f failover) Exec(ctx context.Context, query string, args ...any) error {
	return retry(ctx, func() error { return f.Conn.Exec(ctx, query, args...) })
}

func (f failover) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	var rows driver.Rows
	err := retry(ctx, func() error {
		var err error
		rows, err = f.Conn.Query(ctx, query, args...)
		return err
	})
	return rows, err
}

func (f failover) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	return &failoverRow{run: func() driver.Row { return f.Conn.QueryRow(ctx, query, args...) }, ctx: ctx}
}

// failoverRow runs its query when scanned, as many times as retry allows.
type failoverRow struct {
	run func() driver.Row
	ctx context.Context
	err error
}

func (r *failoverRow) Err() error { return r.err }

func (r *failoverRow) Scan(dest ...any) error {
	r.err = retry(r.ctx, func() error { return r.run().Scan(dest...) })
	return r.err
}

func (r *failoverRow) ScanStruct(dest any) error {
	r.err = retry(r.ctx, func() error { return r.run().ScanStruct(dest) })
	return r.err
}

// retry is the package's retry when the store has several hosts, and a
// single try otherwise (one server: nowhere else to go).
func (s *Store) retry(ctx context.Context, fn func() error) error {
	if len(s.addrs) > 1 {
		return retry(ctx, fn)
	}
	return fn()
}

// queryAll runs query and scans every row into a new T with scan. With
// several hosts a result cut off by a lost connection is read again, whole.
// Errors are the driver's; callers name the read.
func queryAll[T any](ctx context.Context, s *Store, query string, args []any, scan func(rows driver.Rows, v *T) error) ([]T, error) {
	var out []T
	err := s.retry(ctx, func() error {
		out = nil
		rows, err := s.conn.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v T
			if err := scan(rows, &v); err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}
