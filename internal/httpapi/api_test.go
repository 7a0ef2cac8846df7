package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// quietLogger keeps request logs out of test output unless -v asks.
func quietLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// setup is what a test server is built from; zero fields get defaults.
type setup struct {
	store    market.Store // required
	cache    query.Cache  // in front of the queries; nil: none
	ttl      query.TTLs   // zero: the defaults of the configuration
	admin    CacheAdmin   // the admin endpoints' and /health's cache; nil: none
	wfCache  workflow.Cache
	runs     func(q *query.Queries, wf *workflow.Service) Runs // nil: no model configured
	token    string
	webDir   string
	registry *prometheus.Registry
	logger   *slog.Logger // nil: quietLogger
}

// newHandler is the API on a store as cmd wires it, with every exchange
// checked against openapi.json (contract_test.go).
func newHandler(t testing.TB, s setup) http.Handler {
	return checked(t, newRawHandler(t, s))
}

// newRawHandler is newHandler without the contract checks: benchmarks.
func newRawHandler(t testing.TB, s setup) http.Handler {
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.ttl == (query.TTLs{}) {
		s.ttl = query.TTLs{Overview: time.Minute, Basic: time.Hour, Daily: 24 * time.Hour, Latest: time.Minute, Workflows: time.Minute}
	}
	if s.logger == nil {
		s.logger = quietLogger(t)
	}
	q := query.New(s.store, s.cache, s.ttl)
	wf := workflow.NewService(s.store, s.wfCache, s.ttl.Workflows)
	var rs Runs = runs.New(runs.Options{Workflows: wf, Store: s.store, KnownCode: q.KnownCode, Logger: s.logger})
	if s.runs != nil {
		rs = s.runs(q, wf)
	}
	return New(Deps{
		Store: s.store, Overview: q, Stock: q,
		Workflows: wf, Runs: rs, RunHeartbeat: 50 * time.Millisecond,
		Cache: s.admin, APIToken: s.token,
		Logger: s.logger, Registry: s.registry, WebDir: s.webDir,
	})
}

// get runs one request and returns the status, headers and body.
func get(t testing.TB, h http.Handler, target string) (int, http.Header, []byte) {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func do(t testing.TB, h http.Handler, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// getJSON runs a GET that must answer 200 and decodes the body into v.
func getJSON(t testing.TB, h http.Handler, target string, v any) {
	t.Helper()
	code, hdr, body := get(t, h, target)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200: %s", target, code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q", target, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", target, body, err)
	}
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// expectError checks a failing answer: status, code, and that the message
// names what was wrong.
func expectError(t testing.TB, h http.Handler, method, target string, status int, code string, mentions ...string) {
	t.Helper()
	st, hdr, body := do(t, h, httptest.NewRequest(method, target, nil))
	if st != status {
		t.Errorf("%s %s: status %d, want %d: %s", method, target, st, status, body)
		return
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, target, ct)
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s %s: not the error shape: %s", method, target, body)
		return
	}
	if e.Error.Code != code {
		t.Errorf("%s %s: code %q, want %q (%s)", method, target, e.Error.Code, code, e.Error.Message)
	}
	for _, m := range mentions {
		if !strings.Contains(e.Error.Message, m) {
			t.Errorf("%s %s: message %q does not mention %q", method, target, e.Error.Message, m)
		}
	}
}

// Answer shapes as a client decodes them.
type hotStocksJSON struct {
	TradeDate string `json:"trade_date"`
	SortBy    string `json:"sort_by"`
	Order     string `json:"order"`
	Synthetic *bool  `json:"synthetic"`
	Data      []struct {
		TSCode       string   `json:"ts_code"`
		Name         string   `json:"name"`
		Industry     string   `json:"industry"`
		Close        float64  `json:"close"`
		PctChg       float64  `json:"pct_chg"`
		Amount       float64  `json:"amount"`
		Vol          float64  `json:"vol"`
		TurnoverRate *float64 `json:"turnover_rate"`
		CircMV       *float64 `json:"circ_mv"`
		Synthetic    bool     `json:"synthetic"`
	} `json:"data"`
}

type statsJSON struct {
	TradeDate      string  `json:"trade_date"`
	UpCount        int     `json:"up_count"`
	DownCount      int     `json:"down_count"`
	FlatCount      int     `json:"flat_count"`
	LimitUpCount   int     `json:"limit_up_count"`
	LimitDownCount int     `json:"limit_down_count"`
	TotalAmount    float64 `json:"total_amount"`
	TotalVol       float64 `json:"total_vol"`
	StockCount     int     `json:"stock_count"`
	Synthetic      *bool   `json:"synthetic"`
}

type dailyJSON struct {
	TSCode     string `json:"ts_code"`
	Name       string `json:"name"`
	Adjust     string `json:"adjust"`
	AnchorDate string `json:"anchor_date"`
	Data       []struct {
		Date     string  `json:"date"`
		Open     float64 `json:"open"`
		High     float64 `json:"high"`
		Low      float64 `json:"low"`
		Close    float64 `json:"close"`
		PreClose float64 `json:"pre_close"`
		PctChg   float64 `json:"pct_chg"`
		Vol      float64 `json:"vol"`
	} `json:"data"`
}

func ptrEq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return near(*a, *b, 1e-9*max(1, *a))
}

