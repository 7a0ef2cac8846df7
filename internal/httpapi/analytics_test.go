package httpapi

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The analytics endpoints on the real snapshot, every answer checked
// against expectations computed in the test from the CSV rows
// (expect_analytics_test.go): sectors, the screener against a brute-force
// filter, the ladder, the quick analysis, and pinyin search.

type sectorJSON struct {
	Industry       string   `json:"industry"`
	Stocks         int      `json:"stocks"`
	UpCount        int      `json:"up_count"`
	DownCount      int      `json:"down_count"`
	FlatCount      int      `json:"flat_count"`
	LimitUpCount   int      `json:"limit_up_count"`
	UpRatio        float64  `json:"up_ratio"`
	PctChg         float64  `json:"pct_chg"`
	WeightedPctChg *float64 `json:"weighted_pct_chg"`
	Amount         float64  `json:"amount"`
	Leader         struct {
		TSCode string  `json:"ts_code"`
		Name   string  `json:"name"`
		PctChg float64 `json:"pct_chg"`
	} `json:"leader"`
}

type sectorsJSON struct {
	TradeDate string       `json:"trade_date"`
	SortBy    string       `json:"sort_by"`
	Limit     int          `json:"limit"`
	Total     int          `json:"total"`
	Synthetic bool         `json:"synthetic"`
	Data      []sectorJSON `json:"data"`
}

type ladderStockJSON struct {
	TSCode  string  `json:"ts_code"`
	Name    string  `json:"name"`
	Close   float64 `json:"close"`
	UpLimit float64 `json:"up_limit"`
	Boards  int     `json:"boards"`
	ST      bool    `json:"st"`
}

type ladderJSON struct {
	TradeDate      string  `json:"trade_date"`
	LimitUpCount   int     `json:"limit_up_count"`
	BrokenCount    int     `json:"broken_count"`
	LimitDownCount int     `json:"limit_down_count"`
	BrokenRate     float64 `json:"broken_rate"`
	MaxBoards      int     `json:"max_boards"`
	Levels         []struct {
		Boards int               `json:"boards"`
		Label  string            `json:"label"`
		Stocks []ladderStockJSON `json:"stocks"`
	} `json:"levels"`
	Broken    []ladderStockJSON `json:"broken"`
	LimitDown []ladderStockJSON `json:"limit_down"`
	Synthetic bool              `json:"synthetic"`
}

// levels is the ladder as boards → sorted codes.
func (l ladderJSON) levels() map[int][]string {
	out := map[int][]string{}
	for _, lv := range l.Levels {
		for _, s := range lv.Stocks {
			out[lv.Boards] = append(out[lv.Boards], s.TSCode)
		}
		slices.Sort(out[lv.Boards])
	}
	return out
}

func codesOf(ss []ladderStockJSON) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.TSCode)
	}
	slices.Sort(out)
	return out
}

type screenRowJSON struct {
	TSCode   string   `json:"ts_code"`
	Name     string   `json:"name"`
	Industry string   `json:"industry"`
	Board    string   `json:"board"`
	ST       bool     `json:"st"`
	PctChg   float64  `json:"pct_chg"`
	PE       *float64 `json:"pe"`
	PETTM    *float64 `json:"pe_ttm"`
	PB       *float64 `json:"pb"`
	DvRatio  *float64 `json:"dv_ratio"`
	TotalMV  *float64 `json:"total_mv"`
}

type screenJSON struct {
	TradeDate string          `json:"trade_date"`
	Total     int             `json:"total"`
	Limit     int             `json:"limit"`
	Offset    int             `json:"offset"`
	SortBy    string          `json:"sort_by"`
	Order     string          `json:"order"`
	Data      []screenRowJSON `json:"data"`
}

