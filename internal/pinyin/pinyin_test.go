package pinyin

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	gopinyin "github.com/mozillazg/go-pinyin"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// snapshotRows reads stock_basic.csv of the real snapshot as search rows.
func snapshotRows(t testing.TB) []market.SearchHit {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Snapshot(t), "stock_basic.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := make([]market.SearchHit, 0, len(recs)-1)
	for _, r := range recs[1:] {
		rows = append(rows, market.SearchHit{
			TSCode: r[col["ts_code"]], Name: r[col["name"]], Industry: r[col["industry"]], Kind: market.KindStock,
		})
	}
	return rows
}

func codes(hits []market.SearchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.TSCode
	}
	return out
}

var (
	spelled = regexp.MustCompile(`^[a-z0-9]+$`)
	letters = regexp.MustCompile(`^[a-z]+$`)
)

// TestEveryNameSpells: each of the snapshot's names has a non-empty
// spelling of ASCII letters and digits, initials one letter per syllable.
func TestEveryNameSpells(t *testing.T) {
	rows := snapshotRows(t)
	if len(rows) != 5470 {
		t.Fatalf("%d names in stock_basic.csv, want 5,470", len(rows))
	}
	for _, r := range rows {
		sp := Spell(r.Name)
		if len(sp.Initials) == 0 || len(sp.Full) == 0 {
			t.Errorf("%s %s: no spelling", r.TSCode, r.Name)
			continue
		}
		for _, s := range append(slices.Clone(sp.Initials), sp.Full...) {
			if !spelled.MatchString(s) {
				t.Errorf("%s %s: spelling %q is not [a-z0-9]+", r.TSCode, r.Name, s)
			}
		}
		if len(sp.Initials[0]) > len(sp.Full[0]) {
			t.Errorf("%s %s: initials %q longer than the full spelling %q", r.TSCode, r.Name, sp.Initials[0], sp.Full[0])
		}
	}
}

func TestSnapshotSearches(t *testing.T) {
	rows := snapshotRows(t)
	ix := New(rows)
	if ix.Len() != len(rows) {
		t.Fatalf("Len = %d, want %d", ix.Len(), len(rows))
	}
	for _, tc := range []struct{ q, first string }{
		{"gzmt", "600519.SH"},
		{"GZMT", "600519.SH"},
		{"guizhoumaotai", "600519.SH"},
		{"gui zhou mao tai", "600519.SH"},
		{"茅台", "600519.SH"},
		{"600519", "600519.SH"},
		{"sh600519", "600519.SH"},
		{"cqpj", "600132.SH"},
		{"chongqingpijiu", "600132.SH"},
		{"cjdl", "600900.SH"},
		{"changjiangdianli", "600900.SH"},
		{"zsyh", "600036.SH"},
		{"payh", "000001.SZ"},
		{"cdyh", "601838.SH"},
		{"xmgw", "000905.SZ"},
		{"zlzk", "000157.SZ"},
		{"mdjt", "000333.SZ"},
	} {
		hits := ix.Search(tc.q, 5)
		if len(hits) == 0 || hits[0].TSCode != tc.first {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, codes(hits), tc.first)
		}
	}
	// Every bank ends in yh (yin hang, never yin xing), and so does its
	// primary spelling; every 西藏 name starts with xz.
	banks, tibet := 0, 0
	for _, r := range rows {
		sp := Spell(r.Name)
		if strings.HasSuffix(r.Name, "银行") {
			banks++
			if !strings.HasSuffix(sp.Initials[0], "yh") || !strings.HasSuffix(sp.Full[0], "yinhang") || len(sp.Initials) != 1 {
				t.Errorf("bank %s: %v", r.Name, sp)
			}
		}
		if strings.HasPrefix(r.Name, "西藏") || strings.Contains(r.Name, "ST西藏") {
			tibet++
			if !strings.Contains(sp.Initials[0], "xz") || !strings.Contains(sp.Full[0], "xizang") {
				t.Errorf("Tibet %s: %v", r.Name, sp)
			}
		}
	}
	if banks < 30 || tibet < 5 {
		t.Errorf("found %d banks and %d 西藏 names; the snapshot has more", banks, tibet)
	}
	// Each of the polyphone spellings finds its name among the first hits.
	for _, tc := range []struct{ q, code string }{
		{"xzky", "000762.SZ"}, {"zgky", "000408.SZ"}, {"cgky", "000408.SZ"},
		{"cykj", "002981.SZ"}, {"hkt", "600202.SH"}, {"dsl", "603233.SH"},
		{"kjs", "601579.SH"}, {"rhmj", "002997.SZ"}, {"zjgh", "002839.SZ"},
	} {
		if hits := ix.Search(tc.q, 20); !slices.Contains(codes(hits), tc.code) {
			t.Errorf("Search(%q) = %v, want %s among them", tc.q, codes(hits), tc.code)
		}
	}
}

