package tusharetest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/testenv"
)

// post sends a raw request body and decodes the raw answer, so these tests
// check the wire format itself, not a client's reading of it.
func post(t *testing.T, url, body string) (code int, msg string, data map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var a struct {
		RequestID *string        `json:"request_id"`
		Code      int            `json:"code"`
		Msg       string         `json:"msg"`
		Data      map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if a.RequestID == nil {
		t.Error("answer without request_id")
	}
	return a.Code, a.Msg, a.Data
}

func TestWireFormat(t *testing.T) {
	srv := New(t, Options{Dir: testenv.Snapshot(t), Token: "tok", ETFs: 4, ETFDays: 2})
	cal := testenv.ReadCSV(t, "trade_cal.csv")

	t.Run("trade_cal has exchange and YYYYMMDD dates", func(t *testing.T) {
		code, _, data := post(t, srv.URL, `{"api_name":"trade_cal","token":"tok","params":{"start_date":"20251201","end_date":"20251231"},"fields":"exchange,cal_date,is_open"}`)
		if code != 0 {
			t.Fatalf("code %d", code)
		}
		want := 0
		for _, r := range cal {
			if r["cal_date"] >= "2025-12-01" && r["cal_date"] <= "2025-12-31" {
				want++
			}
		}
		items := data["items"].([]any)
		if len(items) != want || want != 31 {
			t.Fatalf("%d days in December, the CSV has %d", len(items), want)
		}
		first := items[0].([]any)
		if first[0] != "SSE" || len(first[1].(string)) != 8 || strings.Contains(first[1].(string), "-") {
			t.Errorf("row %v", first)
		}
		if _, ok := first[2].(float64); !ok {
			t.Errorf("is_open %#v is not a number", first[2])
		}
	})
	t.Run("fields as a JSON list", func(t *testing.T) {
		code, _, data := post(t, srv.URL, `{"api_name":"adj_factor","token":"tok","params":{"trade_date":"20251218","limit":3},"fields":["adj_factor","ts_code"]}`)
		if code != 0 || len(data["items"].([]any)) != 3 {
			t.Fatalf("code %d, data %v", code, data)
		}
		if f := data["fields"].([]any); f[0] != "adj_factor" || f[1] != "ts_code" {
			t.Errorf("fields %v: the requested order is kept", f)
		}
		if data["has_more"] != true {
			t.Errorf("has_more = %v after 3 of 5464 rows", data["has_more"])
		}
	})
	t.Run("offset past the end", func(t *testing.T) {
		code, _, data := post(t, srv.URL, `{"api_name":"daily","token":"tok","params":{"trade_date":"20251218","offset":999999,"limit":10}}`)
		if code != 0 || len(data["items"].([]any)) != 0 || data["has_more"] != false {
			t.Errorf("code %d, data %v", code, data)
		}
	})
	for _, tc := range []struct {
		name, body, msg string
		code            int
	}{
		{"bad token", `{"api_name":"daily","token":"nope","params":{"trade_date":"20251218"}}`, MsgBadToken, 40101},
		{"no trade_date nor ts_code", `{"api_name":"daily","token":"tok","params":{}}`, "必填参数", 40001},
		{"unknown interface", `{"api_name":"no_such_api","token":"tok","params":{}}`, "接口名", 40101},
		{"not JSON", `api_name=daily`, "JSON", 40001},
		{"bad limit", `{"api_name":"daily","token":"tok","params":{"trade_date":"20251218","limit":"ten"}}`, "limit", 40001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg, data := post(t, srv.URL, tc.body)
			if code != tc.code || !strings.Contains(msg, tc.msg) || data != nil {
				t.Errorf("code %d msg %q data %v", code, msg, data)
			}
		})
	}
	t.Run("funds", func(t *testing.T) {
		_, _, etf := post(t, srv.URL, `{"api_name":"etf_basic","token":"tok","params":{}}`)
		_, _, fund := post(t, srv.URL, `{"api_name":"fund_basic","token":"tok","params":{"market":"E"}}`)
		_, _, otc := post(t, srv.URL, `{"api_name":"fund_basic","token":"tok","params":{"market":"O"}}`)
		_, _, bars := post(t, srv.URL, `{"api_name":"fund_daily","token":"tok","params":{"trade_date":"20251218"}}`)
		n := func(d map[string]any) int { return len(d["items"].([]any)) }
		if n(etf) != 4 || n(fund) != 5 || n(otc) != 0 || n(bars) != 5 {
			t.Errorf("etf_basic %d, fund_basic E %d / O %d, fund_daily %d: want 4 ETFs, one LOF", n(etf), n(fund), n(otc), n(bars))
		}
	})
}

