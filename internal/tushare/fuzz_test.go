package tushare

import (
	"errors"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

// FuzzDecodeAnswer feeds any bytes to the decoder of Tushare Pro answers and
// what it accepts to the importer's decoder, as the sync does: nothing may
// panic, a refusal is an *APIError, an accepted table is rectangular, and
// every bar the sync would store has a normalised code and a date inside
// the exchange era. Seeds: answers in the real wire format (see
// tusharetest), and testdata/fuzz/FuzzDecodeAnswer.
func FuzzDecodeAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"request_id":"a1","code":0,"msg":"","data":{"fields":["ts_code","trade_date","open","high","low","close","pre_close","change","pct_chg","vol","amount"],` +
			`"items":[["600519.SH","20251218",1433.5,1438.88,1426.11,1431.0,1433.1,-2.1,-0.1465,17829.95,2551177.659],["000001.SZ","20251218",11.5,11.6,11.4,11.5,11.5,0,0,null,null]],"has_more":false}}`,
		`{"request_id":"a2","code":0,"msg":"","data":{"fields":["ts_code","name","list_date"],"items":[["600519.SH","贵州茅台","20010827"]]}}`,
		`{"request_id":"a3","code":0,"msg":"","data":{"fields":["exchange","cal_date","is_open","pretrade_date"],"items":[["SSE","19901219",1,null]],"has_more":true}}`,
		`{"request_id":"e1","code":40203,"msg":"抱歉，您每分钟最多访问该接口200次","data":null}`,
		`{"request_id":"e2","code":0,"msg":"","data":{"fields":["ts_code"],"items":[["600519.SH","extra"]]}}`,
		`{"code":0}`,
		`not json`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		tab, more, err := decodeAnswer("daily", strings.NewReader(body))
		if err != nil {
			if tab != nil || more != nil {
				t.Errorf("an error with a table: %v", err)
			}
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == 0 {
				t.Errorf("APIError with code 0: %v", err)
			}
			return
		}
		for i, item := range tab.Items {
			if len(item) != len(tab.Fields) {
				t.Fatalf("row %d: %d cells for %d fields", i, len(item), len(tab.Fields))
			}
		}
		for _, ds := range ingest.Datasets() {
			dec, err := ingest.NewDecoder(ds, tab.Fields)
			if err != nil {
				continue // a required column is missing for this dataset
			}
			for _, item := range tab.Items {
				dec.AddValues(item)
			}
			b := dec.Batch()
			for _, bar := range append(b.Daily, b.ETFDaily...) {
				if c, err := market.ParseCode(bar.TSCode); err != nil || c != bar.TSCode {
					t.Errorf("%s: stored code %q", ds, bar.TSCode)
				}
				if bar.TradeDate.Before(market.FirstDate) || bar.TradeDate.After(market.LastDate) {
					t.Errorf("%s: stored date %v outside the era", ds, bar.TradeDate)
				}
			}
		}
	})
}

// A row with fewer cells than fields would leave columns silently empty:
// the whole answer is refused.
func TestDecodeAnswerRefusesRaggedRows(t *testing.T) {
	_, _, err := decodeAnswer("daily", strings.NewReader(`{"code":0,"data":{"fields":["ts_code","trade_date","close"],"items":[["600519.SH","20251218"]]}}`))
	if err == nil || !strings.Contains(err.Error(), "row 0 has 2 cells for 3 fields") {
		t.Fatalf("ragged row: %v", err)
	}
}
