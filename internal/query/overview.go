package query

import (
	"context"
	"fmt"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Hot-list sizes and orders.
const (
	DefaultHotLimit = 20
	MaxHotLimit     = 50
)

// StockSorts and ETFSorts are the orders of the hot lists; the first is the
// default.
var (
	StockSorts = []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate}
	ETFSorts   = []string{market.SortAmount, market.SortPctChg}
)

// Orders of a hot list: largest first (the default) or smallest first.
const (
	OrderDesc = "desc"
	OrderAsc  = "asc"
)

// Orders lists the orders a hot list takes, the default first.
var Orders = []string{OrderDesc, OrderAsc}

// HotArgs ask for a hot list: the top Limit (1..MaxHotLimit) of Date (zero:
// the latest day with data) by SortBy (one of StockSorts or ETFSorts), in
// Order (one of Orders; empty is OrderDesc).
type HotArgs struct {
	Date   time.Time
	SortBy string
	Order  string
	Limit  int
}

func (a HotArgs) check(sorts []string) error {
	if err := checkOneOf("sort_by", a.SortBy, sorts); err != nil {
		return err
	}
	if err := checkOneOf("order", a.order(), Orders); err != nil {
		return err
	}
	return checkRange("limit", a.Limit, 1, MaxHotLimit)
}

func (a HotArgs) order() string {
	if a.Order == "" {
		return OrderDesc
	}
	return a.Order
}

// storeSort is the sort as the stores name it.
func (a HotArgs) storeSort() string {
	if a.order() == OrderAsc {
		return market.Ascending(a.SortBy)
	}
	return a.SortBy
}

// hotAnswer is the answer of both hot lists; R is the row as shown.
type hotAnswer[R any] struct {
	TradeDate string `json:"trade_date"`
	SortBy    string `json:"sort_by"`
	Order     string `json:"order"`
	Limit     int    `json:"limit"`
	Synthetic bool   `json:"synthetic"`
	Data      []R    `json:"data"`
}

// The rows show their synthetic flag, which the market types keep out of
// their own JSON.
type hotStockRow struct {
	market.HotStock
	Synthetic bool `json:"synthetic"`
}

type hotETFRow struct {
	market.HotETF
	Synthetic bool `json:"synthetic"`
}

// HotStocks ranks the stocks of a day.
func (q *Queries) HotStocks(ctx context.Context, a HotArgs) (Answer, error) {
	return hotList(ctx, q, market.KindStock, a, StockSorts, HotStocksKey, Store.HotStocks,
		func(h market.HotStock) (hotStockRow, bool) { return hotStockRow{h, h.Synthetic}, h.Synthetic })
}

// HotETFs ranks the ETFs of a day.
func (q *Queries) HotETFs(ctx context.Context, a HotArgs) (Answer, error) {
	return hotList(ctx, q, market.KindETF, a, ETFSorts, HotETFsKey, Store.HotETFs,
		func(h market.HotETF) (hotETFRow, bool) { return hotETFRow{h, h.Synthetic}, h.Synthetic })
}

// hotList is a hot list of either kind: fetch reads the rows, row shows one
// and tells whether it is synthetic. Both are method expressions and plain
// functions, so a cache hit allocates no closure for them.
func hotList[T, R any](ctx context.Context, q *Queries, kind market.Kind, a HotArgs, sorts []string,
	key func(time.Time, string, int) Key,
	fetch func(Store, context.Context, time.Time, string, int) ([]T, error),
	row func(T) (R, bool)) (Answer, error) {
	if err := a.check(sorts); err != nil {
		return Answer{}, err
	}
	date, err := q.tradeDate(ctx, a.Date, kind)
	if err != nil {
		return Answer{}, err
	}
	sortBy := a.storeSort()
	return q.load(ctx, key(date, sortBy, a.Limit), func(ctx context.Context) ([]byte, error) {
		rows, err := fetch(q.store, ctx, date, sortBy, a.Limit)
		if err != nil {
			return nil, fmt.Errorf("hot %s list of %s: %w", kind, market.FormatDate(date), err)
		}
		if len(rows) == 0 {
			return nil, noData(kind, date)
		}
		ans := hotAnswer[R]{TradeDate: market.FormatDate(date), SortBy: a.SortBy, Order: a.order(), Limit: a.Limit, Data: make([]R, len(rows))}
		for i, h := range rows {
			r, synthetic := row(h)
			ans.Data[i] = r
			ans.Synthetic = ans.Synthetic || synthetic
		}
		return Encode(ans)
	})
}

// MarketStats is the breadth of a day (zero: the latest with data):
// advancers, decliners, limit moves by each board's rule, totals.
func (q *Queries) MarketStats(ctx context.Context, date time.Time) (Answer, error) {
	date, err := q.tradeDate(ctx, date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, MarketStatsKey(date), func(ctx context.Context) ([]byte, error) {
		return encoded(q.marketStats(ctx, date))
	})
}

func (q *Queries) marketStats(ctx context.Context, date time.Time) (market.MarketStats, error) {
	bars, err := q.store.DayBars(ctx, date)
	if err != nil {
		return market.MarketStats{}, fmt.Errorf("bars of %s: %w", market.FormatDate(date), err)
	}
	if len(bars) == 0 {
		return market.MarketStats{}, noData(market.KindStock, date)
	}
	days, err := q.store.OpenDays(ctx, date, market.NewListingDays)
	if err != nil {
		return market.MarketStats{}, fmt.Errorf("open days before %s: %w", market.FormatDate(date), err)
	}
	return market.ComputeStats(date, bars, days), nil
}

// Trade-date list sizes.
const (
	DefaultTradeDates = 60
	MaxTradeDates     = 5000
)

type tradeDatesAnswer struct {
	Dates []string `json:"dates"`
}

// TradeDates lists the newest limit (1..MaxTradeDates) dates with stock
// bars, newest first.
func (q *Queries) TradeDates(ctx context.Context, limit int) (Answer, error) {
	if err := checkRange("limit", limit, 1, MaxTradeDates); err != nil {
		return Answer{}, err
	}
	return q.load(ctx, TradeDatesKey(limit), func(ctx context.Context) ([]byte, error) {
		dates, err := q.store.TradeDates(ctx, limit)
		if err != nil {
			return nil, fmt.Errorf("trade dates: %w", err)
		}
		a := tradeDatesAnswer{Dates: make([]string, len(dates))}
		for i, d := range dates {
			a.Dates[i] = market.FormatDate(d)
		}
		return Encode(a)
	})
}