func fmtPtr(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// testContract is the one table of expectations every store must give
// through the API, on the snapshot loaded into st.
func testContract(t *testing.T, st market.Store, snap *snapshot) {
	h := newHandler(t, setup{store: st})
	date := market.FormatDate(snapDate)

	t.Run("hot-stocks", func(t *testing.T) {
		cases := []struct {
			query, sortBy string
			limit         int
		}{
			{"", market.SortAmount, 20},
			{"?date=" + date + "&sort_by=pct_chg", market.SortPctChg, 20},
			{"?date=20251218&sort_by=turnover_rate&limit=50", market.SortTurnoverRate, 50},
			{"?sort_by=turnover&limit=7", market.SortTurnoverRate, 7},
			{"?sort_by=amount&limit=1&unknown=x", market.SortAmount, 1},
			{"?sort_by=pct_chg&order=asc", market.Ascending(market.SortPctChg), 20},
			{"?sort_by=turnover_rate&order=asc&limit=30", market.Ascending(market.SortTurnoverRate), 30},
			{"?sort_by=amount&order=desc&limit=5", market.SortAmount, 5},
		}
		for _, c := range cases {
			var got hotStocksJSON
			getJSON(t, h, "/api/overview/hot-stocks"+c.query, &got)
			want := snap.expectHotStocks(snapDate, c.sortBy, c.limit)
			sortBy, asc := strings.CutSuffix(c.sortBy, ":asc")
			order := map[bool]string{false: "desc", true: "asc"}[asc]
			if got.TradeDate != date || got.SortBy != sortBy || got.Order != order || got.Synthetic == nil || *got.Synthetic {
				t.Errorf("%s: trade_date %q sort_by %q order %q synthetic %v", c.query, got.TradeDate, got.SortBy, got.Order, got.Synthetic)
			}
			if len(got.Data) != len(want) {
				t.Fatalf("%s: %d rows, want %d", c.query, len(got.Data), len(want))
			}
			for i, w := range want {
				g := got.Data[i]
				if g.TSCode != w.code || g.Name != w.name || g.Industry != w.industry || g.Close != w.close ||
					g.PctChg != w.pct || g.Amount != w.amount || g.Vol != w.vol || !ptrEq(g.TurnoverRate, w.turnover) || !ptrEq(g.CircMV, w.circMV) {
					t.Errorf("%s row %d: got %+v (turnover %s), want %+v (turnover %s)", c.query, i, g, fmtPtr(g.TurnoverRate), w, fmtPtr(w.turnover))
				}
			}
		}
	})

	t.Run("hot-etfs", func(t *testing.T) {
		for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.Ascending(market.SortPctChg)} {
			var got hotStocksJSON
			field, asc := strings.CutSuffix(sortBy, ":asc")
			target := "/api/overview/hot-etfs?sort_by=" + field
			if asc {
				target += "&order=asc"
			}
			getJSON(t, h, target, &got)
			want := snap.expectHotETFs(snapDate, sortBy, 20)
			if got.TradeDate != date || got.Synthetic == nil || !*got.Synthetic {
				t.Errorf("%s: trade_date %q synthetic %v, want %s true", sortBy, got.TradeDate, got.Synthetic, date)
			}
			if len(got.Data) != len(want) {
				t.Fatalf("%s: %d rows, want %d", sortBy, len(got.Data), len(want))
			}
			for i, w := range want {
				g := got.Data[i]
				if g.TSCode != w.code || g.Name != w.name || g.Close != w.close || g.PctChg != w.pct || g.Amount != w.amount || !g.Synthetic {
					t.Errorf("%s row %d: got %+v, want %+v", sortBy, i, g, w)
				}
			}
		}
	})

	t.Run("market-stats", func(t *testing.T) {
		want := snap.expectStats(t, snapDate)
		if want.limitUp == 0 || want.limitDown == 0 {
			t.Fatalf("expectation has no limit moves (%+v): the check would prove nothing", want)
		}
		t.Logf("expected breadth of %s: %+v", date, want)
		for _, q := range []string{"", "?date=" + date, "?date=20251218"} {
			var got statsJSON
			getJSON(t, h, "/api/overview/market-stats"+q, &got)
			if got.TradeDate != date || got.UpCount != want.up || got.DownCount != want.down || got.FlatCount != want.flat ||
				got.LimitUpCount != want.limitUp || got.LimitDownCount != want.limitDown || got.StockCount != want.count ||
				!near(got.TotalAmount, want.totalAmount, 0.006) || !near(got.TotalVol, want.totalVol, 1e-6*want.totalVol) ||
				got.Synthetic == nil || *got.Synthetic {
				t.Errorf("%q: got %+v, want %+v", q, got, want)
			}
		}
	})

	t.Run("trade-dates", func(t *testing.T) {
		var got struct{ Dates []string }
		getJSON(t, h, "/api/overview/trade-dates", &got)
		want := []string{date, market.FormatDate(extraDay2), market.FormatDate(extraDay1)}
		if strings.Join(got.Dates, ",") != strings.Join(want, ",") {
			t.Errorf("dates %v, want %v", got.Dates, want)
		}
		getJSON(t, h, "/api/overview/trade-dates?limit=1", &got)
		if len(got.Dates) != 1 || got.Dates[0] != date {
			t.Errorf("limit=1: %v", got.Dates)
		}
	})

	t.Run("basic-stock", func(t *testing.T) {
		raw := snap.rawStock["600519.SH"]
		var bar market.DailyBar
		for _, b := range snap.daily {
			if b.TSCode == "600519.SH" && b.TradeDate.Equal(snapDate) {
				bar = b
			}
		}
		var val market.DailyBasic
		for _, b := range snap.basic {
			if b.TSCode == "600519.SH" {
				val = b
			}
		}
		for _, code := range []string{"600519.SH", "600519", "sh600519", "600519.sh"} {
			var got struct {
				TSCode                             string `json:"ts_code"`
				ListStatus                         string `json:"list_status"`
				Kind, Symbol, Name, Area, Industry string
				ListDate                           string   `json:"list_date"`
				DelistDate                         string   `json:"delist_date"`
				TradeDate                          string   `json:"trade_date"`
				Close                              *float64 `json:"close"`
				PctChg                             *float64 `json:"pct_chg"`
				PE                                 *float64 `json:"pe"`
				PETTM                              *float64 `json:"pe_ttm"`
				PB                                 *float64 `json:"pb"`
				TotalMV                            *float64 `json:"total_mv"`
				Latest                             struct {
					TradeDate string  `json:"trade_date"`
					Close     float64 `json:"close"`
					PreClose  float64 `json:"pre_close"`
					Amount    float64 `json:"amount"`
				} `json:"latest"`
				Valuation struct {
					TurnoverRate *float64 `json:"turnover_rate"`
					DvRatio      *float64 `json:"dv_ratio"`
					CircMV       *float64 `json:"circ_mv"`
				} `json:"valuation"`
			}
			getJSON(t, h, "/api/stock/"+code+"/basic", &got)
			wantList := raw["list_date"][:4] + "-" + raw["list_date"][4:6] + "-" + raw["list_date"][6:]
			if got.TSCode != "600519.SH" || got.Kind != "stock" || got.Name != raw["name"] || got.Symbol != raw["symbol"] ||
				got.Area != raw["area"] || got.Industry != raw["industry"] || got.ListStatus != raw["list_status"] ||
				got.ListDate != wantList || got.DelistDate != "" {
				t.Errorf("%s: stock_basic fields %+v, want %v", code, got, raw)
			}
			if got.TradeDate != date || got.Latest.TradeDate != date || got.Close == nil || *got.Close != bar.Close ||
				got.PctChg == nil || *got.PctChg != bar.PctChg || got.Latest.PreClose != bar.PreClose || got.Latest.Amount != bar.Amount {
				t.Errorf("%s: latest %+v, want %+v", code, got.Latest, bar)
			}
			if !ptrEq(got.PE, val.PE) || !ptrEq(got.PETTM, val.PETTM) || !ptrEq(got.PB, val.PB) || !ptrEq(got.TotalMV, val.TotalMV) ||
				!ptrEq(got.Valuation.TurnoverRate, val.TurnoverRate) || !ptrEq(got.Valuation.DvRatio, val.DvRatio) || !ptrEq(got.Valuation.CircMV, val.CircMV) {
				t.Errorf("%s: valuation pe %s pb %s, want pe %s pb %s", code, fmtPtr(got.PE), fmtPtr(got.PB), fmtPtr(val.PE), fmtPtr(val.PB))
			}
		}
	})

	t.Run("basic-etf", func(t *testing.T) {
		var got struct {
			TSCode    string  `json:"ts_code"`
			Kind      string  `json:"kind"`
			Name      string  `json:"name"`
			IndexName string  `json:"index_name"`
			Synthetic bool    `json:"synthetic"`
			Close     float64 `json:"close"`
		}
		getJSON(t, h, "/api/stock/510300/basic", &got)
		if got.TSCode != "510300.SH" || got.Kind != "etf" || got.Name != snap.etfs[0].Name || got.IndexName != snap.etfs[0].IndexName ||
			!got.Synthetic || got.Close != snap.etfBar[0].Close {
			t.Errorf("ETF basic %+v, want %+v", got, snap.etfs[0])
		}
	})

	t.Run("daily", func(t *testing.T) {
		cases := []struct {
			query, adjust string
			start, end    time.Time
		}{
			{"", "qfq", time.Time{}, snapDate},
			{"?adjust=qfq", "qfq", time.Time{}, snapDate},
			{"?adjust=hfq", "hfq", time.Time{}, snapDate},
			{"?adjust=none", "none", time.Time{}, snapDate},
			{"?adjust=none&start=20251217&end=2025-12-18", "none", extraDay2, snapDate},
			{"?adjust=hfq&start=2025-12-16&end=20251216", "hfq", extraDay1, extraDay1},
			{"?adjust=qfq&end=2025-12-17", "qfq", time.Time{}, extraDay2},
		}
		for _, c := range cases {
			var got dailyJSON
			getJSON(t, h, "/api/stock/000001.SZ/daily"+c.query, &got)
			anchor, want := snap.expectDaily("000001.SZ", c.adjust, c.start, c.end)
			if got.TSCode != "000001.SZ" || got.Name != snap.rawStock["000001.SZ"]["name"] || got.Adjust != c.adjust || got.AnchorDate != anchor {
				t.Errorf("%s: head %+v, want adjust %s anchor %s", c.query, got, c.adjust, anchor)
			}
			if len(got.Data) != len(want) {
				t.Fatalf("%s: %d bars, want %d", c.query, len(got.Data), len(want))
			}
			for i, w := range want {
				g := got.Data[i]
				if g.Date != w.date || !near(g.Open, w.open, 6e-5) || !near(g.High, w.high, 6e-5) || !near(g.Low, w.low, 6e-5) ||
					!near(g.Close, w.close, 6e-5) || !near(g.PreClose, w.pre, 6e-5) || g.PctChg != w.pct || g.Vol != w.vol {
					t.Errorf("%s bar %d: got %+v, want %+v", c.query, i, g, w)
				}
			}
		}
		// The three adjustments really differ on the older days.
		var none, qfq, hfq dailyJSON
		getJSON(t, h, "/api/stock/000001.SZ/daily?adjust=none", &none)
		getJSON(t, h, "/api/stock/000001.SZ/daily?adjust=qfq", &qfq)
		getJSON(t, h, "/api/stock/000001.SZ/daily?adjust=hfq", &hfq)
		if near(none.Data[0].Close, qfq.Data[0].Close, 1e-3) || near(none.Data[0].Close, hfq.Data[0].Close, 1e-3) {
			t.Errorf("first close none %v qfq %v hfq %v: adjustments should differ", none.Data[0].Close, qfq.Data[0].Close, hfq.Data[0].Close)
		}
		if last := len(qfq.Data) - 1; qfq.Data[last].Close != none.Data[last].Close {
			t.Errorf("qfq on the anchor day %v, want the raw close %v", qfq.Data[last].Close, none.Data[last].Close)
		}
	})

	t.Run("search", func(t *testing.T) {
		type hits struct {
			Data []market.SearchHit `json:"data"`
		}
		var got hits
		getJSON(t, h, "/api/stock/search?q="+url.QueryEscape("茅台"), &got)
		found := false
		for _, hit := range got.Data {
			found = found || hit.TSCode == "600519.SH" && hit.Kind == market.KindStock
			if !strings.Contains(hit.Name, "茅台") {
				t.Errorf("q=茅台 found %+v", hit)
			}
		}
		if !found {
			t.Errorf("q=茅台: %+v lacks 600519.SH", got.Data)
		}
		for _, q := range []string{"600519", "sh600519", "SH600519", "600519.sh"} {
			getJSON(t, h, "/api/stock/search?q="+q, &got)
			if len(got.Data) == 0 || got.Data[0].TSCode != "600519.SH" {
				t.Errorf("q=%s: %+v", q, got.Data)
			}
		}
		// A partial code with an exchange prefix matches by its digits.
		getJSON(t, h, "/api/stock/search?q=sh60051", &got)
		if len(got.Data) == 0 || !slices.ContainsFunc(got.Data, func(h market.SearchHit) bool { return h.TSCode == "600519.SH" }) {
			t.Errorf("q=sh60051: %+v lacks 600519.SH", got.Data)
		}
		for _, hit := range got.Data {
			if !strings.HasPrefix(hit.TSCode, "60051") {
				t.Errorf("q=sh60051 found %+v", hit)
			}
		}
		getJSON(t, h, "/api/stock/search?q=6", &got)
		if len(got.Data) != 20 {
			t.Errorf("q=6: %d hits, want the cap of 20", len(got.Data))
		}
		getJSON(t, h, "/api/stock/search?q=ETF", &got)
		if len(got.Data) == 0 || got.Data[0].Kind != market.KindETF {
			t.Errorf("q=ETF: %+v", got.Data)
		}
	})

	// Every workflow tool is a route of this API: its example arguments
	// are valid by its own schema and its route answers them.
	t.Run("tools", func(t *testing.T) {
		for _, tool := range workflow.Tools() {
			raw, _ := json.Marshal(tool.Parameters)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			if err := c.AddResource("tool.json", doc); err != nil {
				t.Fatal(err)
			}
			sch, err := c.Compile("tool.json")
			if err != nil {
				t.Fatalf("%s: parameters are not a JSON schema: %v", tool.Name, err)
			}
			target, args := toolExample(tool)
			if err := sch.Validate(args); err != nil {
				t.Errorf("%s: example %v fails its own schema: %v", tool.Name, tool.Example, err)
			}
			if code, _, body := do(t, h, httptest.NewRequest(tool.Method, target, nil)); code != http.StatusOK {
				t.Errorf("%s: %s %s answered %d: %s", tool.Name, tool.Method, target, code, body)
			}
		}
	})

	t.Run("health", func(t *testing.T) {
		var got struct {
			Status   string
			Services map[string]ServiceHealth
		}
		getJSON(t, h, "/health", &got)
		if got.Status != StatusHealthy || got.Services[st.Kind()].Status != StatusUp {
			t.Errorf("health %+v", got)
		}
	})

	t.Run("bad-input", func(t *testing.T) {
		cases := []struct {
			target   string
			status   int
			code     string
			mentions []string
		}{
			{"/api/stock/60051/basic", 400, CodeInvalidCode, []string{"code", "60051"}},
			{"/api/stock/abc.SH/basic", 400, CodeInvalidCode, []string{"code", "abc.SH"}},
			{"/api/stock/abc.SH/daily", 400, CodeInvalidCode, []string{"code", "abc.SH"}},
			{"/api/stock/999999.SH/basic", 404, CodeNotFound, []string{"999999.SH"}},
			{"/api/stock/999999.SH/daily", 404, CodeNotFound, []string{"999999.SH"}},
			{"/api/overview/hot-stocks?date=2025-13-01", 400, CodeInvalidDate, []string{"date", "2025-13-01"}},
			{"/api/overview/hot-stocks?date=20251", 400, CodeInvalidDate, []string{"date", "20251"}},
			{"/api/overview/market-stats?date=yesterday", 400, CodeInvalidDate, []string{"date", "yesterday"}},
			{"/api/overview/hot-stocks?limit=0", 400, CodeBadRequest, []string{"limit", "0"}},
			{"/api/overview/hot-stocks?limit=51", 400, CodeBadRequest, []string{"limit", "51"}},
			{"/api/overview/hot-etfs?limit=abc", 400, CodeBadRequest, []string{"limit", "abc"}},
			{"/api/overview/hot-stocks?sort_by=volume", 400, CodeBadRequest, []string{"sort_by", "volume"}},
			{"/api/overview/hot-etfs?sort_by=turnover_rate", 400, CodeBadRequest, []string{"sort_by", "turnover_rate"}},
			{"/api/overview/hot-stocks?order=up", 400, CodeBadRequest, []string{"order", "up", "desc, asc"}},
			{"/api/overview/hot-stocks?date=2025-12-19", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/overview/hot-etfs?date=2025-12-17", 404, CodeNoData, []string{"2025-12-17"}},
			{"/api/overview/market-stats?date=20251219", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/overview/trade-dates?limit=-1", 400, CodeBadRequest, []string{"limit", "-1"}},
			{"/api/stock/000001.SZ/daily?start=20251218&end=20251201", 400, CodeBadRequest, []string{"start", "end"}},
			{"/api/stock/000001.SZ/daily?start=2025-02-30", 400, CodeInvalidDate, []string{"start", "2025-02-30"}},
			{"/api/stock/000001.SZ/daily?adjust=forward", 400, CodeBadRequest, []string{"adjust", "forward"}},
			{"/api/stock/search?q=", 400, CodeBadRequest, []string{"q"}},
			{"/api/stock/search", 400, CodeBadRequest, []string{"q"}},
			{"/api/stock/search?q=" + strings.Repeat("x", 21), 400, CodeBadRequest, []string{"q", "20"}},
			{"/api/nope", 404, CodeNotFound, []string{"/api/nope"}},
		}
		for _, c := range cases {
			expectError(t, h, http.MethodGet, c.target, c.status, c.code, c.mentions...)
		}
		expectError(t, h, http.MethodPost, "/api/overview/hot-stocks", 405, CodeMethodNotAllowed, "POST")
	})
}

// toolExample is a tool's example call as the request of its route and as
// the arguments a model would send (numbers as numbers).
func toolExample(tool workflow.Tool) (target string, args map[string]any) {
	args = map[string]any{}
	path, q := tool.Path, url.Values{}
	for k, v := range tool.Example {
		if strings.Contains(path, "{"+k+"}") {
			path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		} else {
			q.Set(k, v)
		}
		if n, err := strconv.Atoi(v); err == nil {
			args[k] = n
		} else {
			args[k] = v
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path, args
}
