// Package ingest loads market data into a store: Tushare-format records
// (shared by the CSV importer and the Tushare sync), CSV files, and a
// synthetic demo market.
package ingest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Dataset names, as Tushare's api_name and as our table names.
const (
	StockBasic = "stock_basic"
	Daily      = "daily"
	DailyBasic = "daily_basic"
	AdjFactor  = "adj_factor"
	TradeCal   = "trade_cal"
	ETFBasic   = "etf_basic"
	ETFDaily   = "etf_daily"
	NameChange = "namechange"
	StkLimit   = "stk_limit"
	IndexBasic = "index_basic"
	IndexDaily = "index_daily"
)

// aliases maps every accepted dataset name to its table. Tushare serves
// exchange-traded funds through fund_basic/fund_daily as well as etf_basic.
var aliases = map[string]string{
	StockBasic:   StockBasic,
	Daily:        Daily,
	DailyBasic:   DailyBasic,
	AdjFactor:    AdjFactor,
	TradeCal:     TradeCal,
	ETFBasic:     ETFBasic,
	ETFDaily:     ETFDaily,
	NameChange:   NameChange,
	StkLimit:     StkLimit,
	IndexBasic:   IndexBasic,
	IndexDaily:   IndexDaily,
	"fund_basic": ETFBasic,
	"fund_daily": ETFDaily,
}

// Dataset returns the table a dataset name loads into (fund_daily →
// etf_daily); ok is false for names we do not load.
func Dataset(name string) (table string, ok bool) {
	table, ok = aliases[strings.ToLower(strings.TrimSpace(name))]
	return table, ok
}

// Datasets lists the tables in load order: reference data first, so a bar
// never arrives before the stock and calendar that explain it.
func Datasets() []string {
	return []string{StockBasic, ETFBasic, IndexBasic, TradeCal, NameChange, Daily, DailyBasic, AdjFactor, StkLimit,
		ETFDaily, IndexDaily}
}

// column is one field of a dataset: its Tushare names (the first present in
// the header wins) and whether a record is meaningless without it.
type column struct {
	names    []string
	required bool
}

func col(names ...string) column  { return column{names: names} }
func must(names ...string) column { return column{names: names, required: true} }
func (c column) String() string   { return c.names[0] }

// Fields of each dataset, indexed by the f* constants below.
var schemas = map[string][]column{
	StockBasic: {fCode: must("ts_code"), fSymbol: col("symbol"), fName: must("name"), fArea: col("area"),
		fIndustry: col("industry"), fMarket: col("market"), fExchange: col("exchange"),
		fListDate: col("list_date"), fDelistDate: col("delist_date"), fListStatus: col("list_status")},
	Daily:    barSchema,
	ETFDaily: barSchema,
	DailyBasic: {fCode: must("ts_code"), fDate: must("trade_date"), fClose: col("close"),
		fTurnover: col("turnover_rate"), fVolumeRatio: col("volume_ratio"), fPE: col("pe"), fPETTM: col("pe_ttm"),
		fPB: col("pb"), fPS: col("ps"), fDvRatio: col("dv_ratio"), fTotalShare: col("total_share"),
		fFloatShare: col("float_share"), fTotalMV: col("total_mv"), fCircMV: col("circ_mv")},
	AdjFactor: {fCode: must("ts_code"), fDate: must("trade_date"), fFactor: must("adj_factor")},
	TradeCal: {fExchange: col("exchange"), fCalDate: must("cal_date"), fIsOpen: must("is_open"),
		fPretrade: col("pretrade_date")},
	// etf_basic calls the short name csname, fund_basic calls it name; the
	// manager is mgr_name or management; the status list_status or status.
	ETFBasic: {fCode: must("ts_code"), fName: must("csname", "name", "extname", "cname"),
		fIndexCode: col("index_code"), fIndexName: col("index_name"), fExchange: col("exchange"),
		fMgrName: col("mgr_name", "management"), fListDate: col("list_date"),
		fListStatus: col("list_status", "status")},
	// namechange's start_date and end_date are when the name was in use
	// (its query parameters of the same names filter the announcement date).
	NameChange: {fCode: must("ts_code"), fName: must("name"), fStartDate: must("start_date"),
		fEndDate: col("end_date"), fAnnDate: col("ann_date"), fChangeReason: col("change_reason")},
	// pre_close is not a default field of stk_limit; an empty price is NULL.
	StkLimit: {fCode: must("ts_code"), fDate: must("trade_date"), fPreClose: col("pre_close"),
		fUpLimit: must("up_limit"), fDownLimit: must("down_limit")},
	IndexBasic: {fCode: must("ts_code"), fName: must("name"), fMarket: col("market"), fPublisher: col("publisher"),
		fCategory: col("category"), fBaseDate: col("base_date"), fBasePoint: col("base_point"),
		fListDate: col("list_date")},
	IndexDaily: barSchema,
}

