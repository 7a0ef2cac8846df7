package httpapi

import (
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
type params struct {
	v   url.Values
	err error
}

// int reads an optional integer; def when absent.
func (p *params) int(name string, def int) int {
	v := p.v.Get(name)
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
	v := p.v.Get(name)
	if v == "" || p.err != nil {
		return time.Time{}
	}
	d, err := market.ParseDate(v)
	if err != nil {
		p.err = badParam(CodeInvalidDate, name, v, "want YYYYMMDD or YYYY-MM-DD")
	}
	return d
}

// lower reads an optional word, trimmed and lower-cased, with the old
// spellings in aliases mapped to the current ones; def when absent.
func (p *params) lower(name, def string, aliases map[string]string) string {
	v := strings.ToLower(strings.TrimSpace(p.v.Get(name)))
	if v == "" {
		return def
	}
	if a, ok := aliases[v]; ok {
		return a
	}
	return v
}
