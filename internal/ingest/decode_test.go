package ingest

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// TestDecodeSnapshot decodes every real snapshot file we load and checks the
// rows against the raw cells.
func TestDecodeSnapshot(t *testing.T) {
	for _, name := range []string{StockBasic, Daily, DailyBasic, AdjFactor, TradeCal} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(testenv.Snapshot(t), name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewDecoder(name, recs[0])
			if err != nil {
				t.Fatal(err)
			}
			for i, rec := range recs[1:] {
				if err := d.Add(rec); err != nil {
					t.Fatalf("line %d: %v", i+2, err)
				}
			}
			b := d.Batch()
			if b.Len() != len(recs)-1 || b.Counts()[name] != len(recs)-1 {
				t.Fatalf("decoded %d rows (%v), file has %d", b.Len(), b.Counts(), len(recs)-1)
			}
		})
	}
}

func TestDecodeSnapshotValues(t *testing.T) {
	raw := testenv.ReadCSV(t, "daily_basic.csv")
	d := decodeAll(t, DailyBasic, "daily_basic.csv")
	var nilPE, withPE int
	for i, r := range d.Batch().DailyBasic {
		want := raw[i]
		if r.TSCode != want["ts_code"] || market.FormatDate(r.TradeDate) != want["trade_date"][:4]+"-"+want["trade_date"][4:6]+"-"+want["trade_date"][6:] {
			t.Fatalf("row %d: got %s %v, want %v", i, r.TSCode, r.TradeDate, want)
		}
		if want["pe"] == "" {
			nilPE++
			if r.PE != nil {
				t.Fatalf("%s: empty pe decoded as %v, want nil", r.TSCode, *r.PE)
			}
			continue
		}
		withPE++
		if r.PE == nil || strconv.FormatFloat(*r.PE, 'f', -1, 64) != strings.TrimRight(strings.TrimRight(want["pe"], "0"), ".") {
			t.Fatalf("%s: pe %v, want %s", r.TSCode, r.PE, want["pe"])
		}
	}
	if nilPE == 0 || withPE == 0 {
		t.Fatalf("snapshot should have loss-makers and earners: %d nil pe, %d with pe", nilPE, withPE)
	}

	stocks := decodeAll(t, StockBasic, "stock_basic.csv").Batch().Stocks
	for _, s := range stocks {
		if s.Exchange != ExchangeOf(s.TSCode) || s.Exchange == "" {
			t.Fatalf("%s: exchange %q not filled from the code", s.TSCode, s.Exchange)
		}
		if s.Symbol != s.TSCode[:6] || s.ListDate.IsZero() {
			t.Fatalf("%s: symbol %q list date %v", s.TSCode, s.Symbol, s.ListDate)
		}
	}

	cal := decodeAll(t, TradeCal, "trade_cal.csv").Batch().TradeCal
	for _, c := range cal {
		if c.Exchange != "SSE" || c.PretradeDate.IsZero() || !c.PretradeDate.Before(c.CalDate) {
			t.Fatalf("calendar row %+v", c)
		}
	}
}

func decodeAll(t *testing.T, dataset, file string) *Decoder {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(testenv.Snapshot(t), file))
	if err != nil {
		t.Fatal(err)
	}
	return decodeText(t, dataset, string(text))
}

func TestNewDecoderErrors(t *testing.T) {
	tests := []struct {
		dataset string
		header  string
		want    string
	}{
		{"limit_list_d", "ts_code,trade_date", `unknown dataset "limit_list_d"`},
		{StkLimit, "ts_code,trade_date,up_limit", `missing column "down_limit"`},
		{NameChange, "ts_code,name,end_date", `missing column "start_date"`},
		{IndexBasic, "ts_code,market", `missing column "name"`},
		{Daily, "ts_code,trade_date,open,high,low,vol,amount", `missing column "close"`},
		{AdjFactor, "ts_code,adj_factor", `missing column "trade_date"`},
		{TradeCal, "exchange,cal_date", `missing column "is_open"`},
		{"etf_basic", "ts_code,index_code", `missing column "csname"`},
		{StockBasic, "symbol,name", `missing column "ts_code"`},
	}
	for _, tt := range tests {
		_, err := NewDecoder(tt.dataset, strings.Split(tt.header, ","))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s [%s]: error %v, want %q", tt.dataset, tt.header, err, tt.want)
		}
	}
}

