package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

// BenchmarkServeRSS measures the memory of the running signal service (issue 10: RSS under
// 40 MB): the real binary (go build, CGO_ENABLED=0) runs ITB's 1min sample config with
// models trained on 3 real days of BTCUSDT (2024-01-01..03), sending its messages to a fake
// Telegram, and VmRSS / VmHWM are read from /proc/PID/status after every tick.
//
//   - live: `signal serve` against a fake Binance serving the real klines of 2024-01-04
//     moved onto the real clock (the current minute is 08:00 of that day), for
//     TRADECTL_RSS_LIVE_TICKS ticks (default 3; a tick per real minute).
//   - live-600x: the same, but the test binary on a clock 600 times faster (mappedClock,
//     as TestSignalServeLiveKill9Resume), TRADECTL_RSS_FAST_TICKS ticks (default 300, across
//     the daily diagram at 00:00); the test binary's code pages are a little larger.
//   - replay: `signal serve --replay` of TRADECTL_RSS_REPLAY_TICKS bars of 2024-01-04
//     (default 300) at --speed TRADECTL_RSS_SPEED (default 60: a tick per second).
//
// One op is one whole run; run it with -benchtime 1x (scripts/serve-rss.sh does).
func BenchmarkServeRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	bin := buildTradectl(b)
	cfg, bars := rssWorkspace(b, bin)
	tg := faketelegram.New(faketelegram.Config{Token: killToken, ChatID: killChat})
	defer tg.Close()
	const day3 = 3 * 1440 // the first bar of 2024-01-04
	b.Run("live", func(b *testing.B) {
		ticks := envInt(b, "TRADECTL_RSS_LIVE_TICKS", 3)
		for b.Loop() {
			// The data moved onto the real clock: the current real minute is 08:00 of day 4,
			// so the cold start's 408 bars are real bars of days 3 and 4.
			offset := time.Now().Truncate(time.Minute).Sub(time.UnixMilli(bars[day3+8*60].OpenTime))
			srv, err := fakebinance.New(fakebinance.Config{
				Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: shiftBars(b, bars, offset)}},
			})
			if err != nil {
				b.Fatal(err)
			}
			c := freshConfig(b, cfg, "BTCUSDT", "telegram_api_url", strconv.Quote(tg.URL()), "binance_base_url", strconv.Quote(srv.URL()))
			cmd := exec.Command(bin, "signal", "serve", "-c", c, "--ops-address", "127.0.0.1:0")
			measureRSS(b, cmd, ticks, time.Duration(ticks+2)*time.Minute)
			srv.Close()
		}
	})
	b.Run("live-600x", func(b *testing.B) {
		ticks := envInt(b, "TRADECTL_RSS_FAST_TICKS", 300)
		for b.Loop() {
			// The test binary on a clock 600 times faster than real time (mappedClock), from
			// 21:00 of day 4 on: 300 ticks take 30 s and include the daily diagram at 00:00.
			clk := mappedClock{r0: time.Now(), t0: time.UnixMilli(bars[day3+21*60].OpenTime + 30_000), speed: liveSpeed}
			srv, err := fakebinance.New(fakebinance.Config{
				Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: bars}},
				Clock:  clk, SpotWeightLimit: -1,
			})
			if err != nil {
				b.Fatal(err)
			}
			c := freshConfig(b, cfg, "BTCUSDT", "telegram_api_url", strconv.Quote(tg.URL()), "binance_base_url", strconv.Quote(srv.URL()))
			cmd := binary("signal", "serve", "-c", c, "--ops-address", "off")
			cmd.Env = append(cmd.Env, envClock+"="+clk.String())
			measureRSS(b, cmd, ticks, time.Duration(ticks)*time.Minute/liveSpeed+2*time.Minute)
			srv.Close()
		}
	})
	b.Run("replay", func(b *testing.B) {
		ticks := envInt(b, "TRADECTL_RSS_REPLAY_TICKS", 300)
		speed := os.Getenv("TRADECTL_RSS_SPEED")
		if speed == "" {
			speed = "60"
		}
		f, err := strconv.ParseFloat(speed, 64)
		if err != nil || f < 0 {
			b.Fatalf("TRADECTL_RSS_SPEED=%q: want a speed factor", speed)
		}
		limit := 2 * time.Minute
		if f > 0 {
			limit += time.Duration(float64(ticks) * float64(time.Minute) / f)
		}
		file := filepath.Join(b.TempDir(), "klines.csv")
		if err := download.WriteFile(file, bars[day3-288-120:day3+ticks]); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			c := freshConfig(b, cfg, "BTCUSDT", "telegram_api_url", strconv.Quote(tg.URL()))
			measureRSS(b, exec.Command(bin, "signal", "serve", "-c", c, "--replay", file, "--speed", speed), ticks, limit)
		}
	})
}

