package httpapi

import (
	"context"
	"net/http"

	"github.com/stockdatasource/stockd/internal/query"
)

// StockQueries answers the per-code questions and search; *query.Queries
// satisfies it.
type StockQueries interface {
	Basic(ctx context.Context, code string) (query.Answer, error)
	KLine(ctx context.Context, a query.KLineArgs) (query.Answer, error)
	Search(ctx context.Context, text string, limit int) (query.Answer, error)
	Indicators(ctx context.Context, a query.IndicatorArgs) (query.Answer, error)
}

// stockHandlers parse the stock endpoints' parameters; the queries check
// codes and ranges.
type stockHandlers struct {
	q StockQueries
}

func (h stockHandlers) basic(w http.ResponseWriter, r *http.Request) {
	ans, err := h.q.Basic(r.Context(), r.PathValue("code"))
	writeAnswer(w, r, ans, err)
}

// daily is the K-line of trading days, the answer of kline?period=day.
func (h stockHandlers) daily(w http.ResponseWriter, r *http.Request) {
	h.klineOf(w, r, query.PeriodDay)
}

func (h stockHandlers) kline(w http.ResponseWriter, r *http.Request) {
	h.klineOf(w, r, "")
}

// klineOf answers a K-line; period "" reads the period parameter.
func (h stockHandlers) klineOf(w http.ResponseWriter, r *http.Request, period string) {
	p := paramsOf(r)
	if period == "" {
		period = p.lower("period", query.Periods[0], nil)
	}
	a := query.KLineArgs{
		Code: r.PathValue("code"), Period: period,
		Start: p.date("start"), End: p.date("end"),
		Adjust: p.lower("adjust", query.Adjusts[0], nil),
	}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.KLine(r.Context(), a)
	writeAnswer(w, r, ans, err)
}

func (h stockHandlers) search(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	text, limit := p.get("q"), p.int("limit", query.MaxSearchHits)
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.Search(r.Context(), text, limit)
	writeAnswer(w, r, ans, err)
}

func (h stockHandlers) indicators(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := query.IndicatorArgs{
		Code: r.PathValue("code"), Names: p.get("names"),
		Start: p.date("start"), End: p.date("end"),
		Adjust: p.lower("adjust", query.Adjusts[0], nil),
	}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	ans, err := h.q.Indicators(r.Context(), a)
	writeAnswer(w, r, ans, err)
}