var barSchema = []column{fCode: must("ts_code"), fDate: must("trade_date"), fOpen: must("open"),
	fHigh: must("high"), fLow: must("low"), fClose: must("close"), fPreClose: col("pre_close"),
	fChange: col("change"), fPctChg: col("pct_chg"), fVol: must("vol"), fAmount: must("amount")}

// Field slots. Each dataset uses a subset; sharing one numbering keeps the
// schema tables and the decoding switch readable.
const (
	fCode = iota
	fDate
	fSymbol
	fName
	fArea
	fIndustry
	fMarket
	fExchange
	fListDate
	fDelistDate
	fListStatus
	fOpen
	fHigh
	fLow
	fClose
	fPreClose
	fChange
	fPctChg
	fVol
	fAmount
	fTurnover
	fVolumeRatio
	fPE
	fPETTM
	fPB
	fPS
	fDvRatio
	fTotalShare
	fFloatShare
	fTotalMV
	fCircMV
	fFactor
	fCalDate
	fIsOpen
	fPretrade
	fIndexCode
	fIndexName
	fMgrName
	fStartDate
	fEndDate
	fAnnDate
	fChangeReason
	fUpLimit
	fDownLimit
	fPublisher
	fCategory
	fBaseDate
	fBasePoint
	numFields
)

// Decoder turns Tushare-format records (a header of field names, then rows
// of strings, as in Tushare's JSON answers and CSV exports) into domain rows.
// Columns are found by name, so their order does not matter and columns we
// do not know are ignored. An empty cell is NULL. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	dataset string
	schema  []column
	idx     [numFields]int // record index of each field, -1 when absent
	batch   Batch
	codes   map[string]string    // interned ts_codes: bars repeat a few thousand codes
	dates   map[string]time.Time // parsed dates: files repeat a few dates
}

// NewDecoder prepares decoding of one dataset (see Dataset for the names)
// whose records carry the given header. It fails when the dataset is unknown
// or a required column is missing, naming the column.
func NewDecoder(dataset string, header []string) (*Decoder, error) {
	table, ok := Dataset(dataset)
	if !ok {
		return nil, fmt.Errorf("unknown dataset %q", dataset)
	}
	d := &Decoder{
		dataset: table,
		schema:  schemas[table],
		codes:   make(map[string]string),
		dates:   make(map[string]time.Time),
	}
	d.batch.Dataset = table
	for i := range d.idx {
		d.idx[i] = -1
	}
	for f, c := range d.schema {
		if c.names == nil {
			continue
		}
		// The first alias present wins, whatever the header order.
	names:
		for _, name := range c.names {
			for i, h := range header {
				if normHeader(h) == name {
					d.idx[f] = i
					break names
				}
			}
		}
		if c.required && d.idx[f] < 0 {
			return nil, fmt.Errorf("%s: missing column %q", dataset, c.String())
		}
	}
	return d, nil
}

// normHeader forgives what spreadsheets do to headers: a byte-order mark,
// spaces, capitals.
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
}

