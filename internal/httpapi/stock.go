package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
)

// basicAnswer is GET /api/stock/{code}/basic. The latest quote and the
// valuation are also flattened to the top level (trade_date, close, pct_chg,
// pe, …) because that is what the web UI reads; `latest` and `valuation`
// keep the complete rows.
type basicAnswer struct {
	TSCode     string `json:"ts_code"`
	Kind       string `json:"kind"`
	Symbol     string `json:"symbol,omitempty"`
	Name       string `json:"name"`
	Area       string `json:"area,omitempty"`
	Industry   string `json:"industry,omitempty"`
	Market     string `json:"market,omitempty"`
	Exchange   string `json:"exchange"`
	IndexCode  string `json:"index_code,omitempty"`
	IndexName  string `json:"index_name,omitempty"`
	MgrName    string `json:"mgr_name,omitempty"`
	ListDate   string `json:"list_date"`
	DelistDate string `json:"delist_date"`
	ListStatus string `json:"list_status"`
	Synthetic  bool   `json:"synthetic"`

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

func (s *server) handleBasic(w http.ResponseWriter, r *http.Request) {
	code, err := pathCode(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	s.cached(w, r, "basic:"+code, s.ttl.Basic, func(ctx context.Context) (any, error) {
		return s.basic(ctx, code)
	})
}

// basic looks the code up as a stock, then as a fund.
func (s *server) basic(ctx context.Context, code string) (*basicAnswer, error) {
	st, err := s.store.Stock(ctx, code)
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
	etf, err := s.store.ETF(ctx, code)
	if errors.Is(err, market.ErrNotFound) {
		return nil, unknownCode(code)
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

func unknownCode(code string) *Error {
	return Errorf(http.StatusNotFound, CodeNotFound, "unknown code %s: no stock or ETF with this code", code)
}

type dailyAnswer struct {
	TSCode     string          `json:"ts_code"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Adjust     string          `json:"adjust"`
	AnchorDate string          `json:"anchor_date"`
	Start      string          `json:"start"`
	End        string          `json:"end"`
	Synthetic  bool            `json:"synthetic"`
	Data       []market.Candle `json:"data"`
}

// dailyMeta is what resolving a daily request needs to know about a code
// before it can name the cache key. It is cached itself (under the code's
// daily prefix, so invalidating daily:{code}:* drops it too): otherwise
// every cached K-line request would still cost the store two queries.
type dailyMeta struct {
	Name         string
	Kind         string
	Synthetic    bool
	LatestDate   string
	AnchorDate   string
	AnchorFactor float64
}

// The cached form of dailyMeta is one line of tab-separated fields rather
// than JSON: it is decoded by every K-line request whose alias entry
// misses, where JSON decoding cost more than the rest of the lookup. The
// version is part of the key, so an entry written by another version of
// stockd is never read.
const dailyMetaVersion = "m1"

func (m dailyMeta) encode() []byte {
	syn := "0"
	if m.Synthetic {
		syn = "1"
	}
	name := strings.ReplaceAll(m.Name, "\t", " ")
	return []byte(strings.Join([]string{dailyMetaVersion, name, m.Kind, syn, m.LatestDate, m.AnchorDate,
		strconv.FormatFloat(m.AnchorFactor, 'g', -1, 64)}, "\t"))
}

func decodeDailyMeta(b []byte) (dailyMeta, error) {
	f := strings.Split(string(b), "\t")
	if len(f) != 7 || f[0] != dailyMetaVersion {
		return dailyMeta{}, fmt.Errorf("want %d tab-separated fields of version %s, got %q", 7, dailyMetaVersion, b)
	}
	factor, err := strconv.ParseFloat(f[6], 64)
	if err != nil {
		return dailyMeta{}, fmt.Errorf("anchor factor: %w", err)
	}
	return dailyMeta{Name: f[1], Kind: f[2], Synthetic: f[3] == "1", LatestDate: f[4], AnchorDate: f[5], AnchorFactor: factor}, nil
}

// defaultSpan is the K-line range when start is omitted: about a year of
// trading before the end date.
const defaultSpan = 365 * 24 * time.Hour

func (s *server) handleDaily(w http.ResponseWriter, r *http.Request) {
	code, err := pathCode(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	adjust, err := market.ParseAdjust(strings.ToLower(q.Get("adjust")))
	if err != nil {
		WriteError(w, r, badParam(CodeBadRequest, "adjust", q.Get("adjust"), "want qfq, hfq or none"))
		return
	}
	start, err := queryDate(q, "start")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	end, err := queryDate(q, "end")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "invalid range: start %s is after end %s",
			market.FormatDate(start), market.FormatDate(end)))
		return
	}
	// The request's own range (either end may be open) names an alias
	// entry holding the same bytes as the resolved K-line entry, so a hit
	// costs one lookup instead of two (meta, then K-line). Open ends mean
	// "up to the latest bar", which the next trading day moves: the alias
	// lives no longer than the overview answers, and never when either TTL
	// turns caching off. Loads drop daily:{code}:*, the alias with it.
	alias := "daily:" + code + ":req:" + market.FormatDate(start) + ":" + market.FormatDate(end) + ":" + adjust
	s.cachedBytes(w, r, alias, min(s.ttl.Overview, s.ttl.Daily), func(ctx context.Context) ([]byte, error) {
		return s.daily(ctx, code, adjust, start, end)
	})
}

// daily resolves an open range against the code's latest bar and answers
// the K-line from its own cache entry, keyed as DESIGN.md §6 says.
func (s *server) daily(ctx context.Context, code, adjust string, start, end time.Time) ([]byte, error) {
	meta, err := s.dailyMeta(ctx, code)
	if err != nil {
		return nil, err
	}
	if end.IsZero() && meta.LatestDate != "" {
		end, _ = market.ParseDate(meta.LatestDate)
	}
	if start.IsZero() && !end.IsZero() {
		start = end.Add(-defaultSpan)
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		// Only an explicit start beyond the code's last bar gets here.
		end = start
	}
	anchor := meta.AnchorDate
	if anchor == "" {
		anchor = "none"
	}
	key := fmt.Sprintf("daily:%s:%s:%s:%s:%s", code, market.FormatDate(start), market.FormatDate(end), adjust, anchor)
	return s.load(ctx, key, s.ttl.Daily, func(ctx context.Context) ([]byte, error) {
		bars, err := s.store.Bars(ctx, code, start, end)
		if err != nil {
			return nil, fmt.Errorf("bars of %s: %w", code, err)
		}
		return encodeJSON(dailyAnswer{
			TSCode: code, Name: meta.Name, Kind: meta.Kind, Adjust: adjust,
			AnchorDate: meta.AnchorDate, Start: market.FormatDate(start), End: market.FormatDate(end),
			Synthetic: meta.Synthetic,
			Data:      market.Adjust(bars, adjust, meta.AnchorFactor),
		})
	})
}

// dailyMeta resolves the name, the latest bar and the qfq anchor of a code,
// through the cache with the overview TTL: a new day of data moves them.
func (s *server) dailyMeta(ctx context.Context, code string) (dailyMeta, error) {
	body, err := s.load(ctx, "daily:"+code+":"+dailyMetaVersion, s.ttl.Overview, func(ctx context.Context) ([]byte, error) {
		b, err := s.basic(ctx, code)
		if err != nil {
			return nil, err
		}
		m := dailyMeta{Name: b.Name, Kind: b.Kind, Synthetic: b.Synthetic, LatestDate: b.TradeDate}
		d, f, err := s.store.LatestAdjFactor(ctx, code)
		switch {
		case err == nil:
			m.AnchorDate, m.AnchorFactor = market.FormatDate(d), f
		case !errors.Is(err, market.ErrNoData):
			return nil, fmt.Errorf("latest adj factor of %s: %w", code, err)
		}
		return m.encode(), nil
	})
	if err != nil {
		return dailyMeta{}, err
	}
	m, err := decodeDailyMeta(body)
	if err != nil {
		return dailyMeta{}, fmt.Errorf("decode cached daily meta of %s: %w", code, err)
	}
	return m, nil
}

type searchAnswer struct {
	Query string             `json:"q"`
	Data  []market.SearchHit `json:"data"`
}

const maxSearchHits = 20

func (s *server) handleSearch(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	raw := params.Get("q")
	q := strings.TrimSpace(raw)
	if q == "" {
		WriteError(w, r, badParam(CodeBadRequest, "q", raw, "must not be empty"))
		return
	}
	if n := utf8.RuneCountInString(q); n > 20 {
		WriteError(w, r, badParam(CodeBadRequest, "q", raw, "at most 20 characters"))
		return
	}
	limit, err := queryInt(params, "limit", maxSearchHits, 1, maxSearchHits)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	term := searchTerm(q)
	hits, err := s.store.Search(r.Context(), term, limit)
	if err != nil {
		WriteError(w, r, fmt.Errorf("search %q: %w", q, err))
		return
	}
	if hits == nil {
		hits = []market.SearchHit{}
	}
	WriteJSON(w, http.StatusOK, searchAnswer{Query: q, Data: hits})
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
