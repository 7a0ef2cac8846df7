package tusharetest

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The snapshot has neither name history nor index data, so the server makes
// them, the same every time. Index names say 模拟 (simulated): their bars
// are a random walk, not the real indices.

// indexLevels are the starting closes of the walks, near the real levels
// of late 2025 so the numbers look familiar in a trial sync.
var indexLevels = map[string]float64{
	"000001.SH": 3870, "399001.SZ": 13100, "399006.SZ": 3100, "000300.SH": 4580, "000688.SH": 1350, "899050.BJ": 1450,
}

// generateIndices makes index_basic for the six main indices and their
// index_daily bars on days.
func generateIndices(days []string) (basic, bars *table) {
	basic = &table{fields: []string{"ts_code", "name", "fullname", "market", "publisher", "index_type", "category",
		"base_date", "base_point", "list_date", "weight_rule", "desc", "exp_date"}}
	bars = &table{fields: []string{"ts_code", "trade_date", "close", "open", "high", "low", "pre_close", "change",
		"pct_chg", "vol", "amount"}}
	rng := rand.New(rand.NewPCG(11, 2025))
	for _, ref := range market.MainIndices() {
		exchange := map[string]string{"SH": "SSE", "SZ": "SZSE", "BJ": "BSE"}[ref.TSCode[7:]]
		basic.rows = append(basic.rows, []string{ref.TSCode, "模拟" + ref.Name, "模拟" + ref.Name + "指数", exchange,
			"模拟", "", "规模指数", "20100104", "1000", "20100104", "", "", ""})
		level := indexLevels[ref.TSCode]
		for _, d := range days {
			pre := level
			level = round(pre*(1+(rng.Float64()-0.5)*0.04), 4) // within ±2%
			open := round(pre*(1+(rng.Float64()-0.5)*0.01), 4)
			high := math.Max(math.Max(open, level), round(level*(1+rng.Float64()*0.005), 4))
			low := math.Min(math.Min(open, level), round(level*(1-rng.Float64()*0.005), 4))
			vol := math.Round(1e8 + rng.Float64()*4e8)
			bars.rows = append(bars.rows, []string{ref.TSCode, d, num(level), num(open), num(high), num(low), num(pre),
				num(round(level-pre, 4)), num(round((level-pre)/pre*100, 4)), num(vol), num(round(vol*1.2, 3))})
		}
	}
	return basic, bars
}

// nameHistory makes namechange rows from stock_basic: each stock's name
// from its listing, and for a stock under risk warning today its plain name
// first and the ST name from a day in 2025 (a hash of the code picks it), as
// Tushare records an ST designation.
func nameHistory(stocks *table) *table {
	tb := &table{fields: []string{"ts_code", "name", "start_date", "end_date", "ann_date", "change_reason"}}
	code, name, list := stocks.col("ts_code"), stocks.col("name"), stocks.col("list_date")
	for _, r := range stocks.rows {
		listed, err := time.Parse("20060102", r[list])
		if err != nil {
			continue
		}
		plain := strings.TrimPrefix(strings.TrimPrefix(r[name], "*"), "ST")
		if !market.IsST(r[name]) || plain == r[name] {
			tb.rows = append(tb.rows, []string{r[code], r[name], r[list], "", ymd(listed.AddDate(0, 0, -7)), "其他"})
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(r[code]))
		st := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(h.Sum32()%300))
		if !st.After(listed) {
			st = listed.AddDate(0, 0, 1)
		}
		reason := "ST"
		if strings.HasPrefix(r[name], "*") {
			reason = "*ST"
		}
		tb.rows = append(tb.rows,
			[]string{r[code], plain, r[list], ymd(st.AddDate(0, 0, -1)), ymd(listed.AddDate(0, 0, -7)), "其他"},
			[]string{r[code], r[name], ymd(st), "", ymd(st.AddDate(0, 0, -2)), reason})
	}
	return tb
}

func ymd(t time.Time) string { return t.Format("20060102") }
