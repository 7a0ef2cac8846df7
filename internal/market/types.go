package market

import (
	"fmt"
	"time"
)

// Stock is a row of stock_basic.
type Stock struct {
	TSCode     string    `json:"ts_code"`
	Symbol     string    `json:"symbol"`
	Name       string    `json:"name"`
	Area       string    `json:"area"`
	Industry   string    `json:"industry"`
	Market     string    `json:"market"`
	Exchange   string    `json:"exchange"`
	ListDate   time.Time `json:"-"`
	DelistDate time.Time `json:"-"`
	ListStatus string    `json:"list_status"`
	// Synthetic marks rows made by the demo generator.
	Synthetic bool `json:"synthetic"`
}

// DailyBar is one day of prices of a stock (daily) or a fund (etf_daily).
// Units are Tushare's: vol in lots of 100 shares, amount in thousand CNY.
type DailyBar struct {
	TSCode    string
	TradeDate time.Time
	Open      float64
	High      float64
	Low       float64
	Close     float64
	PreClose  float64
	Change    float64
	PctChg    float64
	Vol       float64
	Amount    float64
}

// DailyBasic is a row of daily_basic; nil fields were NULL at the source
// (pe of a loss-making company, for one).
type DailyBasic struct {
	TSCode       string
	TradeDate    time.Time
	Close        *float64
	TurnoverRate *float64
	VolumeRatio  *float64
	PE           *float64
	PETTM        *float64
	PB           *float64
	PS           *float64
	DvRatio      *float64
	TotalShare   *float64
	FloatShare   *float64
	TotalMV      *float64
	CircMV       *float64
}

// AdjFactor is the cumulative adjustment factor of a stock on one day.
type AdjFactor struct {
	TSCode    string
	TradeDate time.Time
	Factor    float64
}

// ETF is a row of etf_basic.
type ETF struct {
	TSCode     string
	Name       string
	IndexCode  string
	IndexName  string
	Exchange   string
	MgrName    string
	ListDate   time.Time
	ListStatus string
	Synthetic  bool
}

// TradeDay is a row of trade_cal.
type TradeDay struct {
	Exchange     string
	CalDate      time.Time
	IsOpen       bool
	PretradeDate time.Time
}

// Kind tells stocks, exchange-traded funds and indices apart.
type Kind string

// Kinds of security.
const (
	KindStock Kind = "stock"
	KindETF   Kind = "etf"
	KindIndex Kind = "index"
)

// HotStock is a row of the hot-stocks answer.
type HotStock struct {
	TSCode       string   `json:"ts_code"`
	Name         string   `json:"name"`
	Industry     string   `json:"industry"`
	Close        float64  `json:"close"`
	PctChg       float64  `json:"pct_chg"`
	Amount       float64  `json:"amount"`
	Vol          float64  `json:"vol"`
	TurnoverRate *float64 `json:"turnover_rate"`
	CircMV       *float64 `json:"circ_mv"`
	Synthetic    bool     `json:"-"`
}

// HotETF is a row of the hot-ETFs answer.
type HotETF struct {
	TSCode    string  `json:"ts_code"`
	Name      string  `json:"name"`
	Close     float64 `json:"close"`
	PctChg    float64 `json:"pct_chg"`
	Amount    float64 `json:"amount"`
	Vol       float64 `json:"vol"`
	Synthetic bool    `json:"-"`
}

// StatBar is one stock's bar on one day with what the limit rule needs:
// its names, listing date and the exchange's limit prices of the day.
type StatBar struct {
	TSCode string
	// Name is today's name (stock_basic); DayName the name in effect on the
	// bar's day according to namechange, "" when no loaded history covers
	// the day. ST uses DayName first.
	Name      string
	DayName   string
	ListDate  time.Time
	Open      float64
	High      float64
	Low       float64
	Close     float64
	PreClose  float64
	PctChg    float64
	Vol       float64
	Amount    float64
	Synthetic bool
	// UpLimit and DownLimit are the day's stk_limit prices; nil when the
	// stock has no stk_limit row that day.
	UpLimit, DownLimit *float64
}

// ST reports the risk-warning status on the bar's day: from the name
// history where it covers the day, from today's name otherwise.
func (b StatBar) ST() bool {
	if b.DayName != "" {
		return IsST(b.DayName)
	}
	return IsST(b.Name)
}

