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
		Parameters:  schema([]string{"code"}, map[string]any{"code": prop("string", "stock, ETF or index code: 600519, 600519.SH or sh600519")}),
		Example:     map[string]string{"code": "600519.SH"},
	},
	{
		Name: "get_stock_daily", Category: "stock", Method: "GET", Path: "/api/stock/{code}/daily",
		Description: "日K线（开高低收、成交量、成交额），支持前复权/后复权/不复权。Daily K-line bars, forward/backward adjusted or raw.",
		Parameters: schema([]string{"code"}, map[string]any{
			"code":   prop("string", "stock, ETF or index code (000001.SH is the Shanghai Composite)"),
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
		Name: "get_sectors", Category: "market", Method: "GET", Path: "/api/overview/sectors",
		Description: "行业板块统计：每个行业的家数、涨跌家数、涨停家数、平均与流通市值加权涨跌幅、成交额和领涨股。Industries of a day with breadth, mean and cap-weighted change, amount and leader.",
		Parameters: schema(nil, map[string]any{
			"date":    dateProp,
			"sort_by": prop("string", "ranking", "enum", []string{"pct_chg", "amount", "up_ratio"}, "default", "pct_chg"),
			"limit":   prop("integer", "industries", "minimum", 1, "maximum", 200, "default", 200),
		}),
		Example: map[string]string{"sort_by": "pct_chg", "limit": "10"},
	},
	{
		Name: "get_limit_ladder", Category: "market", Method: "GET", Path: "/api/overview/limit-ladder",
		Description: "连板天梯：当日涨停股按连续涨停天数分组（首板、2连板…），以及炸板和跌停列表（按各板块当日真实涨跌幅规则）。Limit-up ladder by consecutive boards, broken boards and limit-downs.",
		Parameters:  schema(nil, map[string]any{"date": dateProp}),
		Example:     map[string]string{},
	},
	{
		Name: "get_indices", Category: "market", Method: "GET", Path: "/api/overview/indices",
		Description: "主要指数行情：上证指数、深证成指、创业板指、沪深300、科创50、北证50 的当日开高低收与涨跌幅。Main index quotes of a day.",
		Parameters:  schema(nil, map[string]any{"date": dateProp}),
		Example:     map[string]string{},
	},
	{
		Name: "get_quick_analysis", Category: "market", Method: "GET", Path: "/api/overview/quick-analysis",
		Description: "市场速览（不经大模型）：涨跌家数、成交额与5日/20日均值之比、情绪分、异动信号、强弱行业、连板高度。Rule-based summary of a day: breadth, turnover against its averages, sentiment score, signals, top sectors, ladder height.",
		Parameters:  schema(nil, map[string]any{"date": dateProp}),
		Example:     map[string]string{},
	},
	{
		Name: "screen_stocks", Category: "screening", Method: "GET", Path: "/api/screener",
		Description: "条件选股：按市盈率、市净率、市销率、总市值/流通市值（万元）、换手率、涨跌幅、股息率区间，以及行业、板块筛选，默认剔除ST，可排序分页并返回总数。Screen a day's stocks by valuation, size, activity, yield, industry and board.",
		Parameters: schema(nil, func() map[string]any {
			props := map[string]any{
				"date":       dateProp,
				"industry":   prop("string", "industries, comma-separated (stock_basic.industry, e.g. 银行,白酒)"),
				"board":      prop("string", "boards, comma-separated: main, star, chinext, bse"),
				"include_st": prop("string", "keep ST stocks", "enum", []string{"true", "false"}, "default", "false"),
				"sort_by":    prop("string", "order field", "enum", []string{"total_mv", "circ_mv", "pe", "pe_ttm", "pb", "ps", "dv_ratio", "turnover_rate", "pct_chg", "amount", "close"}, "default", "total_mv"),
				"order":      prop("string", "sort order", "enum", []string{"asc", "desc"}, "default", "desc"),
				"limit":      prop("integer", "rows", "minimum", 1, "maximum", 500, "default", 50),
				"offset":     prop("integer", "rows to skip", "minimum", 0, "default", 0),
			}
			for f, what := range map[string]string{"pe": "PE", "pe_ttm": "PE TTM", "pb": "PB", "ps": "PS",
				"total_mv": "total market value (10k CNY)", "circ_mv": "circulating market value (10k CNY)",
				"turnover_rate": "turnover rate (%)", "pct_chg": "change of the day (%)", "dv_ratio": "dividend yield (%)"} {
				props[f+"_min"] = prop("number", what+", at least")
				props[f+"_max"] = prop("number", what+", at most")
			}
			return props
		}()),
		Example: map[string]string{"pe_ttm_min": "0", "pe_ttm_max": "15", "pb_max": "2", "sort_by": "pe_ttm", "order": "asc", "limit": "20"},
	},
	{
		Name: "get_indicators", Category: "stock", Method: "GET", Path: "/api/stock/{code}/indicators",
		Description: "技术指标（前复权日K）：MA、EMA、MACD(12,26,9)、KDJ(9,3,3)、RSI(6,12,24)、BOLL(20,2)，按国内行情软件口径计算。Technical indicators on the adjusted daily K-line.",
		Parameters: schema([]string{"code"}, map[string]any{
			"code":   prop("string", "stock, ETF or index code"),
			"names":  prop("string", "comma-separated: ma, ema, macd, kdj, rsi, boll; omitted = all"),
			"start":  prop("string", "first day, YYYYMMDD or YYYY-MM-DD; omitted = a year before end"),
			"end":    prop("string", "last day; omitted = the newest bar"),
			"adjust": prop("string", "price adjustment", "enum", []string{"qfq", "hfq", "none"}, "default", "qfq"),
		}),
		Example: map[string]string{"code": "600519.SH", "names": "macd,kdj,rsi"},
	},
	{
		Name: "search_stocks", Category: "search", Method: "GET", Path: "/api/stock/search",
		Description: "按代码、名称或拼音（首字母或全拼）搜索股票、ETF和指数。Find stocks, ETFs and indices by code, name or pinyin.",
		Parameters:  schema([]string{"q"}, map[string]any{"q": prop("string", "code prefix, part of the name, or its pinyin (gzmt, guizhoumaotai)", "minLength", 1, "maxLength", 20)}),
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
