package workflow

import "sort"

// Tool is a data function a workflow may select. Each one is a route of
// this service's own API: Path is its pattern, and Parameters (a JSON
// schema) name the path and query parameters it takes. The API's tests
// (httpapi) check every tool's example against its schema and call its
// route with it, so a tool cannot name a function the service lacks.
type Tool struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Category    string         `json:"category"`
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Parameters  map[string]any `json:"parameters"`
	// Example holds arguments that make a valid call, for tests and docs.
	Example map[string]string `json:"example"`
}

func schema(required []string, props map[string]any) map[string]any {
	if required == nil {
		required = []string{}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

func prop(typ, desc string, extra ...any) map[string]any {
	p := map[string]any{"type": typ, "description": desc}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i].(string)] = extra[i+1]
	}
	return p
}

var dateProp = prop("string", "trade date, YYYYMMDD or YYYY-MM-DD; omitted = latest day with data", "pattern", `^\d{4}-?\d{2}-?\d{2}$`)

// orderProp is a hot list's order: largest first, or asc from the smallest.
var orderProp = prop("string", "desc: largest first; asc: smallest first (the biggest losers by pct_chg)", "enum", []string{"desc", "asc"}, "default", "desc")

// builtinTools is the catalogue of data tools, in display order.
var builtinTools = []Tool{
	{
		Name: "get_stock_basic", Category: "stock", Method: "GET", Path: "/api/stock/{code}/basic",
		Description: "个股基本信息：名称、行业、上市日期，以及最新收盘价、涨跌幅和估值（PE/PB/市值）。Basic info of a stock or ETF with its latest close and valuation.",
		Parameters:  schema([]string{"code"}, map[string]any{"code": prop("string", "stock or ETF code: 600519, 600519.SH or sh600519")}),
		Example:     map[string]string{"code": "600519.SH"},
	},
	{
		Name: "get_stock_daily", Category: "stock", Method: "GET", Path: "/api/stock/{code}/daily",
		Description: "日K线（开高低收、成交量、成交额），支持前复权/后复权/不复权。Daily K-line bars, forward/backward adjusted or raw.",
		Parameters: schema([]string{"code"}, map[string]any{
			"code":   prop("string", "stock or ETF code"),
			"start":  prop("string", "first day, YYYYMMDD or YYYY-MM-DD"),
			"end":    prop("string", "last day, YYYYMMDD or YYYY-MM-DD"),
			"adjust": prop("string", "price adjustment", "enum", []string{"qfq", "hfq", "none"}, "default", "qfq"),
		}),
		Example: map[string]string{"code": "600519.SH", "adjust": "qfq"},
	},
	{
		Name: "get_hot_stocks", Category: "market", Method: "GET", Path: "/api/overview/hot-stocks",
		Description: "热门股票排行：按成交额、涨跌幅或换手率排序（order=asc 从小到大，如跌幅榜）。Top stocks of a day by amount, change or turnover; order=asc ranks from the smallest (the biggest losers).",
		Parameters: schema(nil, map[string]any{
			"date":    dateProp,
			"sort_by": prop("string", "ranking", "enum", []string{"amount", "pct_chg", "turnover_rate"}, "default", "amount"),
			"order":   orderProp,
			"limit":   prop("integer", "rows", "minimum", 1, "maximum", 50, "default", 20),
		}),
		Example: map[string]string{"sort_by": "pct_chg", "limit": "10"},
	},
	{
		Name: "get_hot_etfs", Category: "market", Method: "GET", Path: "/api/overview/hot-etfs",
		Description: "热门ETF排行：按成交额或涨跌幅排序（order=asc 从小到大）。Top ETFs of a day by amount or change; order=asc ranks from the smallest.",
		Parameters: schema(nil, map[string]any{
			"date":    dateProp,
			"sort_by": prop("string", "ranking", "enum", []string{"amount", "pct_chg"}, "default", "amount"),
			"order":   orderProp,
			"limit":   prop("integer", "rows", "minimum", 1, "maximum", 50, "default", 20),
		}),
		Example: map[string]string{"limit": "10"},
	},
	{
		Name: "get_market_stats", Category: "market", Method: "GET", Path: "/api/overview/market-stats",
		Description: "市场宽度：上涨/下跌/平盘家数、涨停/跌停家数（按各板块真实涨跌幅限制）、成交额（亿元）。Market breadth of a day.",
		Parameters:  schema(nil, map[string]any{"date": dateProp}),
		Example:     map[string]string{},
	},
	{
		Name: "search_stocks", Category: "search", Method: "GET", Path: "/api/stock/search",
		Description: "按代码或名称搜索股票和ETF。Find stocks and ETFs by code or name.",
		Parameters:  schema([]string{"q"}, map[string]any{"q": prop("string", "code prefix or part of the name", "minLength", 1, "maxLength", 20)}),
		Example:     map[string]string{"q": "茅台"},
	},
}

var toolIndex = func() map[string]Tool {
	m := make(map[string]Tool, len(builtinTools))
	for _, t := range builtinTools {
		m[t.Name] = t
	}
	return m
}()

// Tools returns the data tools a workflow may select, sorted by category
// then name.
func Tools() []Tool {
	out := append([]Tool(nil), builtinTools...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ToolExists reports whether name is a known tool.
func ToolExists(name string) bool { _, ok := toolIndex[name]; return ok }
