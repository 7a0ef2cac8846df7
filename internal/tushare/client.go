// Package tushare fetches market data from Tushare Pro (https://tushare.pro)
// and syncs it into a store: the HTTP client with paging, retries and
// per-interface pacing, the incremental sync planned from the trading
// calendar, and the optional daily schedule.
package tushare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultURL is the official endpoint.
const DefaultURL = "http://api.tushare.pro"

// Page sizes per api_name: the most rows Tushare returns in one call (its
// documented per-call caps). Paging stops at the first short page, so a
// size above the server's cap would stop early; these stay at or below it.
var pageSizes = map[string]int{
	"stock_basic": 5000,
	"trade_cal":   5000,
	"daily":       6000,
	"daily_basic": 6000,
	"adj_factor":  6000,
	"etf_basic":   5000,
	"fund_basic":  5000,
	"fund_daily":  2000,
	"stk_limit":   5800,
	"namechange":  10000,
	"index_basic": 5000,
	"index_daily": 8000,
}

const defaultPageSize = 2000

// untilEmpty are the interfaces whose per-call cap is not documented: when
// the server sends no has_more, a short page may still be a capped one, so
// paging goes on until an empty page. They are reference lists fetched a
// few times per sync, where one more call costs nothing; a truncated
// calendar would silently drop trade dates from the plan.
var untilEmpty = map[string]bool{"stock_basic": true, "trade_cal": true, "etf_basic": true, "fund_basic": true}

// Client calls the Tushare Pro HTTP API. The zero value is not usable; make
// one with NewClient and adjust the exported fields before the first call.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
	// Limiter paces calls per api_name; nil means no pacing.
	Limiter *Limiter
	// MaxAttempts bounds the tries of one call (first try included).
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff with full jitter
	// used after network errors and 5xx answers.
	BaseDelay, MaxDelay time.Duration
	// RateLimitWait says how long to hold an api_name after a rate-limit
	// answer. The default waits out the rest of the current minute:
	// Tushare's quota is per minute, so retrying sooner only burns calls.
	RateLimitWait func(now time.Time) time.Duration
	// PageSize overrides the rows asked per call for every api (tests); 0
	// keeps the per-api defaults.
	PageSize int
	Logger   *slog.Logger

	sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a client for the endpoint at url (DefaultURL when
// empty) that paces each api_name to rpm calls per minute.
func NewClient(url, token string, rpm int) *Client {
	if url == "" {
		url = DefaultURL
	}
	return &Client{
		URL:           strings.TrimRight(url, "/"),
		Token:         token,
		HTTP:          &http.Client{Timeout: 60 * time.Second},
		Limiter:       NewLimiter(rpm, max(1, rpm/60)),
		MaxAttempts:   6,
		BaseDelay:     time.Second,
		MaxDelay:      30 * time.Second,
		RateLimitWait: restOfMinute,
		Logger:        slog.Default(),
		sleep:         sleepCtx,
	}
}

// restOfMinute waits until one second past the next minute boundary.
func restOfMinute(now time.Time) time.Duration {
	return now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now)
}

// Table is the data part of an answer: column names and rows of JSON values
// (string, float64 or nil), as ingest.Decoder.AddValues takes them.
type Table struct {
	Fields []string
	Items  [][]any
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.Items) }

type request struct {
	APIName string         `json:"api_name"`
	Token   string         `json:"token"`
	Params  map[string]any `json:"params"`
	Fields  string         `json:"fields"`
}

type answer struct {
	RequestID string `json:"request_id"`
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
	Data      *struct {
		Fields  []string `json:"fields"`
		Items   [][]any  `json:"items"`
		HasMore *bool    `json:"has_more"`
	} `json:"data"`
}

