package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Hot-list sizes.
const (
	defaultHotLimit = 20
	maxHotLimit     = 50
)

// queryInt reads an optional integer parameter in [lo, hi].
func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, badParam(CodeBadRequest, name, v, "not an integer")
	}
	if n < lo || n > hi {
		return 0, badParam(CodeBadRequest, name, v, fmt.Sprintf("must be between %d and %d", lo, hi))
	}
	return n, nil
}

// queryDate reads an optional date parameter; zero when absent.
func queryDate(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	d, err := market.ParseDate(v)
	if err != nil {
		return time.Time{}, badParam(CodeInvalidDate, name, v, "want YYYYMMDD or YYYY-MM-DD")
	}
	return d, nil
}

// querySort reads sort_by among allowed values; aliases map spellings the
// original API accepted to the canonical one.
func querySort(q url.Values, def string, allowed []string, aliases map[string]string) (string, error) {
	v := q.Get("sort_by")
	if v == "" {
		return def, nil
	}
	s := strings.ToLower(strings.TrimSpace(v))
	if a, ok := aliases[s]; ok {
		s = a
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", badParam(CodeBadRequest, "sort_by", v, "want one of "+strings.Join(allowed, ", "))
}

// pathCode normalises the {code} path value.
func pathCode(r *http.Request) (string, error) {
	v := r.PathValue("code")
	code, err := market.ParseCode(v)
	if err != nil {
		return "", badParam(CodeInvalidCode, "code", v, "want 6 digits with an optional exchange, e.g. 600519, 600519.SH or sh600519")
	}
	return code, nil
}

// tradeDate resolves the date parameter: the given day, or the latest day
// with data of the kind.
func (s *server) tradeDate(ctx context.Context, q url.Values, kind market.Kind) (time.Time, error) {
	d, err := queryDate(q, "date")
	if err != nil || !d.IsZero() {
		return d, err
	}
	d, err = s.latest.get(ctx, kind)
	if errors.Is(err, market.ErrNoData) {
		return time.Time{}, Errorf(http.StatusNotFound, CodeNoData, "no %s data in the store yet", kindNoun(kind))
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("latest %s trade date: %w", kind, err)
	}
	return d, nil
}

func kindNoun(k market.Kind) string {
	if k == market.KindETF {
		return "ETF"
	}
	return "stock"
}

// noData is the 404 of a day the store has no rows for.
func noData(kind market.Kind, d time.Time) *Error {
	return Errorf(http.StatusNotFound, CodeNoData, "no %s data for %s", kindNoun(kind), market.FormatDate(d))
}