type quickJSON struct {
	TradeDate string `json:"trade_date"`
	Summary   string `json:"summary"`
	Breadth   struct {
		UpCount        int `json:"up_count"`
		DownCount      int `json:"down_count"`
		FlatCount      int `json:"flat_count"`
		LimitUpCount   int `json:"limit_up_count"`
		LimitDownCount int `json:"limit_down_count"`
		StockCount     int `json:"stock_count"`
	} `json:"breadth"`
	Turnover struct {
		Amount float64  `json:"amount"`
		Avg5   *float64 `json:"avg5"`
		Avg20  *float64 `json:"avg20"`
		Ratio5 *float64 `json:"ratio5"`
		Days   int      `json:"days"`
	} `json:"turnover"`
	Sentiment struct {
		Score int    `json:"score"`
		Level string `json:"level"`
	} `json:"sentiment"`
	Signals []struct {
		Kind    string `json:"kind"`
		Tone    string `json:"tone"`
		Message string `json:"message"`
	} `json:"signals"`
	TopSectors    []sectorJSON `json:"top_sectors"`
	BottomSectors []sectorJSON `json:"bottom_sectors"`
	Ladder        struct {
		MaxBoards    int `json:"max_boards"`
		LimitUpCount int `json:"limit_up_count"`
		BrokenCount  int `json:"broken_count"`
	} `json:"ladder"`
	Indices []market.IndexQuote `json:"indices"`
}

func (q quickJSON) signalKinds() []string {
	var out []string
	for _, s := range q.Signals {
		out = append(out, s.Kind)
	}
	slices.Sort(out)
	return out
}

