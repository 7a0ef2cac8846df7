package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/stockdatasource/stockd/internal/market"
)

// TestBrokenConn pins down which errors send a query to another host: a
// lost connection does, an answer of the server or the caller's own end
// does not (repeating those elsewhere would only repeat the failure).
func TestBrokenConn(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{ch.ErrAcquireConnTimeout, true},
		{nil, false},
		{&ch.Exception{Code: 62, Message: "Syntax error"}, false},
		{fmt.Errorf("query: %w", &ch.Exception{Code: 999, Message: "Keeper exception"}), false},
		{context.Canceled, false},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), false},
		{errors.New("some other error"), false},
	} {
		if got := brokenConn(c.err); got != c.want {
			t.Errorf("brokenConn(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestFailoverPastADeadHost lists a host where nothing listens before the
// real server: the store opens, migrates, writes and reads on the second,
// and sticks to it.
func TestFailoverPastADeadHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // a port that refuses connections
	st := openFreshOn(t, Options{Addr: dead + "," + clickHouseAddr(t)})
	ctx := context.Background()
	day := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	if err := st.PutDaily(ctx, []market.DailyBar{{TSCode: "600519.SH", TradeDate: day, Close: 1500, Amount: 1}}); err != nil {
		t.Fatal(err)
	}
	bars, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{})
	if err != nil || len(bars) != 1 || bars[0].Close != 1500 {
		t.Fatalf("Bars = %+v, %v", bars, err)
	}
	if h := st.host.Load(); h != 1 {
		t.Errorf("the store talks to host %d, want 1 (the one that answered)", h)
	}
}
