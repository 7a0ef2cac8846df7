// Package tusharetest runs a local stand-in for the Tushare Pro HTTP API: the
// same request and answer bodies, the same error answers, fed from the real
// market snapshot (Tushare-format CSV files), with faults injected on demand.
package tusharetest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Messages copied from Tushare Pro's answers.
const (
	MsgBadToken  = "您的token不对，请确认。"
	MsgRateLimit = "抱歉，您每分钟最多访问该接口200次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。"
	MsgNoAccess  = "抱歉，您没有接口访问权限，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。"
)

// Faults makes an api_name misbehave on every Nth call of it (counting every
// call of that api_name, failed ones included); 0 disables a fault. When
// several fire on the same call the first listed wins.
type Faults struct {
	DropEvery        int  // close the connection without an answer
	ServerErrorEvery int  // HTTP 500
	RateLimitEvery   int  // code 40203, 每分钟最多访问该接口
	NoAccess         bool // always code 40203, 没有接口访问权限 (too few points)
	// MaxRows caps the rows of one answer below the asked limit, as the
	// real server caps each interface; has_more then tells the rest.
	MaxRows int
}

// Options configure a Server.
type Options struct {
	// Dir holds the snapshot CSVs (stock_basic.csv, daily.csv, …).
	Dir   string
	Token string
	// ETFs is the number of generated funds (the snapshot has none) and
	// ETFDays the number of open days, up to the snapshot's last bar date,
	// that get fund bars.
	ETFs, ETFDays int
	// NoHasMore leaves has_more out of answers, as older servers did, so
	// clients must rely on short pages.
	NoHasMore bool
	// Delay holds every answer back this long, as a distant server does;
	// tests that stop a sync halfway use it to have a halfway to stop at.
	Delay time.Duration
}

// Server is a running fake Tushare Pro endpoint.
type Server struct {
	*httptest.Server
	token     string
	noHasMore bool
	delay     time.Duration
	tables    map[string]*table // by api_name

	mu     sync.Mutex
	faults map[string]Faults
	calls  map[string]int
	served map[string]int // rows answered per api_name
}

// New starts a server and stops it when the test ends.
func New(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start loads the snapshot and starts a server; Close stops it.
func Start(opt Options) (*Server, error) {
	s := &Server{
		token:     opt.Token,
		noHasMore: opt.NoHasMore,
		delay:     opt.Delay,
		tables:    map[string]*table{},
		faults:    map[string]Faults{},
		calls:     map[string]int{},
		served:    map[string]int{},
	}
	for _, api := range []string{"stock_basic", "trade_cal", "daily", "daily_basic", "adj_factor", "stk_limit"} {
		tb, err := readTable(filepath.Join(opt.Dir, api+".csv"))
		if err != nil {
			return nil, err
		}
		s.tables[api] = tb
	}
	s.fixCalendar()
	etfs, lofs, bars := generateETFs(opt.ETFs, s.lastOpenDays(opt.ETFDays))
	s.tables["etf_basic"] = etfs
	s.tables["fund_basic"] = fundBasic(etfs, lofs)
	s.tables["fund_daily"] = bars
	s.tables["namechange"] = nameHistory(s.tables["stock_basic"])
	s.tables["index_basic"], s.tables["index_daily"] = generateIndices(s.lastOpenDays(opt.ETFDays))
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, nil
}

// SetFaults replaces the faults of api.
func (s *Server) SetFaults(api string, f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[api] = f
}

// Calls is the number of requests api received, failed ones included.
func (s *Server) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// Rows returns the header and rows the server holds for api (after
// filtering by nothing), for tests that compute expectations.
func (s *Server) Rows(api string) (header []string, rows [][]string) {
	tb := s.tables[api]
	if tb == nil {
		return nil, nil
	}
	return slices.Clone(tb.fields), tb.rows
}

// table is one api's data as the CSV file holds it.
type table struct {
	fields []string
	rows   [][]string
}

func (tb *table) col(name string) int { return slices.Index(tb.fields, name) }

// metaColumns are ingestion metadata of the snapshot's source, not fields of
// any Tushare interface.
var metaColumns = []string{"version", "_ingested_at"}

func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tusharetest: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("tusharetest: %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("tusharetest: %s: empty file", path)
	}
	var keep []int
	tb := &table{}
	for i, h := range recs[0] {
		if !slices.Contains(metaColumns, h) {
			keep = append(keep, i)
			tb.fields = append(tb.fields, h)
		}
	}
	for _, r := range recs[1:] {
		row := make([]string, len(keep))
		for j, i := range keep {
			row[j] = r[i]
		}
		tb.rows = append(tb.rows, row)
	}
	return tb, nil
}

