package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// client talks to the stockd under test.
type client struct {
	base  string
	host  string // host:port, for raw requests
	token string
	http  *http.Client
}

func newClient(base, token string) *client {
	u, _ := url.Parse(base)
	return &client{
		base: strings.TrimRight(base, "/"), host: u.Host, token: token,
		http: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
		},
	}
}

// do sends one request and reads the whole answer.
func (c *client) do(ctx context.Context, class, method, path, contentType, body string) (result, []byte) {
	res := result{class: class, what: method + " " + path, start: time.Now()}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		res.err, res.end = err.Error(), time.Now()
		return res, nil
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		res.err, res.end = err.Error(), time.Now()
		return res, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	res.end, res.status = time.Now(), resp.StatusCode
	if err != nil {
		res.err = "reading the answer: " + err.Error()
	}
	return res, b
}

// raw sends request bytes as they are on a new connection: bodies no
// well-behaved client library sends.
func (c *client) raw(ctx context.Context, what, request string) result {
	res := result{class: "bad", what: what, start: time.Now(), want4xx: true}
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.host)
	if err != nil {
		res.err, res.end = err.Error(), time.Now()
		return res
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, strings.ReplaceAll(request, "HOST", c.host)); err != nil {
		res.err, res.end = err.Error(), time.Now()
		return res
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	res.end = time.Now()
	if err != nil {
		res.err = err.Error()
		return res
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	res.status = resp.StatusCode
	return res
}

// fixtures are what the traffic asks about: codes and trade dates the
// store holds.
type fixtures struct {
	codes []string
	dates []string // newest first
}

func (c *client) fixtures(ctx context.Context) (fixtures, error) {
	var fx fixtures
	var last error
	// The server may still be starting.
	for range 100 {
		var hot struct {
			Data []struct {
				TSCode string `json:"ts_code"`
			} `json:"data"`
		}
		var dates struct {
			Dates []string `json:"dates"`
		}
		res, b := c.do(ctx, "setup", "GET", "/api/overview/hot-stocks?limit=50", "", "")
		if res.status == 200 && json.Unmarshal(b, &hot) == nil && len(hot.Data) > 0 {
			res, b = c.do(ctx, "setup", "GET", "/api/overview/trade-dates?limit=250", "", "")
			if res.status == 200 && json.Unmarshal(b, &dates) == nil && len(dates.Dates) > 1 {
				for _, h := range hot.Data {
					fx.codes = append(fx.codes, h.TSCode)
				}
				fx.dates = dates.Dates
				return fx, nil
			}
		}
		last = fmt.Errorf("%s: %d %s %.200s", res.what, res.status, res.err, b)
		time.Sleep(100 * time.Millisecond)
	}
	return fx, fmt.Errorf("the server has no market data to ask about: %v", last)
}

// Sample is what /metrics says of the server process.
type Sample struct {
	At         time.Time `json:"at"`
	RSS        float64   `json:"rss_bytes"`
	Goroutines int       `json:"goroutines"`
}

// sample reads process_resident_memory_bytes and go_goroutines on a
// connection of its own, closed after: it holds no server goroutine.
func (c *client) sample(ctx context.Context) (Sample, error) {
	s := Sample{At: time.Now()}
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	if err != nil {
		return s, err
	}
	req.Close = true
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.RSS, err = strconv.ParseFloat(val, 64)
			found++
		case "go_goroutines":
			var g float64
			g, err = strconv.ParseFloat(val, 64)
			s.Goroutines = int(g)
			found++
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
	}
	if found != 2 {
		return s, errors.New("/metrics lacks process_resident_memory_bytes or go_goroutines")
	}
	return s, sc.Err()
}

// waitHealthy polls /health until it answers 200 and returns when it did.
func (c *client) waitHealthy(ctx context.Context, limit time.Duration) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/health", nil)
		if resp, err := c.http.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Now()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Now()
}

