package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/stockdatasource/stockd/internal/query"
)

// OverviewQueries answers the market overview; *query.Queries satisfies it.
type OverviewQueries interface {
	HotStocks(ctx context.Context, a query.HotArgs) (query.Answer, error)
	HotETFs(ctx context.Context, a query.HotArgs) (query.Answer, error)
	MarketStats(ctx context.Context, date time.Time) (query.Answer, error)
	TradeDates(ctx context.Context, limit int) (query.Answer, error)
}

// overviewHandlers parse the overview's parameters and answer through the
// queries, which check the ranges.
type overviewHandlers struct {
	q OverviewQueries
}

// The original API spelled turnover_rate "turnover"; old links keep working.
var stockSortAliases = map[string]string{"turnover": "turnover_rate"}

func (h overviewHandlers) hotStocks(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := query.HotArgs{Date: p.date("date"), SortBy: p.lower("sort_by", query.StockSorts[0], stockSortAliases), Order: p.lower("order", query.OrderDesc, nil), Limit: p.int("limit", query.DefaultHotLimit)}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.HotStocks(r.Context(), a)
	writeAnswer(w, r, ans, err)
}

func (h overviewHandlers) hotETFs(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := query.HotArgs{Date: p.date("date"), SortBy: p.lower("sort_by", query.ETFSorts[0], nil), Order: p.lower("order", query.OrderDesc, nil), Limit: p.int("limit", query.DefaultHotLimit)}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.HotETFs(r.Context(), a)
	writeAnswer(w, r, ans, err)
}

func (h overviewHandlers) marketStats(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	date := p.date("date")
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.MarketStats(r.Context(), date)
	writeAnswer(w, r, ans, err)
}

func (h overviewHandlers) tradeDates(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	limit := p.int("limit", query.DefaultTradeDates)
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.TradeDates(r.Context(), limit)
	writeAnswer(w, r, ans, err)
}