// fixCalendar turns the snapshot's calendar into what the trade_cal
// interface answers: an exchange column and YYYYMMDD dates.
func (s *Server) fixCalendar() {
	tb := s.tables["trade_cal"]
	fields := append([]string{"exchange"}, tb.fields...)
	for i, r := range tb.rows {
		r = append([]string{"SSE"}, r...)
		for j, f := range fields {
			if strings.HasSuffix(f, "_date") {
				r[j] = strings.ReplaceAll(r[j], "-", "")
			}
		}
		tb.rows[i] = r
	}
	tb.fields = fields
}

// lastOpenDays returns the n latest open days up to the snapshot's bar date,
// oldest first.
func (s *Server) lastOpenDays(n int) []string {
	daily := s.tables["daily"]
	last := ""
	for _, r := range daily.rows {
		last = max(last, r[daily.col("trade_date")])
	}
	cal := s.tables["trade_cal"]
	var days []string
	for _, r := range cal.rows {
		if d := r[cal.col("cal_date")]; d <= last && r[cal.col("is_open")] == "1" {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days[max(0, len(days)-n):]
}

// textFields are answered as JSON strings; every other non-empty cell is a
// JSON number, as Tushare sends them.
var textFields = map[string]bool{
	"ts_code": true, "symbol": true, "name": true, "area": true, "industry": true, "fullname": true, "enname": true,
	"cnspell": true, "market": true, "exchange": true, "curr_type": true, "list_status": true, "list_date": true,
	"delist_date": true, "is_hs": true, "trade_date": true, "cal_date": true, "pretrade_date": true,
	"csname": true, "extname": true, "cname": true, "index_code": true, "index_name": true, "setup_date": true,
	"mgr_name": true, "custod_name": true, "etf_type": true, "management": true, "custodian": true,
	"fund_type": true, "found_date": true, "due_date": true, "issue_date": true, "status": true,
	"invest_type": true, "type": true, "benchmark": true,
	"start_date": true, "end_date": true, "ann_date": true, "change_reason": true, "publisher": true,
	"category": true, "base_date": true, "index_type": true, "weight_rule": true, "desc": true,
}

type request struct {
	APIName string          `json:"api_name"`
	Token   string          `json:"token"`
	Params  map[string]any  `json:"params"`
	Fields  json.RawMessage `json:"fields"`
}

type answer struct {
	RequestID string `json:"request_id"`
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
	Data      any    `json:"data"`
}

type data struct {
	Fields  []string `json:"fields"`
	Items   [][]any  `json:"items"`
	HasMore *bool    `json:"has_more,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	var req request
	if r.Method != http.MethodPost || json.Unmarshal(body, &req) != nil {
		s.reply(w, answer{Code: 40001, Msg: "请求格式错误，请使用 POST 提交 JSON"})
		return
	}
	s.mu.Lock()
	s.calls[req.APIName]++
	n := s.calls[req.APIName]
	f := s.faults[req.APIName]
	s.mu.Unlock()

	switch {
	case every(n, f.DropEvery):
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("tusharetest: connection cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case every(n, f.ServerErrorEvery):
		http.Error(w, "<html><body><h1>500 Internal Server Error</h1></body></html>", http.StatusInternalServerError)
		return
	case req.Token != s.token:
		s.reply(w, answer{Code: 40101, Msg: MsgBadToken})
		return
	case every(n, f.RateLimitEvery):
		s.reply(w, answer{Code: 40203, Msg: MsgRateLimit})
		return
	case f.NoAccess:
		s.reply(w, answer{Code: 40203, Msg: MsgNoAccess})
		return
	}
	tb := s.tables[req.APIName]
	if tb == nil {
		s.reply(w, answer{Code: 40101, Msg: "请指定正确的接口名"})
		return
	}
	d, err := s.query(tb, req, f.MaxRows)
	if err != nil {
		s.reply(w, answer{Code: 40001, Msg: err.Error()})
		return
	}
	s.mu.Lock()
	s.served[req.APIName] += len(d.Items)
	s.mu.Unlock()
	s.reply(w, answer{Data: d})
}

func every(n, k int) bool { return k > 0 && n%k == 0 }

func (s *Server) reply(w http.ResponseWriter, a answer) {
	a.RequestID = strconv.FormatInt(int64(len(a.Msg))*7919+1, 36) // stable, not meaningful
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(a)
}

// query filters, projects and pages tb as Tushare does for req.
func (s *Server) query(tb *table, req request, maxRows int) (*data, error) {
	fields, err := requestedFields(req.Fields)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		fields = tb.fields
	}
	var cols []int
	var out []string
	for _, f := range fields {
		// Fields the interface does not have are left out, not an error.
		if i := tb.col(f); i >= 0 {
			cols = append(cols, i)
			out = append(out, f)
		}
	}
	match, err := filter(req.APIName, tb, req.Params)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, r := range tb.rows {
		if match(r) {
			rows = append(rows, r)
		}
	}
	offset, err := intParam(req.Params, "offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(req.Params, "limit", 0)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || maxRows > 0 && limit > maxRows {
		limit = maxRows
	}
	if limit <= 0 {
		limit = len(rows)
	}
	offset = min(max(0, offset), len(rows))
	end := min(offset+limit, len(rows))
	d := &data{Fields: out, Items: make([][]any, 0, end-offset)}
	for _, r := range rows[offset:end] {
		item := make([]any, len(cols))
		for j, i := range cols {
			item[j] = value(out[j], r[i])
		}
		d.Items = append(d.Items, item)
	}
	if !s.noHasMore {
		more := end < len(rows)
		d.HasMore = &more
	}
	return d, nil
}

func value(field, cell string) any {
	if cell == "" {
		return nil
	}
	if textFields[field] {
		return cell
	}
	if v, err := strconv.ParseFloat(cell, 64); err == nil {
		return v
	}
	return cell
}

// requestedFields accepts Tushare's comma-separated string or a JSON list.
func requestedFields(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		list = strings.Split(s, ",")
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("fields: want a comma-separated string")
	}
	var out []string
	for _, f := range list {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func strParam(p map[string]any, name string) string {
	switch v := p[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func intParam(p map[string]any, name string, def int) (int, error) {
	s := strParam(p, name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", name, s)
	}
	return n, nil
}

// filter returns the row predicate of the params an interface understands.
func filter(api string, tb *table, p map[string]any) (func([]string) bool, error) {
	var preds []func([]string) bool
	eq := func(col, param string) {
		v := strParam(p, param)
		i := tb.col(col)
		if v == "" || i < 0 {
			return
		}
		allowed := strings.Split(v, ",")
		preds = append(preds, func(r []string) bool { return slices.Contains(allowed, r[i]) })
	}
	between := func(col string) {
		i := tb.col(col)
		if start := strParam(p, "start_date"); start != "" {
			preds = append(preds, func(r []string) bool { return r[i] >= start })
		}
		if end := strParam(p, "end_date"); end != "" {
			preds = append(preds, func(r []string) bool { return r[i] <= end })
		}
	}
	switch api {
	case "stock_basic":
		eq("ts_code", "ts_code")
		eq("exchange", "exchange")
		status := strParam(p, "list_status")
		if status == "" {
			status = "L" // Tushare's default: listed stocks only
		}
		i := tb.col("list_status")
		preds = append(preds, func(r []string) bool { return r[i] == status })
	case "trade_cal":
		if ex := strParam(p, "exchange"); ex != "" && ex != "SSE" {
			// Only the SSE calendar is in the snapshot.
			return func([]string) bool { return false }, nil
		}
		eq("is_open", "is_open")
		between("cal_date")
	case "daily", "daily_basic", "adj_factor", "fund_daily":
		if strParam(p, "ts_code") == "" && strParam(p, "trade_date") == "" {
			return nil, fmt.Errorf("必填参数ts_code或trade_date至少一个")
		}
		eq("ts_code", "ts_code")
		eq("trade_date", "trade_date")
		between("trade_date")
	case "stk_limit":
		eq("ts_code", "ts_code")
		eq("trade_date", "trade_date")
		between("trade_date")
	case "namechange":
		// start_date and end_date bound the announcement date.
		eq("ts_code", "ts_code")
		between("ann_date")
	case "index_basic":
		eq("ts_code", "ts_code")
		eq("market", "market")
	case "index_daily":
		if strParam(p, "ts_code") == "" {
			return nil, fmt.Errorf("必填参数ts_code")
		}
		eq("ts_code", "ts_code")
		eq("trade_date", "trade_date")
		between("trade_date")
	case "etf_basic":
		eq("ts_code", "ts_code")
		eq("list_status", "list_status")
		eq("exchange", "exchange")
	case "fund_basic":
		if m := strParam(p, "market"); m != "" && m != "E" {
			return func([]string) bool { return false }, nil
		}
		eq("ts_code", "ts_code")
		eq("status", "status")
	}
	return func(r []string) bool {
		for _, pred := range preds {
			if !pred(r) {
				return false
			}
		}
		return true
	}, nil
}
