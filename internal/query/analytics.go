package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Sector list sizes and orders.
const (
	// DefaultSectorLimit and MaxSectorLimit: every industry by default
	// (the real market has about 110, a heat map shows them all).
	DefaultSectorLimit = 200
	MaxSectorLimit     = 200
)

// SectorSorts are the orders of the sector list; the first is the default.
var SectorSorts = []string{market.SortPctChg, market.SortAmount, market.SortUpRatio}

// SectorArgs ask for the industries of Date (zero: the latest day with
// data), sorted by SortBy (one of SectorSorts), the first Limit
// (1..MaxSectorLimit).
type SectorArgs struct {
	Date   time.Time
	SortBy string
	Limit  int
}

type sectorsAnswer struct {
	TradeDate string          `json:"trade_date"`
	SortBy    string          `json:"sort_by"`
	Limit     int             `json:"limit"`
	Total     int             `json:"total"` // industries that day
	Synthetic bool            `json:"synthetic"`
	Data      []market.Sector `json:"data"`
}

// Sectors aggregates a day's stocks by industry: breadth, limit-ups, mean
// and cap-weighted change, turnover and the leader of each.
func (q *Queries) Sectors(ctx context.Context, a SectorArgs) (Answer, error) {
	if err := checkOneOf("sort_by", a.SortBy, SectorSorts); err != nil {
		return Answer{}, err
	}
	if err := checkRange("limit", a.Limit, 1, MaxSectorLimit); err != nil {
		return Answer{}, err
	}
	date, err := q.tradeDate(ctx, a.Date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, SectorsKey(date, a.SortBy, a.Limit), func(ctx context.Context) ([]byte, error) {
		return encoded(q.sectors(ctx, date, a.SortBy, a.Limit))
	})
}

func (q *Queries) sectors(ctx context.Context, date time.Time, sortBy string, limit int) (sectorsAnswer, error) {
	d, err := q.days.get(ctx, date)
	if err != nil {
		return sectorsAnswer{}, err
	}
	secs := market.ComputeSectors(date, d.stocks, d.open)
	if err := market.SortSectors(secs, sortBy); err != nil {
		return sectorsAnswer{}, err
	}
	return sectorsAnswer{
		TradeDate: market.FormatDate(date), SortBy: sortBy, Limit: limit, Total: len(secs),
		Synthetic: d.synthetic(), Data: secs[:min(limit, len(secs))],
	}, nil
}

// Ladder is the limit-up ladder of a day (zero: the latest with data):
// the limit-up stocks by consecutive boards, the broken boards (炸板) and
// the limit-down list, by the limit rule of each day.
func (q *Queries) Ladder(ctx context.Context, date time.Time) (Answer, error) {
	date, err := q.tradeDate(ctx, date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, LadderKey(date), func(ctx context.Context) ([]byte, error) {
		return encoded(q.ladder(ctx, date))
	})
}

func (q *Queries) ladder(ctx context.Context, date time.Time) (market.Ladder, error) {
	d, err := q.days.get(ctx, date)
	if err != nil {
		return market.Ladder{}, err
	}
	l, err := market.BuildLadder(ctx, ladderSource{Store: q.store, d: d}, date)
	if err != nil {
		return market.Ladder{}, fmt.Errorf("ladder of %s: %w", market.FormatDate(date), err)
	}
	return l, nil
}

type indicesAnswer struct {
	TradeDate string              `json:"trade_date"`
	Synthetic bool                `json:"synthetic"`
	Data      []market.IndexQuote `json:"data"`
}

// Indices are the index bars of a day (zero: the latest day with stock
// data), the main indices first in their display order (market.MainIndices),
// then any other by code. A day without index bars (none loaded) has an
// empty list, not an error: the overview shows its other parts.
func (q *Queries) Indices(ctx context.Context, date time.Time) (Answer, error) {
	date, err := q.tradeDate(ctx, date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, IndicesKey(date), func(ctx context.Context) ([]byte, error) {
		return encoded(q.indices(ctx, date))
	})
}

func (q *Queries) indices(ctx context.Context, date time.Time) (indicesAnswer, error) {
	quotes, err := q.store.IndexQuotes(ctx, date)
	if err != nil {
		return indicesAnswer{}, fmt.Errorf("index quotes of %s: %w", market.FormatDate(date), err)
	}
	order := map[string]int{}
	for i, ix := range market.MainIndices() {
		order[ix.TSCode] = i + 1
	}
	rank := func(code string) int {
		if r, ok := order[code]; ok {
			return r
		}
		return len(order) + 1
	}
	slices.SortFunc(quotes, func(a, b market.IndexQuote) int {
		if c := cmp.Compare(rank(a.TSCode), rank(b.TSCode)); c != 0 {
			return c
		}
		return cmp.Compare(a.TSCode, b.TSCode)
	})
	a := indicesAnswer{TradeDate: market.FormatDate(date), Data: quotes}
	if a.Data == nil {
		a.Data = []market.IndexQuote{}
	}
	for _, x := range quotes {
		a.Synthetic = a.Synthetic || x.Synthetic
	}
	return a, nil
}