// Add decodes one record and appends it to the batch. On error nothing is
// appended and the error says which field is wrong and why, e.g.
// `pct_chg: "abc" is not a number`.
func (d *Decoder) Add(rec []string) error {
	r := row{d: d, rec: rec}
	switch d.dataset {
	case StockBasic:
		s := r.stock()
		if r.err == nil {
			d.batch.Stocks = append(d.batch.Stocks, s)
		}
	case Daily, ETFDaily, IndexDaily:
		b := r.bar()
		if r.err == nil {
			switch d.dataset {
			case Daily:
				d.batch.Daily = append(d.batch.Daily, b)
			case ETFDaily:
				d.batch.ETFDaily = append(d.batch.ETFDaily, b)
			default:
				d.batch.IndexDaily = append(d.batch.IndexDaily, b)
			}
		}
	case NameChange:
		n := r.nameChange()
		if r.err == nil {
			d.batch.NameChanges = append(d.batch.NameChanges, n)
		}
	case StkLimit:
		l := r.stkLimit()
		if r.err == nil {
			d.batch.StkLimits = append(d.batch.StkLimits, l)
		}
	case IndexBasic:
		x := r.index()
		if r.err == nil {
			d.batch.Indices = append(d.batch.Indices, x)
		}
	case DailyBasic:
		b := r.dailyBasic()
		if r.err == nil {
			d.batch.DailyBasic = append(d.batch.DailyBasic, b)
		}
	case AdjFactor:
		a := market.AdjFactor{TSCode: r.code(), TradeDate: r.date(fDate, true), Factor: r.num(fFactor, true)}
		if r.err == nil && a.Factor <= 0 {
			r.fail(fFactor, fmt.Errorf("%v must be positive", a.Factor))
		}
		if r.err == nil {
			d.batch.AdjFactors = append(d.batch.AdjFactors, a)
		}
	case TradeCal:
		t := r.tradeDay()
		if r.err == nil {
			d.batch.TradeCal = append(d.batch.TradeCal, t)
		}
	case ETFBasic:
		e := r.etf()
		if r.err == nil {
			d.batch.ETFs = append(d.batch.ETFs, e)
		}
	}
	return r.err
}

// Batch returns the rows decoded so far. The slices are shared with the
// decoder until Reset.
func (d *Decoder) Batch() Batch { return d.batch }

// Reset forgets the decoded rows but keeps the header, so a long file can be
// decoded and written chunk by chunk.
func (d *Decoder) Reset() { d.batch = Batch{Dataset: d.dataset} }

// row decodes one record; the first error sticks and later fields are not
// looked at, so each method can be written straight through.
type row struct {
	d   *Decoder
	rec []string
	err error
}

func (r *row) fail(f int, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", r.d.fieldName(f), err)
	}
}

// fieldName is the header name the record used for a field.
func (d *Decoder) fieldName(f int) string { return d.schema[f].String() }

// cell returns the trimmed text of a field, "" when absent or NULL.
func (r *row) cell(f int) string {
	i := r.d.idx[f]
	if i < 0 || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r *row) str(f int) string {
	if r.err != nil {
		return ""
	}
	return r.cell(f)
}

func (r *row) code() string {
	if r.err != nil {
		return ""
	}
	s := r.cell(fCode)
	if c, ok := r.d.codes[s]; ok {
		return c
	}
	if s == "" {
		r.fail(fCode, fmt.Errorf("empty"))
		return ""
	}
	c, err := market.ParseCode(s)
	if err != nil {
		r.fail(fCode, err)
		return ""
	}
	r.d.codes[s] = c
	return c
}

func (r *row) date(f int, required bool) time.Time {
	if r.err != nil {
		return time.Time{}
	}
	s := r.cell(f)
	if s == "" {
		if required {
			r.fail(f, fmt.Errorf("empty"))
		}
		return time.Time{}
	}
	if t, ok := r.d.dates[s]; ok {
		return t
	}
	t, err := market.ParseDate(s)
	if err != nil {
		r.fail(f, err)
		return time.Time{}
	}
	if len(r.d.dates) < 100_000 {
		r.d.dates[s] = t
	}
	return t
}

// optNum returns nil for an empty cell.
func (r *row) optNum(f int) *float64 {
	if r.err != nil || r.cell(f) == "" {
		return nil
	}
	v := r.num(f, false)
	if r.err != nil {
		return nil
	}
	return &v
}

// num parses a number; an empty optional cell is 0.
func (r *row) num(f int, required bool) float64 {
	if r.err != nil {
		return 0
	}
	s := r.cell(f)
	if s == "" {
		if required {
			r.fail(f, fmt.Errorf("empty"))
		}
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.fail(f, fmt.Errorf("%q is not a number", s))
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail(f, fmt.Errorf("%q is not a finite number", s))
		return 0
	}
	return v
}