// measureRSS runs cmd (a signal serve), reads /proc/PID/status after each of the first
// ticks tick lines, stops it with SIGTERM and reports the peak and last VmRSS, VmHWM and the
// anonymous and file-backed parts of the last VmRSS.
func measureRSS(b *testing.B, cmd *exec.Cmd, ticks int, limit time.Duration) {
	b.Helper()
	cmd.Env = append(cmd.Environ(), "TRADECTL_TELEGRAM_BOT_TOKEN="+killToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	watchdog := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var last procStatus
	peakRSS, n := 0, 0
	var log strings.Builder
	for n < ticks && sc.Scan() {
		line := sc.Text()
		if len(line) < 2000 {
			log.WriteString(line + "\n")
		}
		if !strings.Contains(line, "msg=tick ") {
			continue
		}
		n++
		if last, err = readStatus(cmd.Process.Pid); err != nil {
			b.Fatal(err)
		}
		peakRSS = max(peakRSS, last["VmRSS"])
		if n == 1 || n == ticks || n%50 == 0 {
			b.Logf("tick %d: VmRSS %.1f MB (anon %.1f, file %.1f), VmHWM %.1f MB", n,
				mb(last["VmRSS"]), mb(last["RssAnon"]), mb(last["RssFile"]), mb(last["VmHWM"]))
		}
	}
	if n < ticks {
		b.Fatalf("%d ticks of %d before the service ended (or %v passed)\n%s", n, ticks, limit, log.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("after SIGTERM: %v\n%s", err, log.String())
	}
	b.ReportMetric(mb(last["VmHWM"]), "MB-VmHWM")
	b.ReportMetric(mb(peakRSS), "MB-VmRSS-peak")
	b.ReportMetric(mb(last["RssAnon"]), "MB-RssAnon")
	b.ReportMetric(mb(last["RssFile"]), "MB-RssFile")
	b.ReportMetric(float64(n), "ticks")
}

// procStatus holds the kB fields of /proc/PID/status.
type procStatus map[string]int

func readStatus(pid int) (procStatus, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := procStatus{}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if v, found := strings.CutSuffix(strings.TrimSpace(v), " kB"); ok && found {
			out[k], _ = strconv.Atoi(v)
		}
	}
	return out, nil
}

func mb(kb int) float64 { return float64(kb) / 1024 }

// shiftBars moves bars by d (open and close times).
func shiftBars(b *testing.B, bars []exchange.Kline, d time.Duration) []exchange.Kline {
	out := make([]exchange.Kline, len(bars))
	for i, k := range bars {
		closeMs, err := strconv.ParseInt(k.Fields[5], 10, 64)
		if err != nil {
			b.Fatalf("bar %d: close time %q", i, k.Fields[5])
		}
		k.OpenTime += d.Milliseconds()
		k.Fields[5] = strconv.FormatInt(closeMs+d.Milliseconds(), 10)
		out[i] = k
	}
	return out
}

// buildTradectl builds the binary as it ships (CGO_ENABLED=0).
func buildTradectl(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "tradectl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// rssWorkspace writes ITB's 1min sample config into a data folder, imports the first 3 days
// of 2024 of the shared BTCUSDT data and trains the config's models on them with the
// binary. It returns the config and the first 5 days' bars.
func rssWorkspace(b *testing.B, bin string) (string, []exchange.Kline) {
	b.Helper()
	raw := sharedtest.ReadKlines(b, "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", 5*1440)
	bars := make([]exchange.Kline, len(raw))
	for i, k := range raw {
		bars[i] = exchange.Kline{OpenTime: k.OpenTime, Fields: k.Fields}
	}
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "BTCUSDT"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := download.WriteFile(filepath.Join(dir, "BTCUSDT", "klines.csv"), bars[:3*1440]); err != nil {
		b.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "configs", "config-sample-1min.jsonc"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(cfg, []byte(setKey(string(text), "data_folder", strconv.Quote(dir))), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, step := range []string{"merge", "features", "labels", "train"} {
		if out, err := exec.Command(bin, step, "-c", cfg).CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", step, err, out)
		}
	}
	return cfg, bars
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
