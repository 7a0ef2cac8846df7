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

// Kind tells stocks from exchange-traded funds.
type Kind string

// Kinds of security.
const (
	KindStock Kind = "stock"
	KindETF   Kind = "etf"
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

// StatBar is what market breadth needs of one stock's bar on one day.
type StatBar struct {
	TSCode    string
	Name      string
	ListDate  time.Time
	Close     float64
	PreClose  float64
	PctChg    float64
	Vol       float64
	Amount    float64
	Synthetic bool
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
	}
	return "", fmt.Errorf("unknown kind %q", k)
}
