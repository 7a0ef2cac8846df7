package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
)

// parseCode normalises a code argument: 600519, 600519.SH and sh600519 all
// name 600519.SH.
func parseCode(v string) (string, error) {
	if normalCode(v) {
		return v, nil // already 600519.SH: no new string on the hot path
	}
	code, err := market.ParseCode(v)
	if err != nil {
		return "", errorf(CodeInvalidCode, "invalid code %q: want 6 digits with an optional exchange, e.g. 600519, 600519.SH or sh600519", v)
	}
	return code, nil
}

// normalCode reports whether v is already a ts_code: six digits, a dot,
// SH, SZ or BJ.
func normalCode(v string) bool {
	if len(v) != 9 || v[6] != '.' {
		return false
	}
	for i := range 6 {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	switch v[7:] {
	case "SH", "SZ", "BJ":
		return true
	}
	return false
}

func unknownCode(code string) *Error {
	return errorf(CodeNotFound, "unknown code %s: no stock, ETF or index with this code", code)
}

// basicAnswer is a code's basic info. The latest quote and the valuation
// are also flattened to the top level (trade_date, close, pct_chg, pe, …)
// because that is what the web UI reads; `latest` and `valuation` keep the
// complete rows.
type basicAnswer struct {
	TSCode     string  `json:"ts_code"`
	Kind       string  `json:"kind"`
	Symbol     string  `json:"symbol,omitempty"`
	Name       string  `json:"name"`
	Area       string  `json:"area,omitempty"`
	Industry   string  `json:"industry,omitempty"`
	Market     string  `json:"market,omitempty"`
	Exchange   string  `json:"exchange"`
	Publisher  string  `json:"publisher,omitempty"`
	Category   string  `json:"category,omitempty"`
	BaseDate   string  `json:"base_date,omitempty"`
	BasePoint  float64 `json:"base_point,omitempty"`
	IndexCode  string  `json:"index_code,omitempty"`
	IndexName  string  `json:"index_name,omitempty"`
	MgrName    string  `json:"mgr_name,omitempty"`
	ListDate   string  `json:"list_date"`
	DelistDate string  `json:"delist_date"`
	ListStatus string  `json:"list_status"`
	Synthetic  bool    `json:"synthetic"`

	TradeDate    string   `json:"trade_date"`
	Close        *float64 `json:"close"`
	PctChg       *float64 `json:"pct_chg"`
	PE           *float64 `json:"pe"`
	PETTM        *float64 `json:"pe_ttm"`
	PB           *float64 `json:"pb"`
	PS           *float64 `json:"ps"`
	DvRatio      *float64 `json:"dv_ratio"`
	TotalMV      *float64 `json:"total_mv"`
	CircMV       *float64 `json:"circ_mv"`
	TurnoverRate *float64 `json:"turnover_rate"`

	Latest    *latestBar `json:"latest"`
	Valuation *valuation `json:"valuation"`
}

type latestBar struct {
	TradeDate string  `json:"trade_date"`
	Open      float64 `json:"open"`
	High      float64 `json:"high"`
	Low       float64 `json:"low"`
	Close     float64 `json:"close"`
	PreClose  float64 `json:"pre_close"`
	Change    float64 `json:"change"`
	PctChg    float64 `json:"pct_chg"`
	Vol       float64 `json:"vol"`
	Amount    float64 `json:"amount"`
}

type valuation struct {
	TradeDate    string   `json:"trade_date"`
	TurnoverRate *float64 `json:"turnover_rate"`
	VolumeRatio  *float64 `json:"volume_ratio"`
	PE           *float64 `json:"pe"`
	PETTM        *float64 `json:"pe_ttm"`
	PB           *float64 `json:"pb"`
	PS           *float64 `json:"ps"`
	DvRatio      *float64 `json:"dv_ratio"`
	TotalShare   *float64 `json:"total_share"`
	FloatShare   *float64 `json:"float_share"`
	TotalMV      *float64 `json:"total_mv"`
	CircMV       *float64 `json:"circ_mv"`
}

func (a *basicAnswer) setLatest(b *market.DailyBar) {
	if b == nil {
		return
	}
	a.Latest = &latestBar{
		TradeDate: market.FormatDate(b.TradeDate),
		Open:      b.Open, High: b.High, Low: b.Low, Close: b.Close, PreClose: b.PreClose,
		Change: b.Change, PctChg: b.PctChg, Vol: b.Vol, Amount: b.Amount,
	}
	a.TradeDate = a.Latest.TradeDate
	a.Close, a.PctChg = &a.Latest.Close, &a.Latest.PctChg
}

func (a *basicAnswer) setValuation(v *market.DailyBasic) {
	if v == nil {
		return
	}
	a.Valuation = &valuation{
		TradeDate:    market.FormatDate(v.TradeDate),
		TurnoverRate: v.TurnoverRate, VolumeRatio: v.VolumeRatio,
		PE: v.PE, PETTM: v.PETTM, PB: v.PB, PS: v.PS, DvRatio: v.DvRatio,
		TotalShare: v.TotalShare, FloatShare: v.FloatShare, TotalMV: v.TotalMV, CircMV: v.CircMV,
	}
	a.PE, a.PETTM, a.PB, a.PS, a.DvRatio = v.PE, v.PETTM, v.PB, v.PS, v.DvRatio
	a.TotalMV, a.CircMV, a.TurnoverRate = v.TotalMV, v.CircMV, v.TurnoverRate
}

// Basic is the basic info of a stock, ETF or index (code in any of the
// accepted spellings) with its latest bar and, for stocks, valuation.
func (q *Queries) Basic(ctx context.Context, code string) (Answer, error) {
	code, err := parseCode(code)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, BasicKey(code), func(ctx context.Context) ([]byte, error) {
		return encoded(q.basic(ctx, code))
	})
}