func testAnalytics(t *testing.T, st market.Store, snap *snapshot) {
	h := newHandler(t, setup{store: st})
	date := market.FormatDate(snapDate)
	rows := snap.rowsOn(t, snapDate)

	t.Run("sectors", func(t *testing.T) {
		want := snap.expectSectors(t, snapDate)
		if len(want) < 100 {
			t.Fatalf("%d industries in the snapshot; want over 100", len(want))
		}
		limitUps := 0
		for _, by := range []string{"pct_chg", "amount", "up_ratio"} {
			var got sectorsJSON
			getJSON(t, h, "/api/overview/sectors?sort_by="+by, &got)
			if got.TradeDate != date || got.SortBy != by || got.Total != len(want) || len(got.Data) != len(want) || got.Synthetic {
				t.Fatalf("%s: head %s %s total %d, %d rows, synthetic %v; want %d industries", by, got.TradeDate, got.SortBy, got.Total, len(got.Data), got.Synthetic, len(want))
			}
			order := sortedSectors(want, by)
			for i, g := range got.Data {
				w := want[g.Industry]
				if w == nil {
					t.Errorf("%s: %q is no industry of the snapshot", by, g.Industry)
					continue
				}
				if g.Industry != order[i].industry {
					t.Errorf("sort_by=%s: row %d is %s, want %s", by, i, g.Industry, order[i].industry)
				}
				if by != "pct_chg" {
					continue
				}
				limitUps += g.LimitUpCount
				weightedOK := (math.IsNaN(w.weighted) && g.WeightedPctChg == nil) || (g.WeightedPctChg != nil && near(*g.WeightedPctChg, w.weighted, 6e-5))
				if g.Stocks != w.n || g.UpCount != w.up || g.DownCount != w.down || g.FlatCount != w.flat || g.LimitUpCount != w.limUp ||
					!near(g.PctChg, w.mean, 6e-5) || !near(g.UpRatio, w.upRatio, 6e-5) || !weightedOK || !near(g.Amount, w.amount, 6e-4) ||
					g.Leader.TSCode != w.leader || g.Leader.Name != w.leaderName || g.Leader.PctChg != w.leaderPct {
					t.Errorf("sector %s:\n got %+v weighted %s\nwant n=%d up=%d down=%d flat=%d limit_up=%d mean=%.6f up_ratio=%.4f weighted=%.6f amount=%.3f leader=%s %s %v",
						g.Industry, g, fmtPtr(g.WeightedPctChg), w.n, w.up, w.down, w.flat, w.limUp, w.mean, w.upRatio, w.weighted, w.amount, w.leader, w.leaderName, w.leaderPct)
				}
			}
		}
		if st := snap.expectStats(t, snapDate); limitUps == 0 || limitUps > st.limitUp {
			t.Errorf("limit-ups over the sectors %d; the market has %d (stocks without an industry are left out)", limitUps, st.limitUp)
		}
		var top sectorsJSON
		getJSON(t, h, "/api/overview/sectors?sort_by=amount&limit=5&date=20251218", &top)
		order := sortedSectors(want, "amount")
		if len(top.Data) != 5 || top.Limit != 5 || top.Total != len(want) {
			t.Fatalf("limit=5: %d rows, limit %d, total %d", len(top.Data), top.Limit, top.Total)
		}
		for i, g := range top.Data {
			if g.Industry != order[i].industry {
				t.Errorf("limit=5 row %d: %s, want %s", i, g.Industry, order[i].industry)
			}
		}
	})

	t.Run("screener", func(t *testing.T) {
		fp := func(v float64) *float64 { return &v }
		cases := []screenExpect{
			{query: "", sortBy: "total_mv", limit: 50, nonEmpty: true},
			{query: "pe_min=0&pe_max=20&pb_max=2&dv_ratio_min=3&sort_by=dv_ratio&limit=30&offset=10",
				ranges: map[string][2]*float64{"pe": {fp(0), fp(20)}, "pb": {nil, fp(2)}, "dv_ratio": {fp(3), nil}},
				sortBy: "dv_ratio", limit: 30, offset: 10, nonEmpty: true},
			{query: "industry=" + url.QueryEscape("银行") + "&board=main&sort_by=pe&order=asc&limit=100",
				inds: []string{"银行"}, boards: []string{"main"}, sortBy: "pe", asc: true, limit: 100, nonEmpty: true},
			{query: "include_st=true&turnover_rate_min=5&turnover_rate_max=20&pct_chg_min=5&sort_by=pct_chg&limit=500",
				ranges: map[string][2]*float64{"turnover_rate": {fp(5), fp(20)}, "pct_chg": {fp(5), nil}},
				withST: true, sortBy: "pct_chg", limit: 500, nonEmpty: true},
			{query: "total_mv_min=1e7&circ_mv_max=50000000&board=star,chinext&sort_by=pe_ttm&order=asc&limit=20&offset=5",
				ranges: map[string][2]*float64{"total_mv": {fp(1e7), nil}, "circ_mv": {nil, fp(5e7)}},
				boards: []string{"star", "chinext"}, sortBy: "pe_ttm", asc: true, limit: 20, offset: 5, nonEmpty: true},
			{query: "industry=" + url.QueryEscape("白酒") + "&industry=" + url.QueryEscape("银行") + "&include_st=1&sort_by=amount&limit=7",
				inds: []string{"白酒", "银行"}, withST: true, sortBy: "amount", limit: 7, nonEmpty: true},
			{query: "ps_max=1&sort_by=ps&order=asc&offset=100000",
				ranges: map[string][2]*float64{"ps": {nil, fp(1)}}, sortBy: "ps", asc: true, limit: 50, offset: 100000},
			{query: "pe_ttm_min=0&pe_ttm_max=15&pb_max=1.5&board=bse&include_st=false&sort_by=close&order=desc&limit=10",
				ranges: map[string][2]*float64{"pe_ttm": {fp(0), fp(15)}, "pb": {nil, fp(1.5)}}, boards: []string{"bse"},
				sortBy: "close", limit: 10},
		}
		for _, c := range cases {
			var got screenJSON
			getJSON(t, h, "/api/screener?"+c.query, &got)
			total, page := snap.expectScreen(t, snapDate, c)
			if c.nonEmpty && len(page) == 0 {
				t.Errorf("%q: the brute force found nothing: the case proves nothing", c.query)
			}
			order := "desc"
			if c.asc {
				order = "asc"
			}
			if got.TradeDate != date || got.Total != total || got.Limit != c.limit || got.Offset != c.offset || got.SortBy != c.sortBy || got.Order != order {
				t.Errorf("%q: head %+v (total %d), want total %d limit %d offset %d sort %s %s", c.query,
					got, got.Total, total, c.limit, c.offset, c.sortBy, order)
			}
			if len(got.Data) != len(page) {
				t.Errorf("%q: %d rows, want %d", c.query, len(got.Data), len(page))
				continue
			}
			for i, w := range page {
				g := got.Data[i]
				if g.TSCode != w.code || g.Name != w.name || g.Industry != w.industry || g.Board != w.board || g.ST != w.st ||
					g.PctChg != w.pct || !ptrEq(g.PE, w.pe) || !ptrEq(g.PETTM, w.peTTM) || !ptrEq(g.PB, w.pb) ||
					!ptrEq(g.DvRatio, w.dv) || !ptrEq(g.TotalMV, w.totalMV) {
					t.Errorf("%q row %d: got %+v, want %+v", c.query, i, g, w)
				}
			}
		}
		// Spelling does not matter to the cache: the same filters in
		// another order are one entry, with the same answer.
		_, _, a := get(t, h, "/api/screener?pb_max=2&pe_min=0&pe_max=20&sort_by=pb&order=asc&limit=5")
		_, _, b := get(t, h, "/api/screener?order=asc&limit=5&pe_max=20&sort_by=pb&pe_min=0&pb_max=2")
		if string(a) != string(b) {
			t.Errorf("the same screen asked two ways answered differently:\n%s\n%s", a, b)
		}
	})

	t.Run("ladder", func(t *testing.T) {
		var wantUp, wantBroken, wantDown []string
		for _, r := range rows {
			switch {
			case r.up:
				wantUp = append(wantUp, r.code)
			case r.touched:
				wantBroken = append(wantBroken, r.code)
			}
			if r.down {
				wantDown = append(wantDown, r.code)
			}
		}
		slices.Sort(wantUp)
		slices.Sort(wantBroken)
		slices.Sort(wantDown)
		if len(wantUp) < 50 || len(wantBroken) == 0 || len(wantDown) == 0 {
			t.Fatalf("expectation has %d limit-ups, %d broken, %d limit-downs: too few to prove anything", len(wantUp), len(wantBroken), len(wantDown))
		}
		for _, q := range []string{"", "?date=" + date} {
			var got ladderJSON
			getJSON(t, h, "/api/overview/limit-ladder"+q, &got)
			// One day of bars (000001.SZ aside, never limit-up): every
			// limit-up is a first board.
			if lv := got.levels(); len(lv) != 1 || !slices.Equal(lv[1], wantUp) || got.Levels[0].Label != "首板" {
				t.Errorf("%q: levels %v, want only 首板 with %d stocks %v", q, lv, len(wantUp), wantUp)
			}
			if !slices.Equal(codesOf(got.Broken), wantBroken) || !slices.Equal(codesOf(got.LimitDown), wantDown) {
				t.Errorf("%q: broken %v limit-down %v\nwant broken %v limit-down %v", q, codesOf(got.Broken), codesOf(got.LimitDown), wantBroken, wantDown)
			}
			wantRate := float64(len(wantBroken)) / float64(len(wantUp)+len(wantBroken))
			if got.TradeDate != date || got.LimitUpCount != len(wantUp) || got.BrokenCount != len(wantBroken) ||
				got.LimitDownCount != len(wantDown) || got.MaxBoards != 1 || !near(got.BrokenRate, wantRate, 6e-5) {
				t.Errorf("%q: counts %+v, want %d up %d broken %d down rate %.4f", q, got, len(wantUp), len(wantBroken), len(wantDown), wantRate)
			}
		}
	})

	t.Run("quick-analysis", func(t *testing.T) {
		var got quickJSON
		getJSON(t, h, "/api/overview/quick-analysis", &got)
		st := snap.expectStats(t, snapDate)
		b := got.Breadth
		if got.TradeDate != date || b.UpCount != st.up || b.DownCount != st.down || b.FlatCount != st.flat ||
			b.LimitUpCount != st.limitUp || b.LimitDownCount != st.limitDown || b.StockCount != st.count {
			t.Errorf("breadth %+v, want %+v", b, st)
		}
		// Turnover against the days before: the snapshot's extra days hold
		// one stock each.
		byDay := map[time.Time]float64{}
		for _, d := range snap.daily {
			byDay[d.TradeDate] += d.Amount
		}
		avg5 := (byDay[extraDay1] + byDay[extraDay2]) / 2 / 1e5
		if !near(got.Turnover.Amount, math.Round(byDay[snapDate]/1e3)/100, 0.006) || got.Turnover.Days != 2 ||
			got.Turnover.Avg5 == nil || !near(*got.Turnover.Avg5, avg5, 0.006) {
			t.Errorf("turnover %+v, want amount %.2f over avg5 %.2f of 2 days", got.Turnover, byDay[snapDate]/1e5, avg5)
		}
		// The sentiment formula of the README, from the expectations.
		var broken int
		for _, r := range rows {
			if !r.up && r.touched {
				broken++
			}
		}
		B := float64(st.up) / float64(st.up+st.down)
		L := float64(st.limitUp) / float64(st.limitUp+st.limitDown)
		V := math.Min(1, math.Max(0, byDay[snapDate]/1e5/avg5-0.5))
		S := 1 - float64(broken)/float64(st.limitUp+broken)
		score := int(math.Round(100 * (0.4*B + 0.2*L + 0.2*V + 0.2*S)))
		levels := []string{"冰点", "低迷", "中性", "活跃", "过热"}
		if got.Sentiment.Score != score || got.Sentiment.Level != levels[min(score/20, 4)] {
			t.Errorf("sentiment %+v, want %d %s", got.Sentiment, score, levels[min(score/20, 4)])
		}
		// 73 limit-ups (> 50) and 1.68万亿 (> 1万亿) fire; no index is loaded.
		var wantSignals []string
		if st.limitUp > 50 {
			wantSignals = append(wantSignals, "limit_up_many")
		}
		if st.limitDown > 50 {
			wantSignals = append(wantSignals, "limit_down_many")
		}
		switch amount := byDay[snapDate] / 1e5; {
		case amount > 10000:
			wantSignals = append(wantSignals, "turnover_high")
		case amount < 5000:
			wantSignals = append(wantSignals, "turnover_low")
		}
		slices.Sort(wantSignals)
		if len(wantSignals) < 2 || !slices.Equal(got.signalKinds(), wantSignals) || len(got.Indices) != 0 {
			t.Errorf("signals %v (indices %d), want %v", got.signalKinds(), len(got.Indices), wantSignals)
		}
		order := sortedSectors(snap.expectSectors(t, snapDate), "pct_chg")
		for i, s := range got.TopSectors {
			if s.Industry != order[i].industry {
				t.Errorf("top sector %d: %s, want %s", i, s.Industry, order[i].industry)
			}
		}
		for i, s := range got.BottomSectors {
			if s.Industry != order[len(order)-1-i].industry {
				t.Errorf("bottom sector %d: %s, want %s", i, s.Industry, order[len(order)-1-i].industry)
			}
		}
		if len(got.TopSectors) != 5 || len(got.BottomSectors) != 5 || got.Ladder.MaxBoards != 1 || got.Ladder.LimitUpCount != st.limitUp ||
			got.Ladder.BrokenCount != broken || !strings.Contains(got.Summary, fmt.Sprintf("涨停 %d 家", st.limitUp)) {
			t.Errorf("sectors %d/%d, ladder %+v, summary %q", len(got.TopSectors), len(got.BottomSectors), got.Ladder, got.Summary)
		}
	})

	t.Run("pinyin-search", func(t *testing.T) {
		type hits struct {
			Data []market.SearchHit `json:"data"`
		}
		for _, c := range []struct{ q, first string }{
			{"gzmt", "600519.SH"}, {"guizhoumaotai", "600519.SH"}, {"GZMT", "600519.SH"},
			{"payh", "000001.SZ"}, {"pinganyinhang", "000001.SZ"},
			{"cqpj", "600132.SH"}, {"chongqingpijiu", "600132.SH"}, // 重 chong in 重庆
			{"cjzq", "000783.SZ"}, {"changjiangzhengquan", "000783.SZ"}, // 长 chang in 长江
			{"zlzk", "000157.SZ"}, // 重 zhong in 中联重科
		} {
			var got hits
			getJSON(t, h, "/api/stock/search?q="+c.q, &got)
			if len(got.Data) == 0 || got.Data[0].TSCode != c.first {
				t.Errorf("q=%s: %+v, want %s first", c.q, got.Data, c.first)
			}
		}
		// 银行 is yin hang: every hit of yinhang is a bank, and there are
		// more banks than the page holds; yinxing finds none.
		var got hits
		getJSON(t, h, "/api/stock/search?q=yinhang", &got)
		if len(got.Data) != 20 {
			t.Errorf("q=yinhang: %d hits, want the page of 20", len(got.Data))
		}
		for _, hit := range got.Data {
			if !strings.Contains(hit.Name, "银行") {
				t.Errorf("q=yinhang found %+v", hit)
			}
		}
		getJSON(t, h, "/api/stock/search?q=zsyinxing", &got)
		if slices.ContainsFunc(got.Data, func(h market.SearchHit) bool { return h.TSCode == "600036.SH" }) {
			t.Errorf("q=zsyinxing found 招商银行: 行 in 银行 is hang")
		}
		getJSON(t, h, "/api/stock/search?q=zsyh&limit=1", &got)
		if len(got.Data) != 1 || got.Data[0].TSCode != "600036.SH" {
			t.Errorf("q=zsyh&limit=1: %+v", got.Data)
		}
	})

	t.Run("bad-input", func(t *testing.T) {
		for _, c := range []struct {
			target   string
			status   int
			code     string
			mentions []string
		}{
			{"/api/overview/sectors?sort_by=volume", 400, CodeBadRequest, []string{"sort_by", "volume"}},
			{"/api/overview/sectors?limit=0", 400, CodeBadRequest, []string{"limit", "0"}},
			{"/api/overview/sectors?limit=201", 400, CodeBadRequest, []string{"limit", "201"}},
			{"/api/overview/sectors?date=2025-12-19", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/overview/limit-ladder?date=20251219", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/overview/limit-ladder?date=2025-02-30", 400, CodeInvalidDate, []string{"date", "2025-02-30"}},
			{"/api/overview/quick-analysis?date=20251219", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/overview/indices?date=tomorrow", 400, CodeInvalidDate, []string{"date", "tomorrow"}},
			{"/api/screener?pe_min=abc", 400, CodeBadRequest, []string{"pe_min", "abc"}},
			{"/api/screener?pe_min=20&pe_max=10", 400, CodeBadRequest, []string{"pe", "20", "10"}},
			{"/api/screener?board=nasdaq", 400, CodeBadRequest, []string{"board", "nasdaq"}},
			{"/api/screener?sort_by=volume", 400, CodeBadRequest, []string{"sort_by", "volume"}},
			{"/api/screener?order=up", 400, CodeBadRequest, []string{"order", "up"}},
			{"/api/screener?include_st=yes", 400, CodeBadRequest, []string{"include_st", "yes"}},
			{"/api/screener?limit=0", 400, CodeBadRequest, []string{"limit", "0"}},
			{"/api/screener?limit=501", 400, CodeBadRequest, []string{"limit", "501"}},
			{"/api/screener?offset=-1", 400, CodeBadRequest, []string{"offset", "-1"}},
			{"/api/screener?date=2025-12-19", 404, CodeNoData, []string{"2025-12-19"}},
			{"/api/stock/600519.SH/indicators?names=macd,vwap", 400, CodeBadRequest, []string{"names", "vwap"}},
			{"/api/stock/600519.SH/indicators?start=20251218&end=20251201", 400, CodeBadRequest, []string{"start", "end"}},
			{"/api/stock/600519.SH/indicators?adjust=forward", 400, CodeBadRequest, []string{"adjust", "forward"}},
			{"/api/stock/999999.SH/indicators", 404, CodeNotFound, []string{"999999.SH"}},
			{"/api/stock/60051/indicators", 400, CodeInvalidCode, []string{"60051"}},
		} {
			expectError(t, h, "GET", c.target, c.status, c.code, c.mentions...)
		}
	})
}