// TestPolyphones: the readings of polyphonic characters in names.
func TestPolyphones(t *testing.T) {
	for _, tc := range []struct{ name, initials, full string }{
		{"平安银行", "payh", "pinganyinhang"},
		{"张家港行", "zjgh", "zhangjiaganghang"},
		{"青农商行", "qnsh", "qingnongshanghang"},
		{"华致酒行", "hzjh", "huazhijiuhang"},
		{"世联行", "slh", "shilianhang"},
		{"银行业指数", "yhyzs", "yinhangyezhishu"},
		{"永安行", "yax", "yonganxing"},
		{"喜悦智行", "xyzx", "xiyuezhixing"},
		{"重庆啤酒", "cqpj", "chongqingpijiu"},
		{"重药控股", "cykg", "chongyaokonggu"},
		{"三一重工", "syzg", "sanyizhonggong"},
		{"中联重科", "zlzk", "zhonglianzhongke"},
		{"中国重汽", "zgzq", "zhongguozhongqi"},
		{"天桥起重", "tqqz", "tianqiaoqizhong"},
		{"长江电力", "cjdl", "changjiangdianli"},
		{"中国长城", "zgcc", "zhongguochangcheng"},
		{"长安汽车", "caqc", "changanqiche"},
		{"长春高新", "ccgx", "changchungaoxin"},
		{"朝阳科技", "cykj", "chaoyangkeji"},
		{"厦门国贸", "xmgm", "xiamenguomao"},
		{"亚厦股份", "ysgf", "yashagufen"},
		{"西藏矿业", "xzky", "xizangkuangye"},
		{"奇正藏药", "qzzy", "qizhengzangyao"},
		{"乐普医疗", "lpyl", "lepuyiliao"},
		{"奥飞娱乐", "afyl", "aofeiyule"},
		{"成都银行", "cdyh", "chengduyinhang"},
		{"首都在线", "sdzx", "shouduzaixian"},
		{"哈空调", "hkt", "hakongtiao"},
		{"美的集团", "mdjt", "meidijituan"},
		{"大参林", "dsl", "dashenlin"},
		{"会稽山", "kjs", "kuaijishan"},
		{"瑞鹄模具", "rhmj", "ruihumuju"},
		{"佛山照明", "fszm", "foshanzhaoming"},
		{"苏泊尔", "sbe", "suboer"},
		{"荣晟环保", "rshb", "rongshenghuanbao"},
		{"东莞控股", "dgkg", "dongguankonggu"},
		{"宿迁联盛", "sqls", "suqianliansheng"},
		{"传化智联", "chzl", "chuanhuazhilian"},
		{"绿的谐波", "ldxb", "lvdexiebo"},
	} {
		sp := Spell(tc.name)
		if sp.Initials[0] != tc.initials || sp.Full[0] != tc.full {
			t.Errorf("Spell(%s) = %v, want primary %s / %s", tc.name, sp, tc.initials, tc.full)
		}
		if Initials(tc.name) != tc.initials || Full(tc.name) != tc.full {
			t.Errorf("Initials/Full(%s) = %s/%s", tc.name, Initials(tc.name), Full(tc.name))
		}
	}
	// Every phrase of the table spells one syllable per character.
	for p, read := range phrases {
		if n, m := len([]rune(p)), len(strings.Fields(read)); n != m || n < 2 || n > maxPhraseCap {
			t.Errorf("phrase %s has %d characters and %d syllables (want 2..%d, equal)", p, n, m, maxPhraseCap)
		}
	}
}

// TestAlternativeReadings: a character no phrase decides keeps both
// readings, the likelier first, and a search by the other still finds it.
func TestAlternativeReadings(t *testing.T) {
	sp := Spell("藏格矿业")
	if !slices.Equal(sp.Initials, []string{"zgky", "cgky"}) || !slices.Equal(sp.Full, []string{"zanggekuangye", "canggekuangye"}) {
		t.Errorf("Spell(藏格矿业) = %v", sp)
	}
	// Too many undecided characters: the primary plus one change each.
	sp = Spell("长长长长")
	if len(sp.Full) != 5 || sp.Full[0] != "changchangchangchang" || !slices.Contains(sp.Full, "changzhangchangchang") {
		t.Errorf("Spell(长长长长) = %v", sp)
	}
	ix := New([]market.SearchHit{
		{TSCode: "000001.SZ", Name: "长丰"}, // cf (primary), zf (alternative)
		{TSCode: "000002.SZ", Name: "振丰"}, // zf
	})
	if got := codes(ix.Search("zf", 0)); !slices.Equal(got, []string{"000002.SZ", "000001.SZ"}) {
		t.Errorf("Search(zf) = %v: want the primary match 000002.SZ before the alternative-reading one", got)
	}
	if got := codes(ix.Search("cf", 0)); !slices.Equal(got, []string{"000001.SZ"}) {
		t.Errorf("Search(cf) = %v", got)
	}
}