func (r *row) positive(f int, v float64) {
	if r.err == nil && v <= 0 {
		r.fail(f, fmt.Errorf("%v must be positive", v))
	}
}

func (r *row) nonNegative(f int, v float64) {
	if r.err == nil && v < 0 {
		r.fail(f, fmt.Errorf("%v must not be negative", v))
	}
}

func (r *row) bar() market.DailyBar {
	b := market.DailyBar{
		TSCode:    r.code(),
		TradeDate: r.date(fDate, true),
		Open:      r.num(fOpen, true),
		High:      r.num(fHigh, true),
		Low:       r.num(fLow, true),
		Close:     r.num(fClose, true),
		PreClose:  r.num(fPreClose, false),
		Change:    r.num(fChange, false),
		PctChg:    r.num(fPctChg, false),
		Vol:       r.num(fVol, true),
		Amount:    r.num(fAmount, true),
	}
	r.positive(fClose, b.Close)
	r.nonNegative(fOpen, b.Open)
	r.nonNegative(fHigh, b.High)
	r.nonNegative(fLow, b.Low)
	r.nonNegative(fPreClose, b.PreClose)
	r.nonNegative(fVol, b.Vol)
	r.nonNegative(fAmount, b.Amount)
	return b
}

func (r *row) dailyBasic() market.DailyBasic {
	return market.DailyBasic{
		TSCode:       r.code(),
		TradeDate:    r.date(fDate, true),
		Close:        r.optNum(fClose),
		TurnoverRate: r.optNum(fTurnover),
		VolumeRatio:  r.optNum(fVolumeRatio),
		PE:           r.optNum(fPE),
		PETTM:        r.optNum(fPETTM),
		PB:           r.optNum(fPB),
		PS:           r.optNum(fPS),
		DvRatio:      r.optNum(fDvRatio),
		TotalShare:   r.optNum(fTotalShare),
		FloatShare:   r.optNum(fFloatShare),
		TotalMV:      r.optNum(fTotalMV),
		CircMV:       r.optNum(fCircMV),
	}
}

func (r *row) stock() market.Stock {
	s := market.Stock{
		TSCode:     r.code(),
		Symbol:     r.str(fSymbol),
		Name:       r.str(fName),
		Area:       r.str(fArea),
		Industry:   r.str(fIndustry),
		Market:     r.str(fMarket),
		Exchange:   r.str(fExchange),
		ListDate:   r.date(fListDate, false),
		DelistDate: r.date(fDelistDate, false),
		ListStatus: r.str(fListStatus),
	}
	if r.err != nil {
		return s
	}
	if s.Name == "" {
		r.fail(fName, fmt.Errorf("empty"))
	}
	// stock_basic leaves market and exchange out unless asked for them;
	// both follow from the code.
	if s.Symbol == "" {
		s.Symbol = s.TSCode[:6]
	}
	if s.Exchange == "" {
		s.Exchange = ExchangeOf(s.TSCode)
	} else {
		s.Exchange = normExchange(s.Exchange)
	}
	if s.Market == "" {
		s.Market = MarketOf(s.TSCode)
	}
	if s.ListStatus == "" {
		s.ListStatus = "L"
	}
	return s
}

func (r *row) etf() market.ETF {
	e := market.ETF{
		TSCode:     r.code(),
		Name:       r.str(fName),
		IndexCode:  r.str(fIndexCode),
		IndexName:  r.str(fIndexName),
		Exchange:   r.str(fExchange),
		MgrName:    r.str(fMgrName),
		ListDate:   r.date(fListDate, false),
		ListStatus: r.str(fListStatus),
	}
	if r.err != nil {
		return e
	}
	if e.Name == "" {
		r.fail(fName, fmt.Errorf("empty"))
	}
	if e.Exchange == "" {
		e.Exchange = ExchangeOf(e.TSCode)
	} else {
		e.Exchange = normExchange(e.Exchange)
	}
	if e.ListStatus == "" {
		e.ListStatus = "L"
	}
	return e
}

