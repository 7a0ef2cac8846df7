package pinyin

// Readings of the polyphonic characters of security names. The dictionary
// (github.com/mozillazg/go-pinyin, generated from the Unicode pinyin data)
// lists a character's readings most common first, which is right for most
// characters but not in names: 长 is mostly cháng (长江, 长城) there, 都 dū
// (成都), and 行 is háng in banks (银行) but xíng elsewhere (永安行). Two
// tables fix that:
//
//   - phrases give the reading in context (重庆 chóng, 重工 zhòng): inside
//     a phrase every character has exactly one reading;
//   - chars gives, for a character outside any phrase, the readings a name
//     can have, the likelier first. All of them are indexed, so a user
//     typing either finds the name; the first one is the primary spelling
//     and ranks first.
//
// Tones are dropped and ü is written v (lv), the input-method convention.

// phrases maps a phrase to the toneless syllables of its characters.
var phrases = map[string]string{
	// 行: háng for banks and trades, xíng for going.
	"银行": "yin hang", "商行": "shang hang", "港行": "gang hang", "行业": "hang ye",
	"酒行": "jiu hang", "联行": "lian hang", "车行": "che hang", "投行": "tou hang",
	"行情": "hang qing", "发行": "fa xing", "旅行": "lv xing", "出行": "chu xing",
	"智行": "zhi xing", "子行": "zi xing", "行动": "xing dong", "运行": "yun xing",
	"行者": "xing zhe", "银行业": "yin hang ye", "通行": "tong xing", "并行": "bing xing",
	// 重: chóng for Chongqing, zhòng for heavy industry.
	"重庆": "chong qing", "重药": "chong yao", "重工": "zhong gong", "重机": "zhong ji",
	"重科": "zhong ke", "重汽": "zhong qi", "重装": "zhong zhuang", "重型": "zhong xing",
	"重器": "zhong qi", "重大": "zhong da", "重卡": "zhong ka", "起重": "qi zhong",
	// 长: cháng in place names, zhǎng for growing and heads.
	"长江": "chang jiang", "长城": "chang cheng", "长安": "chang an", "长春": "chang chun",
	"长沙": "chang sha", "长虹": "chang hong", "长电": "chang dian", "长白": "chang bai",
	"长征": "chang zheng", "成长": "cheng zhang", "增长": "zeng zhang", "生长": "sheng zhang",
	"董事长": "dong shi zhang", "市长": "shi zhang",
	// 厦: xià in Xiamen, shà for buildings.
	"厦门": "xia men", "华厦": "hua xia", "大厦": "da sha", "亚厦": "ya sha", "广厦": "guang sha",
	// 藏: zàng for Tibet, cáng for storing.
	"西藏": "xi zang", "藏药": "zang yao", "宝藏": "bao zang", "收藏": "shou cang",
	"冷藏": "leng cang", "储藏": "chu cang",
	// 乐: lè, but yuè for music and 乐清.
	"音乐": "yin yue", "乐器": "yue qi", "乐清": "yue qing", "快乐": "kuai le", "娱乐": "yu le",
	// 都: dū for cities.
	"成都": "cheng du", "首都": "shou du", "都市": "du shi", "南都": "nan du", "新都": "xin du",
	// 调: tiáo for adjusting (空调), diào for surveys.
	"空调": "kong tiao", "调味": "tiao wei", "调研": "diao yan", "调度": "diao du",
	"调查": "diao cha",
	// 朝: cháo for Chaoyang.
	"朝阳": "chao yang", "朝晖": "zhao hui",
	// 传: chuán for media, zhuàn for biographies.
	"传媒": "chuan mei", "传感": "chuan gan", "传奇": "chuan qi", "传动": "chuan dong",
	"自传": "zi zhuan",
	// 会: kuài in 会稽 and accounting.
	"会稽": "kuai ji", "会计": "kuai ji",
	// Others whose dictionary reading is wrong in these words.
	"美的": "mei di", "目的": "mu di", "人参": "ren shen", "参林": "shen lin",
	"模具": "mu ju", "模样": "mu yang", "种业": "zhong ye", "种子": "zhong zi",
	"种植": "zhong zhi", "单县": "shan xian", "省广": "sheng guang", "佛山": "fo shan",
	"仿佛": "fang fu", "宿迁": "su qian", "蔚来": "wei lai", "蔚蓝": "wei lan",
	"东莞": "dong guan", "蚌埠": "beng bu", "番禺": "pan yu", "六安": "lu an",
	"大夫": "dai fu", "学校": "xue xiao", "三角": "san jiao", "视觉": "shi jue",
	"解放": "jie fang", "黄埔": "huang pu", "大埔": "da bu", "泊尔": "bo er",
	"石家庄": "shi jia zhuang", "露露": "lu lu", "曾经": "ceng jing",
}

// chars gives the readings of a polyphonic character outside any phrase,
// the likelier in names first; a character not listed takes the
// dictionary's first reading only (its other dictionary readings are rare
// and would only add false hits, 份 bīn for fèn say).
var chars = map[rune][]string{
	'长': {"chang", "zhang"},
	'行': {"xing", "hang"},
	'重': {"zhong", "chong"},
	'厦': {"xia", "sha"},
	'藏': {"zang", "cang"},
	'乐': {"le", "yue"},
	'都': {"du", "dou"},
	'调': {"tiao", "diao"},
	'朝': {"chao", "zhao"},
	'单': {"dan", "shan"},
	'柏': {"bai", "bo"},
	'参': {"can", "shen"},
	'佛': {"fo", "fu"},
	'勒': {"le", "lei"},
	'泊': {"bo", "po"},
	'的': {"de", "di"},
	'角': {"jiao", "jue"},
	'觉': {"jue", "jiao"},
	'模': {"mo", "mu"},
	'曾': {"zeng", "ceng"},
	'蔚': {"wei", "yu"},
	'查': {"cha", "zha"},
	'薄': {"bo", "bao"},
	'埔': {"pu", "bu"},
	'番': {"fan", "pan"},
	'堡': {"bao", "pu"},
	// Single readings where the dictionary's first one is not the modern
	// standard one: 晟 shèng (荣晟, 国晟), 鹄 hú (瑞鹄).
	'晟': {"sheng"},
	'鹄': {"hu"},
}