func TestSymbolsAndWidth(t *testing.T) {
	for _, tc := range []struct{ name, initials, full string }{
		{"*ST海航", "sthh", "sthaihang"},
		{"ST长方", "stcf", "stchangfang"},
		{"万科A", "wka", "wankea"},
		{"万科Ａ", "wka", "wankea"},        // full-width A
		{"深圳Ｂ股", "szbg", "shenzhenbgu"}, // full-width B
		{"ＴＣＬ科技", "tclkj", "tclkeji"},
		{"沪深300ETF", "hs300etf", "hushen300etf"},
		{"沪深３００", "hs300", "hushen300"},
		{"摩尔线程-U", "mexcu", "moerxianchengu"},
		{"华夏·（中国）", "hxzg", "huaxiazhongguo"},
	} {
		sp := Spell(tc.name)
		if sp.Initials[0] != tc.initials || sp.Full[0] != tc.full {
			t.Errorf("Spell(%s) = %v, want %s / %s", tc.name, sp, tc.initials, tc.full)
		}
	}
	if sp := Spell("*-·"); !slices.Equal(sp.Initials, []string{""}) || !slices.Equal(sp.Full, []string{""}) {
		t.Errorf("Spell of signs only = %v, want one empty spelling", sp)
	}
	ix := New([]market.SearchHit{{TSCode: "000002.SZ", Name: "万科Ａ"}, {TSCode: "600221.SH", Name: "*ST海航"}, {TSCode: "900000.SH", Name: "*-·"}})
	for q, want := range map[string]string{"ＷＫＡ": "000002.SZ", "万科a": "000002.SZ", "sthh": "600221.SH", "*st": "600221.SH", "hh": "600221.SH"} {
		if got := codes(ix.Search(q, 0)); !slices.Equal(got, []string{want}) {
			t.Errorf("Search(%q) = %v, want [%s]", q, got, want)
		}
	}
}

// TestRanking builds one hit per rank for each query and checks the order:
// exact code, code prefix, name, initials prefix, full prefix, initials
// substring, full substring at a syllable; ties by code.
func TestRanking(t *testing.T) {
	ix := New([]market.SearchHit{
		{TSCode: "600000.SH", Name: "浦发银行"},
		{TSCode: "600001.SH", Name: "邯郸钢铁"},
		{TSCode: "600009.SH", Name: "上海机场"},
		{TSCode: "000600.SZ", Name: "建投能源"},
		{TSCode: "000601.SZ", Name: "含600的名字"},
		{TSCode: "300001.SZ", Name: "ZHONG科技"},  // name contains zhong
		{TSCode: "300002.SZ", Name: "张华欧宁国"},    // initials zhong
		{TSCode: "300003.SZ", Name: "中国平安"},     // full zhongguo…
		{TSCode: "300004.SZ", Name: "大张华欧宁国"},   // initials dzhong
		{TSCode: "300005.SZ", Name: "华中数控"},     // full huazhong…
		{TSCode: "300006.SZ", Name: "中原传媒"},     // full zhongyuan…: ties by code with 300003
		{TSCode: "300007.SZ", Name: "贵州茅台"},     // maotai inside, aotai mid-syllable
		{TSCode: "", Name: "无代码"},               // skipped
		{TSCode: "300003.SZ", Name: "重复的代码"},    // duplicate: the first is kept
		{TSCode: "510300.SH", Name: "沪深300ETF"}, // hs300 by initials
	})
	if ix.Len() != 13 {
		t.Errorf("Len = %d, want 13 (no empty or duplicate code)", ix.Len())
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"600000", []string{"600000.SH"}},
		{"600", []string{"600000.SH", "600001.SH", "600009.SH", "000601.SZ"}},
		{"60000", []string{"600000.SH", "600001.SH", "600009.SH"}},
		{"zhong", []string{"300001.SZ", "300002.SZ", "300003.SZ", "300006.SZ", "300004.SZ", "300005.SZ"}},
		{"maotai", []string{"300007.SZ"}},
		{"aotai", nil},
		{"hs300", []string{"510300.SH"}},
		{"300", []string{"300001.SZ", "300002.SZ", "300003.SZ", "300004.SZ", "300005.SZ", "300006.SZ", "300007.SZ", "510300.SH"}},
		{"", nil},
		{"   ", nil},
		{"不存在", nil},
	} {
		got := codes(ix.Search(tc.q, 0))
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Search(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := codes(ix.Search("zhong", 2)); !slices.Equal(got, []string{"300001.SZ", "300002.SZ"}) {
		t.Errorf("Search(zhong, 2) = %v", got)
	}
	hits := ix.Search("300003", 1)
	if len(hits) != 1 || hits[0].Name != "中国平安" {
		t.Errorf("duplicate code: %+v, want the first row kept", hits)
	}
}

func TestZeroIndexAndReset(t *testing.T) {
	var ix Index
	if ix.Len() != 0 || len(ix.Search("gzmt", 10)) != 0 || ix.Search("gzmt", 10) == nil {
		t.Errorf("zero Index: want an empty, non-nil answer")
	}
	ix.Reset([]market.SearchHit{{TSCode: "600519.SH", Name: "贵州茅台", Industry: "白酒", Kind: market.KindStock}})
	hits := ix.Search("gzmt", 10)
	if len(hits) != 1 || hits[0] != (market.SearchHit{TSCode: "600519.SH", Name: "贵州茅台", Industry: "白酒", Kind: market.KindStock}) {
		t.Errorf("after Reset: %+v", hits)
	}
	ix.Reset(nil)
	if ix.Len() != 0 {
		t.Errorf("Reset(nil) left %d entries", ix.Len())
	}
}

// TestConcurrentSearchAndReset runs searches while the index is rebuilt;
// under -race it proves the swap is safe, and every answer is whole: one
// list or the other.
func TestConcurrentSearchAndReset(t *testing.T) {
	a := []market.SearchHit{{TSCode: "600519.SH", Name: "贵州茅台"}, {TSCode: "600520.SH", Name: "贵州某某"}}
	b := []market.SearchHit{{TSCode: "000858.SZ", Name: "五粮液"}}
	ix := New(a)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if w == 0 {
					if i%2 == 0 {
						ix.Reset(b)
					} else {
						ix.Reset(a)
					}
					continue
				}
				n := len(ix.Search("gz", 0))
				if n != 0 && n != 2 {
					panic(fmt.Sprintf("Search(gz) saw %d hits: a half-built index", n))
				}
			}
		}()
	}
	wg.Wait()
}