func (r *row) nameChange() market.NameChange {
	n := market.NameChange{
		TSCode:       r.code(),
		Name:         r.str(fName),
		StartDate:    r.date(fStartDate, true),
		EndDate:      r.date(fEndDate, false),
		AnnDate:      r.date(fAnnDate, false),
		ChangeReason: r.str(fChangeReason),
	}
	if r.err == nil && n.Name == "" {
		r.fail(fName, fmt.Errorf("empty"))
	}
	if r.err == nil && !n.EndDate.IsZero() && n.EndDate.Before(n.StartDate) {
		r.fail(fEndDate, fmt.Errorf("%s is before start_date %s", market.FormatDate(n.EndDate), market.FormatDate(n.StartDate)))
	}
	return n
}

// stkLimit keeps NULL prices NULL; a negative one is an error (zero and the
// vendors' sentinels are kept: they mean no limit).
func (r *row) stkLimit() market.StkLimit {
	l := market.StkLimit{TSCode: r.code(), TradeDate: r.date(fDate, true), PreClose: r.optNum(fPreClose),
		UpLimit: r.optNum(fUpLimit), DownLimit: r.optNum(fDownLimit)}
	for f, p := range []*float64{fPreClose: l.PreClose, fUpLimit: l.UpLimit, fDownLimit: l.DownLimit} {
		if p != nil {
			r.nonNegative(f, *p)
		}
	}
	return l
}

func (r *row) index() market.Index {
	x := market.Index{
		TSCode:    r.code(),
		Name:      r.str(fName),
		Market:    r.str(fMarket),
		Publisher: r.str(fPublisher),
		Category:  r.str(fCategory),
		BaseDate:  r.date(fBaseDate, false),
		BasePoint: r.num(fBasePoint, false),
		ListDate:  r.date(fListDate, false),
	}
	if r.err == nil && x.Name == "" {
		r.fail(fName, fmt.Errorf("empty"))
	}
	return x
}

func (r *row) tradeDay() market.TradeDay {
	t := market.TradeDay{
		Exchange:     r.str(fExchange),
		CalDate:      r.date(fCalDate, true),
		PretradeDate: r.date(fPretrade, false),
	}
	if t.Exchange == "" {
		t.Exchange = "SSE" // Tushare's default when the query names none
	}
	switch s := r.str(fIsOpen); s {
	case "1", "true", "True", "1.0":
		t.IsOpen = true
	case "0", "false", "False", "0.0":
	default:
		if r.err == nil {
			r.fail(fIsOpen, fmt.Errorf("%q is not 0 or 1", s))
		}
	}
	return t
}

// ExchangeOf is Tushare's exchange name for a normalised ts_code: SSE, SZSE
// or BSE.
func ExchangeOf(tsCode string) string {
	switch {
	case strings.HasSuffix(tsCode, ".SH"):
		return "SSE"
	case strings.HasSuffix(tsCode, ".SZ"):
		return "SZSE"
	case strings.HasSuffix(tsCode, ".BJ"):
		return "BSE"
	}
	return ""
}

// normExchange maps etf_basic's SH/SZ to the SSE/SZSE that stock_basic uses.
func normExchange(s string) string {
	switch strings.ToUpper(s) {
	case "SH", "SSE":
		return "SSE"
	case "SZ", "SZSE":
		return "SZSE"
	case "BJ", "BSE":
		return "BSE"
	}
	return s
}

// MarketOf is Tushare's market (board) name for a stock code: 主板, 科创板,
// 创业板 or 北交所; "" for anything else.
func MarketOf(tsCode string) string {
	switch market.BoardOf(tsCode) {
	case market.BoardMain:
		return "主板"
	case market.BoardSTAR:
		return "科创板"
	case market.BoardChiNext:
		return "创业板"
	case market.BoardBSE:
		return "北交所"
	}
	return ""
}

// Batch is decoded rows of one dataset, ready for a store.
type Batch struct {
	Dataset     string
	Stocks      []market.Stock
	Daily       []market.DailyBar
	DailyBasic  []market.DailyBasic
	AdjFactors  []market.AdjFactor
	ETFs        []market.ETF
	ETFDaily    []market.DailyBar
	TradeCal    []market.TradeDay
	NameChanges []market.NameChange
	StkLimits   []market.StkLimit
	Indices     []market.Index
	IndexDaily  []market.DailyBar
}

// Len is the number of rows in the batch.
func (b Batch) Len() int {
	return len(b.Stocks) + len(b.Daily) + len(b.DailyBasic) + len(b.AdjFactors) +
		len(b.ETFs) + len(b.ETFDaily) + len(b.TradeCal) + len(b.NameChanges) + len(b.StkLimits) +
		len(b.Indices) + len(b.IndexDaily)
}