func TestFaults(t *testing.T) {
	srv := New(t, Options{Dir: testenv.Snapshot(t), Token: "tok"})
	srv.SetFaults("daily", Faults{DropEvery: 3, ServerErrorEvery: 2, RateLimitEvery: 5})
	body := `{"api_name":"daily","token":"tok","params":{"trade_date":"20251218","limit":1}}`
	var got []string
	for range 6 {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		switch {
		case err != nil:
			got = append(got, "drop")
		case resp.StatusCode == 500:
			got = append(got, "500")
		default:
			var a struct{ Code int }
			json.NewDecoder(resp.Body).Decode(&a)
			got = append(got, map[int]string{0: "ok", 40203: "rate"}[a.Code])
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	if want := "ok 500 drop 500 rate drop"; strings.Join(got, " ") != want {
		t.Errorf("calls went %q, want %q", strings.Join(got, " "), want)
	}
	if srv.Calls("daily") != 6 || srv.Calls("adj_factor") != 0 {
		t.Errorf("calls: daily %d, adj_factor %d", srv.Calls("daily"), srv.Calls("adj_factor"))
	}
}

// TestLimitsNamesIndicesWire checks the interfaces of the limit rule and the
// indices as the real server answers them.
func TestLimitsNamesIndicesWire(t *testing.T) {
	srv := New(t, Options{Dir: testenv.Snapshot(t), Token: "tok", ETFDays: 3})
	items := func(body string) []any {
		t.Helper()
		code, msg, data := post(t, srv.URL, body)
		if code != 0 {
			t.Fatalf("%s: code %d %s", body, code, msg)
		}
		return data["items"].([]any)
	}
	// stk_limit: the snapshot's rows for 2025-12-19, the whole market in one
	// query (pages aside).
	if n := len(items(`{"api_name":"stk_limit","token":"tok","params":{"trade_date":"20251219"},"fields":"ts_code,trade_date,up_limit,down_limit"}`)); n != len(testenv.ReadCSV(t, "stk_limit.csv")) {
		t.Errorf("stk_limit of 2025-12-19: %d rows", n)
	}
	if n := len(items(`{"api_name":"stk_limit","token":"tok","params":{"trade_date":"20251218"}}`)); n != 0 {
		t.Errorf("stk_limit of 2025-12-18: %d rows, the file is of the 19th", n)
	}
	// namechange: start_date/end_date bound the announcement date.
	rows := items(`{"api_name":"namechange","token":"tok","params":{"start_date":"20250101","end_date":"20251231"},"fields":"ts_code,name,start_date,end_date,ann_date,change_reason"}`)
	if len(rows) == 0 {
		t.Fatal("no name change announced in 2025")
	}
	for _, r := range rows {
		if ann := r.([]any)[4].(string); ann < "20250101" || ann > "20251231" {
			t.Fatalf("row %v announced outside 2025", r)
		}
	}
	// index_daily needs ts_code and answers one index.
	if code, msg, _ := post(t, srv.URL, `{"api_name":"index_daily","token":"tok","params":{"start_date":"20251201"}}`); code == 0 || !strings.Contains(msg, "ts_code") {
		t.Errorf("index_daily without ts_code: code %d %q", code, msg)
	}
	bars := items(`{"api_name":"index_daily","token":"tok","params":{"ts_code":"000001.SH","start_date":"20251201","end_date":"20251231"},"fields":"ts_code,trade_date,close"}`)
	if len(bars) != 3 {
		t.Errorf("000001.SH: %d bars, want the 3 generated days", len(bars))
	}
	for _, b := range bars {
		if b.([]any)[0] != "000001.SH" {
			t.Fatalf("bar %v of another index", b)
		}
	}
	basic := items(`{"api_name":"index_basic","token":"tok","params":{"ts_code":"899050.BJ"},"fields":"ts_code,name,market"}`)
	if len(basic) != 1 || !strings.HasPrefix(basic[0].([]any)[1].(string), "模拟") {
		t.Errorf("index_basic 899050.BJ = %v; want one row labelled 模拟", basic)
	}
}