// etfNames makes fund and index names the shape of etf_basic's (manager +
// index + ETF) to bring the snapshot's 5,470 stocks to about 7,000 rows.
func etfNames(n int) []market.SearchHit {
	mgrs := []string{"华夏", "易方达", "南方", "嘉实", "广发", "华泰柏瑞", "国泰", "富国", "招商", "汇添富", "博时", "鹏华", "银华", "景顺长城", "平安", "工银瑞信"}
	idx := []string{"沪深300", "中证500", "上证50", "创业板", "科创50", "中证1000", "证券", "银行", "医药", "半导体", "新能源车", "军工", "红利", "恒生科技", "纳指", "黄金", "传媒", "光伏", "煤炭", "有色金属", "消费", "酒", "重庆", "长三角"}
	out := make([]market.SearchHit, 0, n)
	for i := 0; len(out) < n; i++ {
		name := mgrs[i%len(mgrs)] + idx[(i/len(mgrs))%len(idx)] + "ETF"
		if i >= len(mgrs)*len(idx) {
			name += fmt.Sprint(i / (len(mgrs) * len(idx)))
		}
		out = append(out, market.SearchHit{TSCode: fmt.Sprintf("5%05d.SH", i), Name: name, Kind: market.KindETF})
	}
	return out
}

func benchRows(b *testing.B) []market.SearchHit {
	rows := snapshotRows(b)
	return append(rows, etfNames(7000-len(rows))...)
}

// BenchmarkBuild is a whole rebuild for 7,000 names.
func BenchmarkBuild(b *testing.B) {
	rows := benchRows(b)
	b.ReportAllocs()
	for b.Loop() {
		New(rows)
	}
}

func BenchmarkSearch(b *testing.B) {
	ix := New(benchRows(b))
	for _, q := range []string{"gzmt", "guizhoumaotai", "茅台", "600", "zh"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Search(q, 20)
			}
		})
	}
}

// TestDictionaryReadings: every reading the dictionary can give, for all
// of its characters, is a non-empty run of ASCII letters, so a name can
// never spell a syllable the initials step cannot take the first byte of.
func TestDictionaryReadings(t *testing.T) {
	n := 0
	for r := range gopinyin.PinyinDict {
		for _, s := range charReadings(rune(r)) {
			n++
			if !letters.MatchString(s) {
				t.Errorf("%c: reading %q", rune(r), s)
			}
		}
	}
	if n < 40000 {
		t.Errorf("only %d readings checked", n)
	}
}