func TestDecoderBadRecords(t *testing.T) {
	const barHeader = "ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount"
	good := "000001.SZ,20251218,11.51,11.65,11.48,11.64,11.53,0.11,0.954,790466.54,916247.611"
	tests := []struct {
		name, dataset, header, rec, want string
	}{
		{"number", Daily, barHeader, strings.Replace(good, "0.954", "abc", 1), `pct_chg: "abc" is not a number`},
		{"nan", Daily, barHeader, strings.Replace(good, "0.954", "NaN", 1), `pct_chg: "NaN" is not a finite number`},
		{"date", Daily, barHeader, strings.Replace(good, "20251218", "20251318", 1), `trade_date: malformed date "20251318"`},
		{"code", Daily, barHeader, strings.Replace(good, "000001.SZ", "00001.SZ", 1), `ts_code: malformed code "00001.SZ"`},
		{"exchange", Daily, barHeader, strings.Replace(good, "000001.SZ", "000001.HK", 1), `ts_code: malformed code`},
		{"empty code", Daily, barHeader, strings.Replace(good, "000001.SZ", "", 1), `ts_code: empty`},
		{"empty close", Daily, barHeader, strings.Replace(good, "11.64", "", 1), `close: empty`},
		{"zero close", Daily, barHeader, strings.Replace(good, "11.64", "0", 1), `close: 0 must be positive`},
		{"negative vol", Daily, barHeader, strings.Replace(good, "790466.54", "-1", 1), `vol: -1 must not be negative`},
		{"adj", AdjFactor, "ts_code,trade_date,adj_factor", "000001.SZ,20251218,-2", `adj_factor: -2 must be positive`},
		{"is_open", TradeCal, "cal_date,is_open,pretrade_date", "2025-12-18,yes,20251217", `is_open: "yes" is not 0 or 1`},
		{"cal date", TradeCal, "cal_date,is_open,pretrade_date", "2025/12/18,1,20251217", `cal_date: malformed date`},
		{"no name", StockBasic, "ts_code,symbol,name", "600519.SH,600519,", `name: empty`},
		{"list date", StockBasic, "ts_code,name,list_date", "600519.SH,茅,2001", `list_date: malformed date "2001"`},
		{"pe", DailyBasic, "ts_code,trade_date,pe", "600519.SH,20251218,1e", `pe: "1e" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.dataset, strings.Split(tt.header, ","))
			if err != nil {
				t.Fatal(err)
			}
			err = d.Add(strings.Split(tt.rec, ","))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if n := d.Batch().Len(); n != 0 {
				t.Fatalf("a rejected record left %d rows", n)
			}
		})
	}
	// The good record itself passes, so each case above fails for its own reason.
	d, _ := NewDecoder(Daily, strings.Split(barHeader, ","))
	if err := d.Add(strings.Split(good, ",")); err != nil {
		t.Fatal(err)
	}
}

func TestDecoderColumnsByName(t *testing.T) {
	// Columns in another order, with capitals, a BOM and unknown extras.
	d, err := NewDecoder("fund_daily", []string{"\ufeffAmount", "extra", "vol", "close", "low", "high", "open", "trade_date", "ts_code", "version"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Add([]string{"2500.5", "ignored", "6000", "4.1", "4.0", "4.2", "4.05", "2025-12-17", "sh510300", "17677"}); err != nil {
		t.Fatal(err)
	}
	b := d.Batch()
	if b.Dataset != ETFDaily || len(b.ETFDaily) != 1 {
		t.Fatalf("batch %+v", b)
	}
	got := b.ETFDaily[0]
	if got.TSCode != "510300.SH" || got.Amount != 2500.5 || got.Vol != 6000 || got.Close != 4.1 || got.Open != 4.05 ||
		market.FormatDate(got.TradeDate) != "2025-12-17" || got.PreClose != 0 {
		t.Fatalf("bar %+v", got)
	}
	d.Reset()
	if d.Batch().Len() != 0 || d.Batch().Dataset != ETFDaily {
		t.Fatal("Reset kept rows")
	}
}

func TestDecodeFunds(t *testing.T) {
	// etf_basic names the short name csname and the exchange SH/SZ.
	d, err := NewDecoder(ETFBasic, strings.Split("ts_code,csname,extname,index_code,index_name,exchange,mgr_name,list_date,list_status", ","))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Add(strings.Split("159915.SZ,创业板ETF,创业板ETF易方达,399006.SZ,创业板指数,SZ,易方达基金,20111209,L", ",")); err != nil {
		t.Fatal(err)
	}
	e := d.Batch().ETFs[0]
	if e.Name != "创业板ETF" || e.Exchange != "SZSE" || e.MgrName != "易方达基金" || e.IndexCode != "399006.SZ" || e.ListStatus != "L" {
		t.Fatalf("etf_basic row %+v", e)
	}
	// fund_basic: name, management, status; no exchange column.
	d, err = NewDecoder("fund_basic", strings.Split("ts_code,name,management,custodian,fund_type,list_date,status,benchmark,market", ","))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Add(strings.Split("512850.SH,北京50ETF,中信建投基金,招商银行,股票型,20181009,L,北京50指数收益率,E", ",")); err != nil {
		t.Fatal(err)
	}
	e = d.Batch().ETFs[0]
	if e.Name != "北京50ETF" || e.MgrName != "中信建投基金" || e.Exchange != "SSE" || e.ListStatus != "L" || market.FormatDate(e.ListDate) != "2018-10-09" {
		t.Fatalf("fund_basic row %+v", e)
	}
}

func TestAddValues(t *testing.T) {
	// A Tushare Pro JSON answer: numbers, strings and null mixed.
	const answer = `{"fields":["ts_code","trade_date","close","pe","total_mv"],
		"items":[["000001.SZ","20251218",11.64,null,22874467.5],["600519.SH","20251218",1520,21.3,1.9e8]]}`
	var a struct {
		Fields []string
		Items  [][]any
	}
	dec := json.NewDecoder(strings.NewReader(answer))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(DailyBasic, a.Fields)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range a.Items {
		if err := d.AddValues(it); err != nil {
			t.Fatal(err)
		}
	}
	rows := d.Batch().DailyBasic
	if rows[0].PE != nil || *rows[0].TotalMV != 22874467.5 || *rows[1].PE != 21.3 || *rows[1].TotalMV != 1.9e8 || *rows[1].Close != 1520 {
		t.Fatalf("rows %+v %+v", rows[0], rows[1])
	}
	// float64 cells (json without UseNumber) decode the same.
	d2, _ := NewDecoder(DailyBasic, a.Fields)
	if err := d2.AddValues([]any{"000001.SZ", "20251218", 11.64, nil, 22874467.5}); err != nil {
		t.Fatal(err)
	}
	if *d2.Batch().DailyBasic[0].Close != 11.64 {
		t.Fatal("float64 cell")
	}
}

func TestDatasetNames(t *testing.T) {
	for in, want := range map[string]string{"daily": Daily, "fund_daily": ETFDaily, "FUND_BASIC": ETFBasic, "etf_basic": ETFBasic, "trade_cal": TradeCal} {
		if got, ok := Dataset(in); !ok || got != want {
			t.Errorf("Dataset(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, name := range []string{"stk_limit", "namechange", "index_basic", "index_daily"} {
		if got, ok := Dataset(name); !ok || got != name {
			t.Errorf("Dataset(%q) = %q, %v", name, got, ok)
		}
	}
	if _, ok := Dataset("limit_list_d"); ok {
		t.Error("limit_list_d is not loaded")
	}
}

// decodeText decodes a CSV text of one dataset, every row good.
func decodeText(t *testing.T, dataset, text string) *Decoder {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(dataset, recs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs[1:] {
		if err := d.Add(rec); err != nil {
			t.Fatalf("%s:%d: %v", dataset, i+2, err)
		}
	}
	return d
}

// TestDecodeLimitsNamesIndices decodes the four datasets of the limit rule
// and the indices, in Tushare's field names, with their NULLs and errors.
func TestDecodeLimitsNamesIndices(t *testing.T) {
	d := decodeText(t, NameChange,
		"ts_code,name,start_date,end_date,ann_date,change_reason\n"+
			"600848.SH,上海临港,20151118,,20151117,改名\n"+
			"600848.SH,ST自仪,20010508,20061008,,ST\n")
	n := d.Batch().NameChanges
	if len(n) != 2 || n[0].Name != "上海临港" || !n[0].EndDate.IsZero() || market.FormatDate(n[0].AnnDate) != "2015-11-17" ||
		n[1].ChangeReason != "ST" || !n[1].AnnDate.IsZero() || market.FormatDate(n[1].EndDate) != "2006-10-08" {
		t.Fatalf("namechange rows %+v", n)
	}
	d = decodeText(t, StkLimit,
		"trade_date,ts_code,pre_close,up_limit,down_limit\n"+
			"20251219,000001.SZ,11.64,12.8,10.48\n"+
			"20251219,920001.BJ,,,\n")
	l := d.Batch().StkLimits
	if len(l) != 2 || *l[0].UpLimit != 12.8 || *l[0].PreClose != 11.64 || l[1].UpLimit != nil || l[1].PreClose != nil {
		t.Fatalf("stk_limit rows %+v", l)
	}
	if got := d.Batch().TradeDates(); len(got) != 1 || market.FormatDate(got[0]) != "2025-12-19" {
		t.Fatalf("stk_limit trade dates %v", got)
	}
	d = decodeText(t, IndexBasic,
		"ts_code,name,fullname,market,publisher,index_type,category,base_date,base_point,list_date\n"+
			"000001.SH,上证指数,上证综合指数,SSE,中证公司,,综合指数,19901219,100,19910715\n")
	x := d.Batch().Indices
	if len(x) != 1 || x[0].Name != "上证指数" || x[0].BasePoint != 100 || market.FormatDate(x[0].BaseDate) != "1990-12-19" ||
		x[0].Category != "综合指数" || x[0].Publisher != "中证公司" || x[0].Market != "SSE" {
		t.Fatalf("index_basic rows %+v", x)
	}
	d = decodeText(t, IndexDaily, dailyHeader+"000001.SH,20251218,3870.1,3890.5,3861.2,3876.4,3880.3,-3.9,-0.1005,450000000,610000000,1\n")
	if b := d.Batch().IndexDaily; len(b) != 1 || b[0].Close != 3876.4 || len(d.Batch().Daily) != 0 {
		t.Fatalf("index_daily rows %+v", b)
	}

	for _, tc := range []struct {
		dataset, header, row, want string
	}{
		{NameChange, "ts_code,name,start_date,end_date", "600848.SH,名,20200102,20191231", "end_date: 2019-12-31 is before start_date 2020-01-02"},
		{NameChange, "ts_code,name,start_date", "600848.SH,,20200102", "name: empty"},
		{NameChange, "ts_code,name,start_date", "600848.SH,名,", "start_date: empty"},
		{StkLimit, "trade_date,ts_code,up_limit,down_limit", "20251219,000001.SZ,-1,9", "up_limit: -1 must not be negative"},
		{StkLimit, "trade_date,ts_code,up_limit,down_limit", "20251219,000001.SZ,x,9", `up_limit: "x" is not a number`},
		{IndexBasic, "ts_code,name,base_point", "000001.SH,上证指数,abc", `base_point: "abc" is not a number`},
	} {
		dec, err := NewDecoder(tc.dataset, strings.Split(tc.header, ","))
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.Add(strings.Split(tc.row, ",")); err == nil || err.Error() != tc.want {
			t.Errorf("%s %q: error %v, want %q", tc.dataset, tc.row, err, tc.want)
		}
		if dec.Batch().Len() != 0 {
			t.Errorf("%s %q: a bad row was kept", tc.dataset, tc.row)
		}
	}
}
