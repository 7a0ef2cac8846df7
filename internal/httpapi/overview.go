package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// OverviewQueries answers the market overview; *query.Queries satisfies it.
type OverviewQueries interface {
	HotStocks(ctx context.Context, a query.HotArgs) (query.Answer, error)
	HotETFs(ctx context.Context, a query.HotArgs) (query.Answer, error)
	MarketStats(ctx context.Context, date time.Time) (query.Answer, error)
	TradeDates(ctx context.Context, limit int) (query.Answer, error)
	Sectors(ctx context.Context, a query.SectorArgs) (query.Answer, error)
	Ladder(ctx context.Context, date time.Time) (query.Answer, error)
	Indices(ctx context.Context, date time.Time) (query.Answer, error)
	QuickAnalysis(ctx context.Context, date time.Time) (query.Answer, error)
	Screen(ctx context.Context, a query.ScreenArgs) (query.Answer, error)
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
	h.ofDate(w, r, h.q.MarketStats)
}

func (h overviewHandlers) ladder(w http.ResponseWriter, r *http.Request) {
	h.ofDate(w, r, h.q.Ladder)
}

func (h overviewHandlers) indices(w http.ResponseWriter, r *http.Request) {
	h.ofDate(w, r, h.q.Indices)
}

func (h overviewHandlers) quickAnalysis(w http.ResponseWriter, r *http.Request) {
	h.ofDate(w, r, h.q.QuickAnalysis)
}

// ofDate answers a question whose only parameter is the date.
func (h overviewHandlers) ofDate(w http.ResponseWriter, r *http.Request, ask func(context.Context, time.Time) (query.Answer, error)) {
	p := paramsOf(r)
	date := p.date("date")
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := ask(r.Context(), date)
	writeAnswer(w, r, ans, err)
}

func (h overviewHandlers) sectors(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := query.SectorArgs{Date: p.date("date"), SortBy: p.lower("sort_by", query.SectorSorts[0], nil), Limit: p.int("limit", query.DefaultSectorLimit)}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.Sectors(r.Context(), a)
	writeAnswer(w, r, ans, err)
}

// screenRanges are the screener's range filters: name_min and name_max.
var screenRanges = []struct {
	name string
	r    func(*market.ScreenQuery) *market.Range
}{
	{"pe", func(q *market.ScreenQuery) *market.Range { return &q.PE }},
	{"pe_ttm", func(q *market.ScreenQuery) *market.Range { return &q.PETTM }},
	{"pb", func(q *market.ScreenQuery) *market.Range { return &q.PB }},
	{"ps", func(q *market.ScreenQuery) *market.Range { return &q.PS }},
	{"total_mv", func(q *market.ScreenQuery) *market.Range { return &q.TotalMV }},
	{"circ_mv", func(q *market.ScreenQuery) *market.Range { return &q.CircMV }},
	{"turnover_rate", func(q *market.ScreenQuery) *market.Range { return &q.TurnoverRate }},
	{"pct_chg", func(q *market.ScreenQuery) *market.Range { return &q.PctChg }},
	{"dv_ratio", func(q *market.ScreenQuery) *market.Range { return &q.DvRatio }},
}

func (h overviewHandlers) screener(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := query.ScreenArgs{Date: p.date("date")}
	for _, f := range screenRanges {
		rg := f.r(&a.ScreenQuery)
		rg.Min, rg.Max = p.float(f.name+"_min"), p.float(f.name+"_max")
	}
	a.Industries = p.list("industry")
	for _, b := range p.list("board") {
		a.Boards = append(a.Boards, market.Board(strings.ToLower(b)))
	}
	a.IncludeST = p.bool("include_st")
	a.SortBy = p.lower("sort_by", "", nil)
	switch order := p.lower("order", "desc", nil); order {
	case "asc":
		a.Ascending = true
	case "desc":
	default:
		p.fail(badParam(CodeBadRequest, "order", order, "want asc or desc"))
	}
	a.Limit, a.Offset = p.int("limit", market.DefaultScreenLimit), p.int("offset", 0)
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.Screen(r.Context(), a)
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
