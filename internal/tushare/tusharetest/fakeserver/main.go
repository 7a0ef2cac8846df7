// Command fakeserver serves the snapshot through the fake Tushare Pro API,
// for trying `stockd sync` by hand or from scripts without an account:
//
//	go run ./internal/tushare/tusharetest/fakeserver -token demo &
//	TUSHARE_URL=http://127.0.0.1:7777 TUSHARE_TOKEN=demo stockd sync --start 20251201
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7777", "listen address")
	dir := flag.String("dir", testenv.SnapshotDir(), "snapshot folder")
	token := flag.String("token", "demo", "token the server accepts")
	etfs := flag.Int("etfs", 30, "generated ETFs")
	days := flag.Int("etf-days", 20, "open days with ETF bars")
	rateEvery := flag.Int("rate-limit-every", 0, "answer every Nth call of each api with a rate limit")
	flag.Parse()

	srv, err := tusharetest.Start(tusharetest.Options{Dir: *dir, Token: *token, ETFs: *etfs, ETFDays: *days})
	if err != nil {
		log.Fatal(err)
	}
	if *rateEvery > 0 {
		for _, api := range []string{"stock_basic", "etf_basic", "fund_basic", "trade_cal", "daily", "daily_basic", "adj_factor", "fund_daily",
			"namechange", "stk_limit", "index_basic", "index_daily"} {
			srv.SetFaults(api, tusharetest.Faults{RateLimitEvery: *rateEvery})
		}
	}
	// Put the fake behind a fixed address (httptest picks a random port).
	proxy := &http.Server{Addr: *addr, Handler: srv.Config.Handler}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		proxy.Close()
	}()
	fmt.Fprintf(os.Stderr, "fake Tushare Pro on http://%s (token %q)\n", *addr, *token)
	if err := proxy.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	srv.Close()
}