// Band is the bar's price band on date; openDays are the open days back to
// at least MaxFreeDays before date (Reader.OpenDays(date, NewListingDays)).
func (b StatBar) Band(date time.Time, openDays []time.Time) Band {
	return LimitBand(LimitInput{
		TSCode: b.TSCode, Date: date, ST: b.ST(),
		ListDate: b.ListDate, ListingDay: ListingDay(b.ListDate, date, openDays),
		PreClose: b.PreClose, UpLimit: b.UpLimit, DownLimit: b.DownLimit,
	})
}

// DayStock is a StatBar with the stock's industry and the day's valuation
// (daily_basic; nil fields are NULL or missing): one row of the screener
// and the sector aggregates.
type DayStock struct {
	StatBar
	Industry     string
	TurnoverRate *float64
	PE           *float64
	PETTM        *float64
	PB           *float64
	PS           *float64
	DvRatio      *float64
	TotalMV      *float64
	CircMV       *float64
}

// WindowBar is what the limit ladder needs of a stock's earlier days: the
// bar's prices and that day's stk_limit prices (nil when none).
type WindowBar struct {
	TSCode             string
	TradeDate          time.Time
	High, Close        float64
	PreClose           float64
	UpLimit, DownLimit *float64
}

// NameChange is a row of namechange: the stock was called Name from
// StartDate on (to EndDate; zero while current). AnnDate is when it was
// announced.
type NameChange struct {
	TSCode       string
	Name         string
	StartDate    time.Time
	EndDate      time.Time
	AnnDate      time.Time
	ChangeReason string
}

// StkLimit is a row of stk_limit: the exchange's limit prices of one day.
// Nil fields were NULL; a zero or sentinel price means no limit.
type StkLimit struct {
	TSCode    string
	TradeDate time.Time
	PreClose  *float64
	UpLimit   *float64
	DownLimit *float64
}

// Index is a row of index_basic.
type Index struct {
	TSCode    string    `json:"ts_code"`
	Name      string    `json:"name"`
	Market    string    `json:"market"`
	Publisher string    `json:"publisher"`
	Category  string    `json:"category"`
	BaseDate  time.Time `json:"-"`
	BasePoint float64   `json:"base_point"`
	ListDate  time.Time `json:"-"`
	Synthetic bool      `json:"synthetic"`
}

// IndexInfo is an index_basic row with the index's latest bar.
type IndexInfo struct {
	Index
	Latest *DailyBar
}

// IndexQuote is one index on one day: the overview's index strip.
type IndexQuote struct {
	TSCode    string  `json:"ts_code"`
	Name      string  `json:"name"`
	TradeDate string  `json:"trade_date"`
	Open      float64 `json:"open"`
	High      float64 `json:"high"`
	Low       float64 `json:"low"`
	Close     float64 `json:"close"`
	PreClose  float64 `json:"pre_close"`
	Change    float64 `json:"change"`
	PctChg    float64 `json:"pct_chg"`
	Vol       float64 `json:"vol"`    // lots
	Amount    float64 `json:"amount"` // thousand CNY
	Synthetic bool    `json:"synthetic"`
}

// DayTotal is the whole stock market's turnover on one trade date.
type DayTotal struct {
	TradeDate time.Time
	Amount    float64 // thousand CNY
	Vol       float64 // lots
	Stocks    int     // stocks with a bar
}

// StockInfo is a stock_basic row with the stock's latest bar and valuation.
type StockInfo struct {
	Stock
	Latest      *DailyBar   // nil when the stock has no bar
	LatestBasic *DailyBasic // nil when it has no daily_basic row
}

// ETFInfo is an etf_basic row with the fund's latest bar.
type ETFInfo struct {
	ETF
	Latest *DailyBar
}

// AdjBar is a raw bar with the adjustment factor of its day (0 when unknown).
type AdjBar struct {
	DailyBar
	AdjFactor float64
}

// SearchHit is one answer of a code or name search.
type SearchHit struct {
	TSCode   string `json:"ts_code"`
	Name     string `json:"name"`
	Industry string `json:"industry"`
	Kind     Kind   `json:"kind"`
}

// WorkflowRecord is a stored workflow document. The store keeps Doc opaque;
// the workflow package owns its shape.
type WorkflowRecord struct {
	ID         string
	Name       string
	Category   string
	IsTemplate bool
	Doc        []byte // the workflow as JSON
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// BarTable names the table that holds the bars of the kind, in both stores.
func (k Kind) BarTable() (string, error) {
	switch k {
	case KindStock:
		return "daily", nil
	case KindETF:
		return "etf_daily", nil
	case KindIndex:
		return "index_daily", nil
	}
	return "", fmt.Errorf("unknown kind %q", k)
}
