package tusharetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// The snapshot has no funds, so the server makes a small fixed set: the
// same seed every time, so two servers answer the same rows. Names say
// 模拟 (simulated) so they cannot pass for real funds.
var etfIndexes = []struct{ code, name string }{
	{"000300.SH", "沪深300"}, {"000905.SH", "中证500"}, {"399006.SZ", "创业板指"},
	{"000688.SH", "科创50"}, {"000016.SH", "上证50"}, {"399673.SZ", "创业板50"},
}

var etfManagers = []string{"模拟基金", "示例资管", "测试基金"}

// generateETFs makes n ETFs and, as the real fund_daily also answers them,
// n/4 listed open-end funds (LOFs) that are not ETFs: bars in fund_daily,
// rows in fund_basic, absent from etf_basic.
func generateETFs(n int, days []string) (basic, lofs, bars *table) {
	basic = &table{fields: []string{"ts_code", "csname", "extname", "index_code", "index_name", "setup_date",
		"list_date", "list_status", "exchange", "mgr_name", "mgt_fee", "etf_type"}}
	lofs = &table{fields: basic.fields}
	bars = &table{fields: []string{"ts_code", "trade_date", "pre_close", "open", "high", "low", "close",
		"change", "pct_chg", "vol", "amount"}}
	rng := rand.New(rand.NewPCG(7, 2025))
	for i := range n + n/4 {
		code, exchange := fmt.Sprintf("51%04d.SH", 100+i), "SSE"
		if i%2 == 1 {
			code, exchange = fmt.Sprintf("159%03d.SZ", 900+i), "SZSE"
		}
		ix := etfIndexes[i%len(etfIndexes)]
		name := fmt.Sprintf("模拟%sETF%d", ix.name, i+1)
		status := "L"
		if i%7 == 6 {
			status = "D" // a delisted fund, so every list_status is exercised
		}
		row := []string{code, name, name + "交易型开放式指数基金", ix.code, ix.name,
			"20200102", "20200115", status, exchange, etfManagers[i%len(etfManagers)], "0.5", "境内"}
		if i >= n {
			code = fmt.Sprintf("16%04d.SZ", 1000+i)
			name = fmt.Sprintf("模拟混合LOF%d", i+1)
			row = []string{code, name, name, "", "", "20190102", "20190115", "L", "SZSE", etfManagers[i%len(etfManagers)], "1.2", ""}
			lofs.rows = append(lofs.rows, row)
		} else {
			basic.rows = append(basic.rows, row)
		}

		closePrice := round(0.8+rng.Float64()*4, 3)
		for _, d := range days {
			pre := closePrice
			pct := (rng.Float64() - 0.5) * 6 // within ±3%
			closePrice = round(pre*(1+pct/100), 3)
			open := round(pre*(1+(rng.Float64()-0.5)/100), 3)
			high := math.Max(math.Max(open, closePrice), round(closePrice*(1+rng.Float64()/100), 3))
			low := math.Min(math.Min(open, closePrice), round(closePrice*(1-rng.Float64()/100), 3))
			vol := math.Round(1e4 + rng.Float64()*5e6)
			amount := round(vol*closePrice*100/1000, 3)
			bars.rows = append(bars.rows, []string{code, d, num(pre), num(open), num(high), num(low), num(closePrice),
				num(round(closePrice-pre, 3)), num(round((closePrice-pre)/pre*100, 4)), num(vol), num(amount)})
		}
	}
	return basic, lofs, bars
}

// fundBasic is the same funds, LOFs included, as fund_basic (market=E)
// answers them, for accounts without etf_basic's points.
func fundBasic(etf, lofs *table) *table {
	tb := &table{fields: []string{"ts_code", "name", "management", "fund_type", "list_date", "benchmark", "status", "market"}}
	for _, r := range append(slices.Clone(etf.rows), lofs.rows...) {
		tb.rows = append(tb.rows, []string{r[etf.col("ts_code")], r[etf.col("csname")], r[etf.col("mgr_name")],
			"股票型", r[etf.col("list_date")], r[etf.col("index_name")] + "指数收益率", r[etf.col("list_status")], "E"})
	}
	return tb
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
