package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stockdatasource/stockd/internal/market"
)

type hotStocksAnswer struct {
	TradeDate string          `json:"trade_date"`
	SortBy    string          `json:"sort_by"`
	Limit     int             `json:"limit"`
	Synthetic bool            `json:"synthetic"`
	Data      []hotStockEntry `json:"data"`
}

// hotStockEntry shows each row's synthetic flag, which market.HotStock
// keeps out of its own JSON.
type hotStockEntry struct {
	market.HotStock
	Synthetic bool `json:"synthetic"`
}

type hotETFsAnswer struct {
	TradeDate string        `json:"trade_date"`
	SortBy    string        `json:"sort_by"`
	Limit     int           `json:"limit"`
	Synthetic bool          `json:"synthetic"`
	Data      []hotETFEntry `json:"data"`
}

type hotETFEntry struct {
	market.HotETF
	Synthetic bool `json:"synthetic"`
}

var stockSorts = []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate}

// The original API spelled turnover_rate "turnover"; old links keep working.
var stockSortAliases = map[string]string{"turnover": market.SortTurnoverRate}

func (s *server) handleHotStocks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sortBy, err := querySort(q, market.SortAmount, stockSorts, stockSortAliases)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	limit, err := queryInt(q, "limit", defaultHotLimit, 1, maxHotLimit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	date, err := s.tradeDate(r.Context(), q, market.KindStock)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key := fmt.Sprintf("overview:hot_stocks:%s:%s:%d", market.FormatDate(date), sortBy, limit)
	s.cached(w, r, key, s.ttl.Overview, func(ctx context.Context) (any, error) {
		rows, err := s.store.HotStocks(ctx, date, sortBy, limit)
		if err != nil {
			return nil, fmt.Errorf("hot stocks of %s: %w", market.FormatDate(date), err)
		}
		if len(rows) == 0 {
			return nil, noData(market.KindStock, date)
		}
		a := hotStocksAnswer{TradeDate: market.FormatDate(date), SortBy: sortBy, Limit: limit, Data: make([]hotStockEntry, len(rows))}
		for i, h := range rows {
			a.Data[i] = hotStockEntry{HotStock: h, Synthetic: h.Synthetic}
			a.Synthetic = a.Synthetic || h.Synthetic
		}
		return a, nil
	})
}

var etfSorts = []string{market.SortAmount, market.SortPctChg}

func (s *server) handleHotETFs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sortBy, err := querySort(q, market.SortAmount, etfSorts, nil)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	limit, err := queryInt(q, "limit", defaultHotLimit, 1, maxHotLimit)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	date, err := s.tradeDate(r.Context(), q, market.KindETF)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key := fmt.Sprintf("overview:hot_etfs:%s:%s:%d", market.FormatDate(date), sortBy, limit)
	s.cached(w, r, key, s.ttl.Overview, func(ctx context.Context) (any, error) {
		rows, err := s.store.HotETFs(ctx, date, sortBy, limit)
		if err != nil {
			return nil, fmt.Errorf("hot ETFs of %s: %w", market.FormatDate(date), err)
		}
		if len(rows) == 0 {
			return nil, noData(market.KindETF, date)
		}
		a := hotETFsAnswer{TradeDate: market.FormatDate(date), SortBy: sortBy, Limit: limit, Data: make([]hotETFEntry, len(rows))}
		for i, h := range rows {
			a.Data[i] = hotETFEntry{HotETF: h, Synthetic: h.Synthetic}
			a.Synthetic = a.Synthetic || h.Synthetic
		}
		return a, nil
	})
}

func (s *server) handleMarketStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	date, err := s.tradeDate(r.Context(), q, market.KindStock)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key := "overview:market_stats:" + market.FormatDate(date)
	s.cached(w, r, key, s.ttl.Overview, func(ctx context.Context) (any, error) {
		bars, err := s.store.DayBars(ctx, date)
		if err != nil {
			return nil, fmt.Errorf("bars of %s: %w", market.FormatDate(date), err)
		}
		if len(bars) == 0 {
			return nil, noData(market.KindStock, date)
		}
		days, err := s.store.OpenDays(ctx, date, market.NewListingDays)
		if err != nil {
			return nil, fmt.Errorf("open days before %s: %w", market.FormatDate(date), err)
		}
		return market.ComputeStats(date, bars, days), nil
	})
}

type tradeDatesAnswer struct {
	Dates []string `json:"dates"`
}

const (
	defaultTradeDates = 60
	maxTradeDates     = 5000
)

func (s *server) handleTradeDates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(q, "limit", defaultTradeDates, 1, maxTradeDates)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	s.cached(w, r, "overview:trade_dates:"+strconv.Itoa(limit), s.ttl.Overview, func(ctx context.Context) (any, error) {
		dates, err := s.store.TradeDates(ctx, limit)
		if err != nil {
			return nil, fmt.Errorf("trade dates: %w", err)
		}
		a := tradeDatesAnswer{Dates: make([]string, len(dates))}
		for i, d := range dates {
			a.Dates[i] = market.FormatDate(d)
		}
		return a, nil
	})
}
