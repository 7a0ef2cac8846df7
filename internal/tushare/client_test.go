package tushare

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

const testToken = "test-token-0123456789"

// quietLogger keeps the expected retry warnings out of test output; run
// with -v and STOCKD_TEST_LOG=1 to see them.
var quietLogger = func() *slog.Logger {
	if os.Getenv("STOCKD_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}()

func newServer(t *testing.T, opt tusharetest.Options) *tusharetest.Server {
	t.Helper()
	opt.Dir = testenv.Snapshot(t)
	opt.Token = testToken
	return tusharetest.New(t, opt)
}

// newTestClient retries fast: the waits are the same code paths, only
// shorter.
func newTestClient(srv *tusharetest.Server, token string) *Client {
	c := NewClient(srv.URL, token, 100000)
	c.BaseDelay, c.MaxDelay = time.Millisecond, 5*time.Millisecond
	c.RateLimitWait = func(time.Time) time.Duration { return 2 * time.Millisecond }
	c.Logger = quietLogger
	return c
}

func TestQueryStockBasic(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	c := newTestClient(srv, testToken)
	byStatus := map[string]int{}
	for _, r := range testenv.ReadCSV(t, "stock_basic.csv") {
		byStatus[r["list_status"]]++
	}
	for _, status := range []string{"L", "D", ""} {
		params := map[string]any{}
		if status != "" {
			params["list_status"] = status
		}
		tb, hasMore, err := c.Query(context.Background(), "stock_basic", params, []string{"ts_code", "name", "list_status", "no_such_field"})
		if err != nil {
			t.Fatal(err)
		}
		if hasMore == nil || *hasMore {
			t.Errorf("has_more = %v, want false", hasMore)
		}
		if got := strings.Join(tb.Fields, ","); got != "ts_code,name,list_status" {
			t.Errorf("fields = %s", got)
		}
		want := status
		if want == "" {
			want = "L" // Tushare's default
		}
		if tb.Len() != byStatus[want] {
			t.Fatalf("list_status %q: %d rows, the CSV has %d", status, tb.Len(), byStatus[want])
		}
		for _, item := range tb.Items {
			if item[2] != want {
				t.Fatalf("list_status %q answered %v", status, item)
			}
		}
	}
}

func TestQueryNumbersAreJSONNumbers(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	c := newTestClient(srv, testToken)
	tb, _, err := c.Query(context.Background(), "daily_basic", map[string]any{"trade_date": "20251218", "limit": 50}, []string{"ts_code", "trade_date", "pe"})
	if err != nil {
		t.Fatal(err)
	}
	nulls := 0
	for _, item := range tb.Items {
		if _, ok := item[1].(string); !ok {
			t.Fatalf("trade_date %v is not a string", item[1])
		}
		switch item[2].(type) {
		case float64:
		case nil:
			nulls++
		default:
			t.Fatalf("pe %#v is neither a number nor null", item[2])
		}
	}
	if tb.Len() != 50 {
		t.Errorf("limit 50 answered %d rows", tb.Len())
	}
}

func TestBadToken(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	c := newTestClient(srv, "wrong")
	_, err := c.QueryAll(context.Background(), "daily", map[string]any{"trade_date": "20251218"}, barFields)
	if !errors.Is(err, ErrBadToken) {
		t.Fatalf("err = %v, want ErrBadToken", err)
	}
	if !strings.Contains(err.Error(), tusharetest.MsgBadToken) {
		t.Errorf("error %q does not carry the server's message", err)
	}
	if n := srv.Calls("daily"); n != 1 {
		t.Errorf("a rejected token was tried %d times, want 1", n)
	}
}

func TestNoPermissionIsNotRetried(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	srv.SetFaults("etf_basic", tusharetest.Faults{NoAccess: true})
	c := newTestClient(srv, testToken)
	_, err := c.QueryAll(context.Background(), "etf_basic", nil, nil)
	if !errors.Is(err, ErrNoPermission) || errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrNoPermission only", err)
	}
	if n := srv.Calls("etf_basic"); n != 1 {
		t.Errorf("tried %d times, want 1", n)
	}
}

func TestPaging(t *testing.T) {
	want := map[string]bool{}
	for _, r := range testenv.ReadCSV(t, "daily.csv") {
		want[r["ts_code"]] = true
	}
	cases := []struct {
		name     string
		opt      tusharetest.Options
		maxRows  int
		pageSize int
	}{
		{"short pages, has_more", tusharetest.Options{}, 0, 1000},
		{"short pages, no has_more", tusharetest.Options{NoHasMore: true}, 0, 1000},
		{"page size divides the rows", tusharetest.Options{NoHasMore: true}, 0, len(want)},
		{"server caps below the page size", tusharetest.Options{}, 700, 2000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.opt)
			srv.SetFaults("daily", tusharetest.Faults{MaxRows: tc.maxRows})
			c := newTestClient(srv, testToken)
			c.PageSize = tc.pageSize
			tb, err := c.QueryAll(context.Background(), "daily", map[string]any{"trade_date": "20251218"}, []string{"ts_code", "close"})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, item := range tb.Items {
				code := item[0].(string)
				if seen[code] {
					t.Fatalf("%s answered twice", code)
				}
				seen[code] = true
			}
			if len(seen) != len(want) {
				t.Fatalf("got %d rows, the CSV has %d", len(seen), len(want))
			}
			per := tc.pageSize
			if tc.maxRows > 0 {
				per = tc.maxRows
			}
			if calls, min := srv.Calls("daily"), (len(want)+per-1)/per; calls < min || calls > min+1 {
				t.Errorf("%d calls for %d rows in pages of %d", calls, len(want), per)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name   string
		faults tusharetest.Faults
	}{
		{"rate limit answers", tusharetest.Faults{RateLimitEvery: 2}},
		{"HTTP 500", tusharetest.Faults{ServerErrorEvery: 2}},
		{"dropped connection", tusharetest.Faults{DropEvery: 2}},
		{"all of them", tusharetest.Faults{DropEvery: 3, ServerErrorEvery: 4, RateLimitEvery: 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tusharetest.Options{})
			srv.SetFaults("daily", tc.faults)
			c := newTestClient(srv, testToken)
			c.PageSize = 500
			var rateWaits int
			c.RateLimitWait = func(time.Time) time.Duration { rateWaits++; return time.Millisecond }
			tb, err := c.QueryAll(context.Background(), "daily", map[string]any{"trade_date": "20251218"}, []string{"ts_code"})
			if err != nil {
				t.Fatal(err)
			}
			if want := len(testenv.ReadCSV(t, "daily.csv")); tb.Len() != want {
				t.Fatalf("got %d rows, want %d", tb.Len(), want)
			}
			pages := (tb.Len() + 499) / 500
			if srv.Calls("daily") <= pages {
				t.Errorf("%d calls for %d pages: no fault was injected", srv.Calls("daily"), pages)
			}
			if tc.faults.RateLimitEvery > 0 && rateWaits == 0 {
				t.Error("rate-limit answers did not use RateLimitWait")
			}
			if tc.faults.RateLimitEvery == 0 && rateWaits > 0 {
				t.Errorf("RateLimitWait used %d times without rate-limit answers", rateWaits)
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	srv.SetFaults("daily", tusharetest.Faults{ServerErrorEvery: 1})
	c := newTestClient(srv, testToken)
	c.MaxAttempts = 4
	_, err := c.QueryAll(context.Background(), "daily", map[string]any{"trade_date": "20251218"}, nil)
	var httpErr *HTTPError
	if !errors.As(err, &httpErr) || httpErr.Status != 500 {
		t.Fatalf("err = %v, want HTTP 500", err)
	}
	if n := srv.Calls("daily"); n != 4 {
		t.Errorf("%d calls, want MaxAttempts = 4", n)
	}
}

func TestCancelDuringRateLimitWait(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	srv.SetFaults("daily", tusharetest.Faults{RateLimitEvery: 1})
	c := newTestClient(srv, testToken)
	c.RateLimitWait = func(time.Time) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.QueryAll(ctx, "daily", map[string]any{"trade_date": "20251218"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the wait ignored the context")
	}
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		code                  int
		msg                   string
		token, rate, noAccess bool
	}{
		{40101, tusharetest.MsgBadToken, true, false, false},
		{40203, tusharetest.MsgRateLimit, false, true, false},
		{40203, "抱歉，您每小时最多访问该接口1次", false, true, false},
		{40203, tusharetest.MsgNoAccess, false, false, true},
		{40203, "抱歉，您每天最多访问该接口5次", false, false, true},
		{40203, "访问频率过高", false, true, false},
		{-2001, "参数错误", false, false, false},
	}
	for _, tc := range cases {
		e := &APIError{API: "daily", Code: tc.code, Msg: tc.msg}
		if errors.Is(e, ErrBadToken) != tc.token || errors.Is(e, ErrRateLimited) != tc.rate || errors.Is(e, ErrNoPermission) != tc.noAccess {
			t.Errorf("%d %q: token=%v rate=%v noAccess=%v", tc.code, tc.msg, errors.Is(e, ErrBadToken), errors.Is(e, ErrRateLimited), errors.Is(e, ErrNoPermission))
		}
		if retryable(e) != tc.rate {
			t.Errorf("%d %q: retryable = %v", tc.code, tc.msg, retryable(e))
		}
	}
	for status, want := range map[int]bool{500: true, 502: true, 429: true, 400: false, 404: false} {
		if got := retryable(&HTTPError{Status: status}); got != want {
			t.Errorf("HTTP %d retryable = %v", status, got)
		}
	}
}

func TestRestOfMinute(t *testing.T) {
	now := time.Date(2025, 12, 18, 15, 4, 45, 0, time.UTC)
	if got := restOfMinute(now); got != 16*time.Second {
		t.Errorf("at :45 wait %v, want 16s", got)
	}
}

// A reference list whose server caps pages below the asked size and sends
// no has_more is still read whole: paging goes on to an empty page.
func TestPagingReferenceUntilEmpty(t *testing.T) {
	srv := newServer(t, tusharetest.Options{NoHasMore: true})
	srv.SetFaults("trade_cal", tusharetest.Faults{MaxRows: 3000})
	c := newTestClient(srv, testToken)
	tb, err := c.QueryAll(context.Background(), "trade_cal", nil, []string{"cal_date"})
	if err != nil {
		t.Fatal(err)
	}
	want := len(testenv.ReadCSV(t, "trade_cal.csv"))
	if tb.Len() != want {
		t.Fatalf("%d calendar days, the CSV has %d", tb.Len(), want)
	}
	if n, pages := srv.Calls("trade_cal"), (want+2999)/3000; n != pages+1 {
		t.Errorf("%d calls, want %d pages and one empty page", n, pages)
	}
}

// A Client built as a literal (no NewClient) still works: nil logger,
// HTTP client, limiter and waits fall back to defaults.
func TestClientLiteral(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	srv.SetFaults("adj_factor", tusharetest.Faults{ServerErrorEvery: 2})
	c := &Client{URL: srv.URL, Token: testToken, MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, PageSize: 2000}
	old := slog.Default()
	slog.SetDefault(quietLogger)
	defer slog.SetDefault(old)
	tb, err := c.QueryAll(context.Background(), "adj_factor", map[string]any{"trade_date": "20251218"}, nil)
	if err != nil || tb.Len() != len(testenv.ReadCSV(t, "adj_factor.csv")) {
		t.Fatalf("err %v", err)
	}
	if srv.Calls("adj_factor") <= 3 {
		t.Errorf("%d calls for 3 pages: the 500s were not met", srv.Calls("adj_factor"))
	}
}
