package workflow

import "time"

// templateTime is the fixed creation time of the built-in templates, so
// they sort after every user workflow and never change between releases.
var templateTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Template ids are fixed: clients and docs may refer to them.
const (
	TemplateSingleStock = "tpl-single-stock-analysis"
	TemplateComparison  = "tpl-stock-comparison"
	TemplateValueScreen = "tpl-value-screen"
	TemplateTechnical   = "tpl-technical-analysis"
	TemplateSectorScan  = "tpl-sector-scan"
)

const analystSystem = "你是一名严谨的A股研究分析师。只依据工具返回的数据作答，引用具体数字并注明交易日；" +
	"数据缺失时直接说明，不要编造。价格单位为元，成交额为千元（换算为亿元展示），成交量为手。结尾给出风险提示。"

var builtinTemplates = []Workflow{
	{
		ID: TemplateSingleStock, Name: "单股深度分析", Category: "analysis",
		Description:  "对单只股票做基本面、估值与近期走势的综合分析。",
		Tags:         []string{"个股", "基本面", "估值"},
		SystemPrompt: analystSystem,
		UserPromptTemplate: "请对股票 {{stock_code}} 做一次深度分析，回看最近 {{days}} 个交易日：\n" +
			"1. 公司概况：所属行业、上市时间、最新收盘价与涨跌幅；\n" +
			"2. 估值：PE(TTM)、PB、总市值与流通市值，并与同行业热门股票比较；\n" +
			"3. 走势：区间涨跌幅、最高最低价、成交额变化（使用前复权价格）；\n" +
			"4. 结论：主要看点与风险，给出需要继续跟踪的指标。",
		Variables: []Variable{
			{Name: "stock_code", Label: "股票代码", Type: TypeStockCode, Required: true, Default: "600519.SH", Description: "如 600519 或 600519.SH"},
			{Name: "days", Label: "回看交易日", Type: TypeNumber, Required: false, Default: 60.0, Description: "K线回看天数", Min: bound(5), Max: bound(500)},
		},
		SelectedTools: []string{"get_stock_basic", "get_stock_daily", "get_hot_stocks"},
	},
	{
		ID: TemplateComparison, Name: "股票对比分析", Category: "analysis",
		Description:  "横向比较多只股票的估值、涨跌与成交活跃度。",
		Tags:         []string{"对比", "估值"},
		SystemPrompt: analystSystem,
		UserPromptTemplate: "请对比以下股票：{{stock_list}}，比较维度：{{focus}}。\n" +
			"用表格列出每只股票的最新收盘价、涨跌幅、PE(TTM)、PB、总市值和换手率，" +
			"再比较截至 {{end_date}} 的近一段时间走势（前复权），最后总结各自的相对优势与风险。",
		Variables: []Variable{
			{Name: "stock_list", Label: "股票列表", Type: TypeStockList, Required: true, Default: []any{"600519.SH", "000858.SZ"}, Description: "两只或以上股票代码"},
			{Name: "focus", Label: "比较重点", Type: TypeString, Required: false, Default: "估值与走势", Description: "如 估值、成长性、走势"},
			{Name: "end_date", Label: "截止日期", Type: TypeDate, Required: false, Description: "留空为最新交易日"},
		},
		SelectedTools: []string{"get_stock_basic", "get_stock_daily", "search_stocks"},
	},
	{
		ID: TemplateValueScreen, Name: "价值投资筛选", Category: "screening",
		Description:  "在成交活跃的股票中筛选低市盈率、低市净率的价值股。",
		Tags:         []string{"选股", "价值", "估值"},
		SystemPrompt: analystSystem + "筛选时只保留满足全部条件的股票，并说明被排除的主要原因。",
		UserPromptTemplate: "请从当日成交额靠前的股票中筛选价值股：市盈率(TTM)不高于 {{max_pe}}、市净率不高于 {{max_pb}}，" +
			"剔除亏损（PE为空）和ST股票。列出符合条件的股票（代码、名称、行业、PE、PB、股息率、总市值），" +
			"按PE从低到高排序，并结合当日市场宽度评价当前的估值环境。",
		Variables: []Variable{
			{Name: "max_pe", Label: "最高市盈率", Type: TypeNumber, Required: true, Default: 15.0, Description: "PE(TTM) 上限", Min: bound(0)},
			{Name: "max_pb", Label: "最高市净率", Type: TypeNumber, Required: true, Default: 1.5, Description: "PB 上限", Min: bound(0)},
		},
		SelectedTools: []string{"get_hot_stocks", "get_stock_basic", "get_market_stats"},
	},
	{
		ID: TemplateTechnical, Name: "技术面分析", Category: "technical",
		Description:  "基于日K线的均线、量价与支撑压力分析。",
		Tags:         []string{"技术面", "K线", "均线"},
		SystemPrompt: analystSystem + "技术分析使用前复权价格，均线按收盘价计算。",
		UserPromptTemplate: "请对 {{stock_code}} 做技术面分析，使用最近 {{days}} 个交易日的前复权日K线：\n" +
			"1. 计算 MA5、MA10、MA20 并判断多空排列；\n" +
			"2. 量价关系：放量/缩量的交易日及其涨跌；\n" +
			"3. 区间最高价、最低价，推断支撑位与压力位；\n" +
			"4. 给出短期趋势判断和需要警惕的信号。",
		Variables: []Variable{
			{Name: "stock_code", Label: "股票代码", Type: TypeStockCode, Required: true, Default: "000001.SZ"},
			{Name: "days", Label: "交易日数", Type: TypeNumber, Required: true, Default: 120.0, Description: "K线根数", Min: bound(20), Max: bound(500)},
		},
		SelectedTools: []string{"get_stock_daily", "get_stock_basic"},
	},
	{
		ID: TemplateSectorScan, Name: "板块扫描", Category: "market",
		Description:  "扫描当日热门股票与ETF，按行业归纳资金与涨跌的集中方向。",
		Tags:         []string{"板块", "行业", "市场"},
		SystemPrompt: analystSystem,
		UserPromptTemplate: "请扫描 {{trade_date}} 的市场：先给出市场宽度（涨跌家数、涨停跌停家数、总成交额），" +
			"再按成交额和涨跌幅各取前 {{top_n}} 只股票，按行业归类统计上榜次数和平均涨跌幅，" +
			"结合热门ETF指出当日最强和最弱的板块，重点关注行业：{{industry}}。",
		Variables: []Variable{
			{Name: "trade_date", Label: "交易日", Type: TypeDate, Required: false, Description: "留空为最新交易日"},
			{Name: "top_n", Label: "每榜数量", Type: TypeNumber, Required: false, Default: 30.0, Min: bound(1), Max: bound(50)},
			{Name: "industry", Label: "关注行业", Type: TypeString, Required: false, Default: "全部"},
		},
		SelectedTools: []string{"get_market_stats", "get_hot_stocks", "get_hot_etfs"},
	},
}

func bound(v float64) *float64 { return &v }

func init() {
	for i := range builtinTemplates {
		builtinTemplates[i].IsTemplate = true
		builtinTemplates[i].CreatedAt = templateTime
		builtinTemplates[i].UpdatedAt = templateTime
	}
}

// Templates returns copies of the built-in templates.
func Templates() []Workflow {
	out := make([]Workflow, len(builtinTemplates))
	copy(out, builtinTemplates)
	return out
}

func template(id string) (Workflow, bool) {
	for _, t := range builtinTemplates {
		if t.ID == id {
			return t, true
		}
	}
	return Workflow{}, false
}
