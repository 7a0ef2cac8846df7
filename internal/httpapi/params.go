package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// params turns query parameters into typed arguments. It only parses: the
// queries check ranges and allowed values, so an HTTP caller and a workflow
// tool meet the same rules. The first malformed value is kept in err and
// later reads return zero values.
//
// It reads the raw query string as it is asked for a name instead of
// building url.Values: the map and slices of ParseQuery were a fifth of a
// cache hit's time, for the two or three parameters a request has.
type params struct {
	raw string // URL.RawQuery
	err error
}

func paramsOf(r *http.Request) params { return params{raw: r.URL.RawQuery} }

// get is url.Values.Get on the raw query: the first value of name,
// unescaped; pairs that do not unescape, or hold a semicolon, are skipped
// as ParseQuery skips them.
func (p *params) get(name string) string {
	q := p.raw
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = u
		}
		return v
	}
	return ""
}

// int reads an optional integer; def when absent.
func (p *params) int(name string, def int) int {
	v := p.get(name)
	if v == "" || p.err != nil {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		p.err = badParam(CodeBadRequest, name, v, "not an integer")
	}
	return n
}

// date reads an optional date, YYYYMMDD or YYYY-MM-DD; zero when absent.
func (p *params) date(name string) time.Time {
	v := p.get(name)
	if v == "" || p.err != nil {
		return time.Time{}
	}
	d, err := market.ParseDate(v)
	if err != nil {
		why := "want YYYYMMDD or YYYY-MM-DD"
		if errors.Is(err, market.ErrDateOutOfEra) {
			why = market.ErrDateOutOfEra.Error()
		}
		p.err = badParam(CodeInvalidDate, name, v, why)
	}
	return d
}

// lower reads an optional word, trimmed and lower-cased, with the old
// spellings in aliases mapped to the current ones; def when absent.
func (p *params) lower(name, def string, aliases map[string]string) string {
	v := strings.ToLower(strings.TrimSpace(p.get(name)))
	if v == "" {
		return def
	}
	if a, ok := aliases[v]; ok {
		return a
	}
	return v
}