// basic looks the code up as a stock, then as a fund, then as an index
// (000001.SH is the Shanghai Composite; the stock 000001 is 000001.SZ).
func (q *Queries) basic(ctx context.Context, code string) (*basicAnswer, error) {
	st, err := q.store.Stock(ctx, code)
	if err == nil {
		a := &basicAnswer{
			TSCode: st.TSCode, Kind: string(market.KindStock), Symbol: st.Symbol, Name: st.Name,
			Area: st.Area, Industry: st.Industry, Market: st.Market, Exchange: st.Exchange,
			ListDate: market.FormatDate(st.ListDate), DelistDate: market.FormatDate(st.DelistDate),
			ListStatus: st.ListStatus, Synthetic: st.Synthetic,
		}
		a.setLatest(st.Latest)
		a.setValuation(st.LatestBasic)
		return a, nil
	}
	if !errors.Is(err, market.ErrNotFound) {
		return nil, fmt.Errorf("stock %s: %w", code, err)
	}
	etf, err := q.store.ETF(ctx, code)
	if errors.Is(err, market.ErrNotFound) {
		return q.indexBasic(ctx, code)
	}
	if err != nil {
		return nil, fmt.Errorf("ETF %s: %w", code, err)
	}
	a := &basicAnswer{
		TSCode: etf.TSCode, Kind: string(market.KindETF), Name: etf.Name,
		Exchange: etf.Exchange, IndexCode: etf.IndexCode, IndexName: etf.IndexName, MgrName: etf.MgrName,
		ListDate: market.FormatDate(etf.ListDate), ListStatus: etf.ListStatus, Synthetic: etf.Synthetic,
	}
	a.setLatest(etf.Latest)
	return a, nil
}

func (q *Queries) indexBasic(ctx context.Context, code string) (*basicAnswer, error) {
	ix, err := q.store.Index(ctx, code)
	if errors.Is(err, market.ErrNotFound) {
		return nil, unknownCode(code)
	}
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", code, err)
	}
	a := &basicAnswer{
		TSCode: ix.TSCode, Kind: string(market.KindIndex), Name: ix.Name, Market: ix.Market,
		Exchange: ix.Market, Publisher: ix.Publisher, Category: ix.Category,
		BaseDate: market.FormatDate(ix.BaseDate), BasePoint: ix.BasePoint,
		ListDate: market.FormatDate(ix.ListDate), ListStatus: "L", Synthetic: ix.Synthetic,
	}
	a.setLatest(ix.Latest)
	return a, nil
}

// Search sizes.
const (
	MaxSearchHits  = 20
	MaxSearchRunes = 20
)

type searchAnswer struct {
	Query string             `json:"q"`
	Data  []market.SearchHit `json:"data"`
}

// Search finds up to limit (1..MaxSearchHits) stocks, ETFs and indices
// whose code starts with text or whose name contains it, then, when text
// can be pinyin (ASCII letters, digits, spaces, apostrophes, at least one
// letter) and there is room, those whose name it spells by initials or in
// full (gzmt, guizhoumaotai → 贵州茅台; see package pinyin). It is not
// cached: the questions are as many as the texts users type.
func (q *Queries) Search(ctx context.Context, text string, limit int) (Answer, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return Answer{}, badArg("q", text, "must not be empty")
	}
	if utf8.RuneCountInString(t) > MaxSearchRunes {
		return Answer{}, badArg("q", text, fmt.Sprintf("at most %d characters", MaxSearchRunes))
	}
	if err := checkRange("limit", limit, 1, MaxSearchHits); err != nil {
		return Answer{}, err
	}
	hits, err := q.store.Search(ctx, searchTerm(t), limit)
	if err != nil {
		return Answer{}, fmt.Errorf("search %q: %w", t, err)
	}
	if hits == nil {
		hits = []market.SearchHit{}
	}
	if len(hits) < limit && maybePinyin(t) {
		ix, err := q.names.get(ctx)
		if err != nil {
			return Answer{}, fmt.Errorf("search %q: %w", t, err)
		}
		hits = appendNew(hits, ix.Search(t, limit+len(hits)), limit)
	}
	body, err := Encode(searchAnswer{Query: t, Data: hits})
	return Answer{Body: body}, err
}

// maybePinyin reports whether t could spell a name in pinyin.
func maybePinyin(t string) bool {
	letter := false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == ' ', c == '\'':
		default:
			return false
		}
	}
	return letter
}

// appendNew appends the hits of more whose code hits lacks, up to limit.
func appendNew(hits, more []market.SearchHit, limit int) []market.SearchHit {
	for _, h := range more {
		if len(hits) >= limit {
			break
		}
		if !slices.ContainsFunc(hits, func(x market.SearchHit) bool { return x.TSCode == h.TSCode }) {
			hits = append(hits, h)
		}
	}
	return hits
}

// searchTerm turns the ways users type codes into the prefix the store
// matches: sh600519 and 600519.sh name 600519.SH, whose six digits find it
// (and only it); a partial "sz0000" means the codes starting 0000.
func searchTerm(q string) string {
	if code, err := market.ParseCode(q); err == nil {
		return code[:6]
	}
	if len(q) > 2 {
		switch strings.ToLower(q[:2]) {
		case "sh", "sz", "bj":
			if digits := q[2:]; strings.Trim(digits, "0123456789") == "" {
				return digits
			}
		}
	}
	return q
}