// read sends one request of the reader mix: 40 % questions asked again and
// again (cached), 25 % questions of random codes and ranges (mostly not),
// 20 % bad input, 13 % workflow reads, 2 % /health and /metrics.
func (c *client) read(ctx context.Context, rng *rand.Rand, fx fixtures) []result {
	code := func() string { return fx.codes[rng.IntN(len(fx.codes))] }
	date := func() string { return fx.dates[rng.IntN(len(fx.dates))] }
	get := func(class, path string) []result {
		res, _ := c.do(ctx, class, "GET", path, "", "")
		return []result{res}
	}
	bad := func(method, path, ct, body string) []result {
		res, _ := c.do(ctx, "bad", method, path, ct, body)
		res.want4xx = true
		return []result{res}
	}
	switch p := rng.IntN(100); {
	case p < 40:
		cached := []string{
			"/api/overview/hot-stocks", "/api/overview/hot-stocks?sort_by=pct_chg&limit=10", "/api/overview/hot-etfs",
			"/api/overview/market-stats", "/api/overview/trade-dates", "/api/stock/" + fx.codes[0] + "/basic",
			"/api/stock/" + fx.codes[1] + "/daily", "/api/stock/" + fx.codes[2] + "/kline?period=week",
		}
		return get("cached", cached[rng.IntN(len(cached))])
	case p < 65:
		a, b := date(), date()
		if a > b {
			a, b = b, a
		}
		uncached := []string{
			"/api/stock/" + code() + "/daily?start=" + a + "&end=" + b + "&adjust=" + []string{"qfq", "hfq", "none"}[rng.IntN(3)],
			"/api/stock/" + code() + "/kline?period=" + []string{"week", "month"}[rng.IntN(2)] + "&start=" + a,
			"/api/overview/market-stats?date=" + date(),
			"/api/overview/hot-stocks?date=" + date() + "&limit=" + strconv.Itoa(1+rng.IntN(50)),
			"/api/stock/search?q=" + strconv.Itoa(rng.IntN(1000)),
			"/api/stock/" + code() + "/basic",
		}
		return get("uncached", uncached[rng.IntN(len(uncached))])
	case p < 85:
		switch rng.IntN(12) {
		case 0:
			return bad("GET", "/api/stock/XYZ/basic", "", "")
		case 1:
			return bad("GET", "/api/stock/"+code()+"/daily?start=00010101", "", "")
		case 2:
			return bad("GET", "/api/overview/hot-stocks?limit=0", "", "")
		case 3:
			return bad("GET", "/api/nothing/here", "", "")
		case 4:
			return bad("GET", "/api//overview/../hot-stocks", "", "")
		case 5:
			return bad("POST", "/api/workflows", "text/plain", `{"name":"x"}`)
		case 6:
			return bad("POST", "/api/workflows", "application/json", `{"name":5,"tags":[`+strings.Repeat(`"",`, 2000)+`""]}`)
		case 7:
			return bad("POST", "/health", "", "")
		case 8:
			return bad("GET", "/api/stock/999999.SH/basic", "", "") // unknown code: 404
		case 9:
			return bad("GET", "/api/workflows?limit=1000", "", "")
		case 10:
			return []result{c.raw(ctx, "POST /api/workflows chunk size zz",
				"POST /api/workflows HTTP/1.1\r\nHost: HOST\r\nContent-Type: application/json\r\nAuthorization: Bearer "+c.token+
					"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")}
		default:
			return bad("GET", "/assets/missing.js", "", "")
		}
	case p < 98:
		if rng.IntN(2) == 0 {
			return get("workflow-read", "/api/workflows?limit=20&offset="+strconv.Itoa(rng.IntN(100)))
		}
		return get("workflow-read", "/api/workflows/templates")
	default:
		if rng.IntN(2) == 0 {
			return get("service", "/health")
		}
		return get("service", "/metrics")
	}
}
