package ingest

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// FuzzDecodeCSV feeds any text to the importer's CSV decoding as any
// dataset: it must never panic, every malformed line is reported with its
// line and a reason, and every row it accepts has a well-formed key
// (normalised code, dates inside the exchange era) and finite numbers —
// what the stores rely on. Seeds: the head of each file of the real
// snapshot, and testdata/fuzz/FuzzDecodeCSV.
func FuzzDecodeCSV(f *testing.F) {
	dir := filepath.Join("..", "..", "testdata", "tushare-2025-12-18")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	if len(files) == 0 {
		f.Fatal("no snapshot CSV files to seed from")
	}
	datasets := Datasets()
	for _, file := range files {
		ds, ok := datasetOfFile(filepath.Base(file))
		if !ok {
			continue
		}
		head := headLines(f, file, 6)
		for i, d := range datasets {
			if d == ds {
				f.Add(uint8(i), head)
			}
		}
	}
	f.Add(uint8(3), "ts_code,trade_date,open,high,low,close,pre_close,pct_chg,vol,amount\n600519.SH,20251218,1,2,1,2,1,1,1,1\n")
	f.Add(uint8(2), "cal_date,is_open,pretrade_date\n00010101,1,\n")
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		dataset := datasets[int(which)%len(datasets)]
		var last *Decoder
		err := scanCSV(context.Background(), strings.NewReader(text), "fuzz.csv", dataset,
			func(d *Decoder) error {
				if d != nil {
					last = d
				}
				return nil
			},
			func(b BadLine) {
				if b.Line < 1 || b.Reason == "" || b.File != "fuzz.csv" {
					t.Errorf("bad line reported as %+v", b)
				}
			})
		if err != nil || last == nil {
			return // no header, a missing column: the whole file is refused
		}
		checkBatch(t, last.Batch())
	})
}

func headLines(tb testing.TB, path string, n int) string {
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	var b strings.Builder
	sc := bufio.NewScanner(fh)
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

// checkBatch holds decoded rows to what the stores rely on.
func checkBatch(t *testing.T, b Batch) {
	t.Helper()
	code := func(c string) {
		t.Helper()
		if n, err := market.ParseCode(c); err != nil || n != c {
			t.Errorf("accepted code %q (normalised %q, %v)", c, n, err)
		}
	}
	date := func(d time.Time, required bool) {
		t.Helper()
		if d.IsZero() {
			if required {
				t.Errorf("accepted a row without its date")
			}
			return
		}
		if d.Before(market.FirstDate) || d.After(market.LastDate) || d.Location() != time.UTC || d.Hour()+d.Minute()+d.Second() != 0 {
			t.Errorf("accepted date %v outside the era or not midnight UTC", d)
		}
	}
	finite := func(vs ...float64) {
		t.Helper()
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("accepted a number that is not finite: %v", v)
			}
		}
	}
	opt := func(ps ...*float64) {
		t.Helper()
		for _, p := range ps {
			if p != nil {
				finite(*p)
			}
		}
	}
	for _, s := range b.Stocks {
		code(s.TSCode)
		date(s.ListDate, false)
		date(s.DelistDate, false)
	}
	for _, bars := range [][]market.DailyBar{b.Daily, b.ETFDaily} {
		for _, r := range bars {
			code(r.TSCode)
			date(r.TradeDate, true)
			finite(r.Open, r.High, r.Low, r.Close, r.PreClose, r.Change, r.PctChg, r.Vol, r.Amount)
		}
	}
	for _, r := range b.DailyBasic {
		code(r.TSCode)
		date(r.TradeDate, true)
		opt(r.Close, r.TurnoverRate, r.VolumeRatio, r.PE, r.PETTM, r.PB, r.PS, r.DvRatio, r.TotalShare, r.FloatShare, r.TotalMV, r.CircMV)
	}
	for _, r := range b.AdjFactors {
		code(r.TSCode)
		date(r.TradeDate, true)
		if finite(r.Factor); r.Factor <= 0 {
			t.Errorf("accepted adj_factor %v", r.Factor)
		}
	}
	for _, e := range b.ETFs {
		code(e.TSCode)
		date(e.ListDate, false)
	}
	for _, d := range b.TradeCal {
		date(d.CalDate, true)
		date(d.PretradeDate, false)
		if d.Exchange == "" {
			t.Errorf("accepted a calendar day without an exchange")
		}
	}
}