// Write stores the batch with one Put per non-empty table, so a batch of one
// dataset is written atomically.
func (b Batch) Write(ctx context.Context, w market.Writer) error {
	puts := []struct {
		table string
		n     int
		put   func() error
	}{
		{StockBasic, len(b.Stocks), func() error { return w.PutStocks(ctx, b.Stocks) }},
		{ETFBasic, len(b.ETFs), func() error { return w.PutETFs(ctx, b.ETFs) }},
		{IndexBasic, len(b.Indices), func() error { return w.PutIndices(ctx, b.Indices) }},
		{TradeCal, len(b.TradeCal), func() error { return w.PutTradeCal(ctx, b.TradeCal) }},
		{NameChange, len(b.NameChanges), func() error { return w.PutNameChanges(ctx, b.NameChanges) }},
		{Daily, len(b.Daily), func() error { return w.PutDaily(ctx, b.Daily) }},
		{DailyBasic, len(b.DailyBasic), func() error { return w.PutDailyBasic(ctx, b.DailyBasic) }},
		{AdjFactor, len(b.AdjFactors), func() error { return w.PutAdjFactors(ctx, b.AdjFactors) }},
		{StkLimit, len(b.StkLimits), func() error { return w.PutStkLimits(ctx, b.StkLimits) }},
		{ETFDaily, len(b.ETFDaily), func() error { return w.PutETFDaily(ctx, b.ETFDaily) }},
		{IndexDaily, len(b.IndexDaily), func() error { return w.PutIndexDaily(ctx, b.IndexDaily) }},
	}
	for _, p := range puts {
		if p.n == 0 {
			continue
		}
		if err := p.put(); err != nil {
			return fmt.Errorf("write %d %s rows: %w", p.n, p.table, err)
		}
	}
	return nil
}

// Counts is the number of rows per table in the batch, leaving out empty
// tables.
func (b Batch) Counts() map[string]int {
	m := make(map[string]int)
	for t, n := range map[string]int{
		StockBasic: len(b.Stocks), ETFBasic: len(b.ETFs), TradeCal: len(b.TradeCal),
		Daily: len(b.Daily), DailyBasic: len(b.DailyBasic), AdjFactor: len(b.AdjFactors), ETFDaily: len(b.ETFDaily),
		NameChange: len(b.NameChanges), StkLimit: len(b.StkLimits), IndexBasic: len(b.Indices),
		IndexDaily: len(b.IndexDaily),
	} {
		if n > 0 {
			m[t] = n
		}
	}
	return m
}

// TradeDates lists the distinct trade dates of the batch's bar-like rows
// (daily, daily_basic, adj_factor, stk_limit, etf_daily, index_daily),
// oldest first: the days whose cached answers the batch makes stale.
// namechange rows have no trade date: they can change any day's answers.
func (b Batch) TradeDates() []time.Time {
	seen := make(map[time.Time]struct{})
	for _, bars := range [][]market.DailyBar{b.Daily, b.ETFDaily, b.IndexDaily} {
		for _, r := range bars {
			seen[r.TradeDate] = struct{}{}
		}
	}
	for _, r := range b.StkLimits {
		seen[r.TradeDate] = struct{}{}
	}
	for _, r := range b.DailyBasic {
		seen[r.TradeDate] = struct{}{}
	}
	for _, r := range b.AdjFactors {
		seen[r.TradeDate] = struct{}{}
	}
	out := make([]time.Time, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// AddValues decodes one item of a Tushare Pro JSON answer, whose cells are
// strings, numbers (float64 or json.Number) or null; it is Add for callers
// that decoded JSON rather than read CSV.
func (d *Decoder) AddValues(item []any) error {
	rec := make([]string, len(item))
	for i, v := range item {
		switch v := v.(type) {
		case nil:
		case string:
			rec[i] = v
		case float64:
			rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
		case fmt.Stringer: // json.Number
			rec[i] = v.String()
		case bool:
			rec[i] = strconv.FormatBool(v)
		default:
			rec[i] = fmt.Sprint(v)
		}
	}
	return d.Add(rec)
}
