package httpapi

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

type klineJSON struct {
	TSCode string `json:"ts_code"`
	Period string `json:"period"`
	Adjust string `json:"adjust"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Data   []struct {
		Date                                string
		Open, High, Low, Close, Vol, Amount float64
		PreClose                            float64 `json:"pre_close"`
		PctChg                              float64 `json:"pct_chg"`
	} `json:"data"`
}

// TestKLinePeriods: weekly and monthly K-lines equal the daily answer of
// the same range folded in the test: ISO weeks (Monday to Sunday) and
// calendar months, each candle dated by its last trading day, open of the
// first day, close of the last, extremes, sums, pre_close the previous
// period's close (the first period's own first pre_close). On a demo
// market of 160 days whose adjustment factors move, in every adjustment.
func TestKLinePeriods(t *testing.T) {
	st := openSQLite(t)
	end := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	if _, err := ingest.Demo(context.Background(), st, ingest.DemoOptions{Stocks: 12, ETFs: 1, Days: 160, Seed: 7, End: end}); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, setup{store: st, cache: newMapCache()})
	// A stock whose adjustment factor moves inside the range, so that qfq,
	// hfq and none really differ.
	var hot hotStocksJSON
	getJSON(t, h, "/api/overview/hot-stocks?limit=12", &hot)
	code := ""
	for _, row := range hot.Data {
		var qfq, none klineJSON
		getJSON(t, h, "/api/stock/"+row.TSCode+"/daily?adjust=qfq&start=2025-06-11", &qfq)
		getJSON(t, h, "/api/stock/"+row.TSCode+"/daily?adjust=none&start=2025-06-11", &none)
		if qfq.Data[0].Close != none.Data[0].Close {
			code = row.TSCode
			break
		}
	}
	if code == "" {
		t.Fatal("no demo stock has a factor change in the range: the adjusted folds would prove little")
	}

	for _, adjust := range []string{"qfq", "hfq", "none"} {
		// A range that starts mid-week and mid-month.
		q := "?adjust=" + adjust + "&start=2025-06-11&end=2025-12-18"
		var daily klineJSON
		getJSON(t, h, "/api/stock/"+code+"/daily"+q, &daily)
		if len(daily.Data) < 100 {
			t.Fatalf("%s: only %d daily bars", adjust, len(daily.Data))
		}
		var day klineJSON
		getJSON(t, h, "/api/stock/"+code+"/kline"+q+"&period=day", &day)
		if fmt.Sprint(day) != fmt.Sprint(daily) || day.Period != "day" {
			t.Errorf("%s: period=day differs from /daily", adjust)
		}
		for _, period := range []string{"week", "month"} {
			var got klineJSON
			getJSON(t, h, "/api/stock/"+code+"/kline"+q+"&period="+period, &got)
			want := foldDays(t, daily, period)
			if got.Period != period || got.Adjust != adjust || got.TSCode != code || got.Start != daily.Start || got.End != daily.End {
				t.Errorf("%s %s: head %+v", adjust, period, got)
			}
			if len(got.Data) != len(want) || len(want) < 6 {
				t.Fatalf("%s %s: %d candles, want %d", adjust, period, len(got.Data), len(want))
			}
			for i, w := range want {
				g := got.Data[i]
				if g.Date != w.date || !near(g.Open, w.open, 1e-9) || !near(g.Close, w.close, 1e-9) || !near(g.High, w.high, 1e-9) ||
					!near(g.Low, w.low, 1e-9) || !near(g.PreClose, w.pre, 1e-9) || !near(g.Vol, w.vol, 1e-3) ||
					!near(g.Amount, w.amount, 1e-3) || !near(g.PctChg, w.pct, 1e-3) {
					t.Errorf("%s %s candle %d:\n got %+v\nwant %+v", adjust, period, i, g, w)
				}
			}
		}
	}
	expectError(t, h, "GET", "/api/stock/"+code+"/kline?period=year", 400, CodeBadRequest, "period", "year")
	expectError(t, h, "GET", "/api/stock/"+code+"/kline?period=week&start=20251218&end=20251201", 400, CodeBadRequest, "start", "end")
}

type foldedCandle struct {
	date                                          string
	open, high, low, close, pre, vol, amount, pct float64
}

// foldDays groups the daily answer's candles by ISO week or month with
// plain loops.
func foldDays(t *testing.T, daily klineJSON, period string) []foldedCandle {
	var out []foldedCandle
	lastKey := ""
	for _, d := range daily.Data {
		day, err := market.ParseDate(d.Date)
		if err != nil {
			t.Fatal(err)
		}
		key := day.Format("2006-01")
		if period == "week" {
			y, w := day.ISOWeek()
			key = fmt.Sprintf("%d-W%02d", y, w)
		}
		if key != lastKey {
			pre := d.PreClose
			if len(out) > 0 {
				pre = out[len(out)-1].close
			}
			out = append(out, foldedCandle{open: d.Open, high: d.High, low: d.Low, pre: pre})
			lastKey = key
		}
		c := &out[len(out)-1]
		c.date, c.close = d.Date, d.Close
		c.high, c.low = math.Max(c.high, d.High), math.Min(c.low, d.Low)
		c.vol += d.Vol
		c.amount += d.Amount
	}
	for i := range out {
		out[i].pct = (out[i].close - out[i].pre) / out[i].pre * 100
	}
	return out
}
