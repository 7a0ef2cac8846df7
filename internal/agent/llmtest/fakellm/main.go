// Command fakellm serves the scripted OpenAI-compatible model of package
// llmtest on a fixed address, for the browser tests, the Docker stack's
// checks and trying workflow runs by hand without a provider:
//
//	go run ./internal/agent/llmtest/fakellm -addr 127.0.0.1:7778 &
//	OPENAI_BASE_URL=http://127.0.0.1:7778/v1 OPENAI_MODEL=fake-analyst stockd serve
//
// It plays an analyst that knows the tools: the first round calls
// get_stock_basic for the first code in the prompt (else get_market_stats,
// else answers at once); the next round writes a markdown report of what the
// tools returned, streamed in pieces. A request for a JSON answer (workflow
// generation) gets a valid workflow drafted from the description. -hostile
// puts HTML and script into every report, for checking that clients render
// model output safely.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

// logTB is the testing.TB the scripted server reports to: a command has no
// test, so problems are logged.
type logTB struct{ testing.TB }

func (logTB) Helper()                           {}
func (logTB) Cleanup(func())                    {}
func (logTB) Errorf(format string, args ...any) { log.Printf("fakellm: "+format, args...) }
func (logTB) Fatalf(format string, args ...any) { log.Fatalf("fakellm: "+format, args...) }
func (logTB) Logf(format string, args ...any)   { log.Printf(format, args...) }

var codeRE = regexp.MustCompile(`\b\d{6}\.(SH|SZ|BJ)\b`)

// Hostile is what -hostile adds to a report: markup a safe renderer shows
// as text or drops, never runs.
const Hostile = "\n\n<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script>[点我](javascript:window.__pwned=1)"

func main() {
	addr := flag.String("addr", "127.0.0.1:7778", "listen address")
	delay := flag.Duration("delay", 40*time.Millisecond, "pause before each streamed chunk")
	hostile := flag.Bool("hostile", false, "put HTML and script into every report")
	flag.Parse()

	srv := llmtest.NewScript(logTB{}, func(r *llmtest.Request) llmtest.Turn {
		return answer(r, *delay, *hostile)
	})
	defer srv.Close()
	hs := &http.Server{Addr: *addr, Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		hs.Close()
	}()
	fmt.Fprintf(os.Stderr, "fake OpenAI-compatible model on http://%s/v1\n", *addr)
	if err := hs.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func answer(r *llmtest.Request, delay time.Duration, hostile bool) llmtest.Turn {
	usage := llmtest.Usage{Prompt: 40 * len(r.Messages), Completion: 60}
	prompt := ""
	for _, m := range r.Messages {
		if m.Role == "user" {
			prompt = string(m.Content)
		}
	}
	if strings.Contains(string(r.ResponseFormat), "json_object") {
		return llmtest.Turn{Content: []string{draft(prompt)}, Usage: usage}
	}
	results := r.ToolResults()
	tools := r.ToolNames()
	if len(results) == 0 && len(tools) > 0 && !strings.Contains(string(r.ToolChoice), "none") {
		if code := codeRE.FindString(prompt); code != "" && slices.Contains(tools, "get_stock_basic") {
			return llmtest.Turn{Reasoning: []string{"先查询", " " + code + " 的基本信息。"}, Delay: delay,
				Calls: []llmtest.Call{{ID: "call_basic", Name: "get_stock_basic", Args: `{"code":"` + code + `"}`}}, Usage: usage}
		}
		if slices.Contains(tools, "get_market_stats") {
			return llmtest.Turn{Reasoning: []string{"先看市场宽度。"}, Delay: delay,
				Calls: []llmtest.Call{{ID: "call_stats", Name: "get_market_stats", Args: `{}`}}, Usage: usage}
		}
	}
	report := reportOf(results)
	if hostile {
		report += Hostile
	}
	return llmtest.Turn{Content: pieces(report, 12), Delay: delay, Usage: usage}
}

// reportOf writes a short markdown report of the tool results.
func reportOf(results map[string]string) string {
	var b strings.Builder
	b.WriteString("## 分析结论\n\n")
	if len(results) == 0 {
		b.WriteString("没有调用数据工具，以下为一般性说明。\n")
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for k := range results {
			if !yield(k) {
				return
			}
		}
	}) {
		var v map[string]any
		if json.Unmarshal([]byte(results[id]), &v) != nil {
			continue
		}
		switch {
		case v["error"] != nil:
			fmt.Fprintf(&b, "- 工具返回错误：%v\n", v["error"])
		case v["ts_code"] != nil:
			fmt.Fprintf(&b, "- **%v**（%v），行业：%v\n- 最新收盘价：**%v** 元，涨跌幅 %v%%（%v）\n", v["name"], v["ts_code"], v["industry"], v["close"], v["pct_chg"], v["trade_date"])
		case v["up_count"] != nil:
			fmt.Fprintf(&b, "- %v：上涨 %v 家，下跌 %v 家，涨停 %v 家\n", v["trade_date"], v["up_count"], v["down_count"], v["limit_up_count"])
		}
	}
	b.WriteString("\n| 项目 | 说明 |\n| --- | --- |\n| 数据来源 | 本服务的数据工具 |\n| 模型 | fakellm（测试用） |\n\n> 风险提示：以上内容由测试模型生成，不构成投资建议。")
	return b.String()
}

// pieces cuts s into chunks of n runes, as a model streams tokens.
func pieces(s string, n int) []string {
	r := []rune(s)
	var out []string
	for i := 0; i < len(r); i += n {
		out = append(out, string(r[i:min(i+n, len(r))]))
	}
	return out
}

// draft is a valid workflow for a description.
func draft(description string) string {
	name := []rune(strings.TrimSpace(description))
	if len(name) > 20 {
		name = name[:20]
	}
	w := map[string]any{
		"name": "AI：" + string(name), "description": strings.TrimSpace(description), "category": "analysis", "tags": []string{"AI生成"},
		"system_prompt":        "你是一名严谨的A股研究分析师，只依据工具返回的数据作答。",
		"user_prompt_template": "请分析股票 {{stock_code}}：" + strings.TrimSpace(description),
		"variables": []map[string]any{{"name": "stock_code", "label": "股票代码", "type": "stock_code", "required": true,
			"default": "600519.SH", "description": "如 600519.SH"}},
		"selected_tools": []string{"get_stock_basic", "get_stock_daily"},
	}
	b, _ := json.Marshal(w)
	return string(b)
}
