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
// each new connection on the first host that accepts it, and drops a pooled
// connection whose server has gone. What it cannot do is save the query
// that was running when the server died: that one fails with a broken
// connection. failover runs such a query again, on a fresh connection, so
// a reader sees no error when a replica dies under it. Every read is safe
// to repeat; so is every write (a repeated INSERT carries the same rows
// with the same versions, which reads collapse), and the store's inserts
// are repeated the same way (Store.insert).
//
// A query is repeated only before it has handed out a row: a result that
// breaks half way is an error for the caller, as repeating it would hand
// out rows twice. Our answers are one block (up to 65,536 rows), sent in one
// piece, so in practice the break comes before the first row.

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

// failover is a driver.Conn on several hosts that repeats queries cut off
// by a lost connection.
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
	if err != nil {
		return nil, err
	}
	return &failoverRows{Rows: rows, again: func() (driver.Rows, error) { return f.Conn.Query(ctx, query, args...) }, ctx: ctx}, nil
}

func (f failover) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	return &failoverRow{run: func() driver.Row { return f.Conn.QueryRow(ctx, query, args...) }, ctx: ctx}
}

// failoverRows repeats its query while it has handed out no row.
type failoverRows struct {
	driver.Rows
	again  func() (driver.Rows, error)
	ctx    context.Context
	handed bool
	tries  int
	err    error
}

func (r *failoverRows) Next() bool {
	for {
		if r.Rows.Next() {
			r.handed = true
			return true
		}
		err := r.Rows.Err()
		if r.handed || !brokenConn(err) || r.tries >= failoverAttempts-1 {
			return false
		}
		r.tries++
		r.Rows.Close()
		select {
		case <-r.ctx.Done():
			r.err = err
			return false
		case <-time.After(failoverPause * time.Duration(r.tries)):
		}
		rows, qerr := r.again()
		if qerr != nil {
			if !brokenConn(qerr) {
				r.err = qerr
				return false
			}
			continue // the failed query is the next try
		}
		r.Rows = rows
	}
}

func (r *failoverRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
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