// QueryAll fetches every row api answers for params, one page after the
// other until has_more=false when the server sends it, else until a short
// page (an empty one for the interfaces in untilEmpty).
func (c *Client) QueryAll(ctx context.Context, api string, params map[string]any, fields []string) (*Table, error) {
	size := c.PageSize
	if size <= 0 {
		size = pageSizes[api]
	}
	if size <= 0 {
		size = defaultPageSize
	}
	var all *Table
	for offset := 0; ; {
		p := make(map[string]any, len(params)+2)
		for k, v := range params {
			p[k] = v
		}
		p["limit"] = size
		p["offset"] = offset
		page, hasMore, err := c.Query(ctx, api, p, fields)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = page
		} else {
			if !slices.Equal(all.Fields, page.Fields) {
				return nil, fmt.Errorf("tushare %s: fields changed between pages at offset %d: %v then %v", api, offset, all.Fields, page.Fields)
			}
			all.Items = append(all.Items, page.Items...)
		}
		n := len(page.Items)
		offset += n
		more := n >= size || untilEmpty[api]
		if hasMore != nil {
			more = *hasMore
		}
		if n == 0 || !more {
			return all, nil
		}
	}
}

// Query makes one call (one page), retrying what may succeed on a second
// try. hasMore is the server's has_more flag when it sent one.
func (c *Client) Query(ctx context.Context, api string, params map[string]any, fields []string) (t *Table, hasMore *bool, err error) {
	body, err := json.Marshal(request{APIName: api, Token: c.Token, Params: params, Fields: strings.Join(fields, ",")})
	if err != nil {
		return nil, nil, fmt.Errorf("tushare %s: encode request: %w", api, err)
	}
	attempts := max(1, c.MaxAttempts)
	for attempt := 1; ; attempt++ {
		if err := c.Limiter.Wait(ctx, api); err != nil {
			return nil, nil, err
		}
		t, hasMore, err = c.post(ctx, api, body)
		if err == nil {
			return t, hasMore, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if !retryable(err) || attempt >= attempts {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return nil, nil, err
		}
		var wait time.Duration
		if errors.Is(err, ErrRateLimited) {
			wait = restOfMinute(time.Now())
			if c.RateLimitWait != nil {
				wait = c.RateLimitWait(time.Now())
			}
			c.Limiter.PauseUntil(api, time.Now().Add(wait))
		} else {
			wait = c.backoff(attempt)
		}
		c.logger().Warn("tushare call failed, retrying", "api", api, "attempt", attempt, "wait", wait.Round(time.Millisecond), "err", err)
		sleep := c.sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// backoff is exponential with full jitter: a random wait in [0, base·2^n],
// capped, so many clients failing together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.BaseDelay << (attempt - 1)
	if d <= 0 || d > c.MaxDelay {
		d = c.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d) + 1
}

func (c *Client) post(ctx context.Context, api string, body []byte) (*Table, *bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("tushare %s: %w", api, err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("tushare %s: %w", api, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, nil, &HTTPError{API: api, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	return decodeAnswer(api, resp.Body)
}

// decodeAnswer reads one answer of the Tushare Pro API: its table and
// has_more, an *APIError for a refusal, or an error saying what is wrong
// with it. Every row must have one cell per field: a short row would
// silently leave columns empty.
func decodeAnswer(api string, body io.Reader) (*Table, *bool, error) {
	var a answer
	if err := json.NewDecoder(body).Decode(&a); err != nil {
		return nil, nil, fmt.Errorf("tushare %s: read answer: %w", api, err)
	}
	if a.Code != 0 {
		return nil, nil, &APIError{API: api, Code: a.Code, Msg: a.Msg, RequestID: a.RequestID}
	}
	if a.Data == nil {
		return nil, nil, fmt.Errorf("tushare %s: answer without data (request_id %s)", api, a.RequestID)
	}
	for i, item := range a.Data.Items {
		if len(item) != len(a.Data.Fields) {
			return nil, nil, fmt.Errorf("tushare %s: row %d has %d cells for %d fields (request_id %s)", api, i, len(item), len(a.Data.Fields), a.RequestID)
		}
	}
	return &Table{Fields: a.Data.Fields, Items: a.Data.Items}, a.Data.HasMore, nil
}
