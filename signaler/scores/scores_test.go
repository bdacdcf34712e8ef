package scores_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/signaler/notify"
	"github.com/tradectl/tradectl/signaler/scores"
)

// sample1min is the output_sets entry of ITB's configs/config-sample-1min.jsonc (§1.4), with
// the bands in the order the sample lists them.
const sample1min = `{"score_notification": true, "score_column_names": ["trade_score"],
 "notify_band_up": true, "notify_band_dn": true,
 "positive_bands": [
   {"edge": 0.015, "frequency": 2, "sign": "〉〉〉📈", "bold": true, "text": "BUY ZONE"},
   {"edge": 0.01, "frequency": 5, "sign": "〉〉", "bold": false, "text": "strong"},
   {"edge": 0.005, "frequency": 10, "sign": "〉", "text": "weak"}],
 "negative_bands": [
   {"edge": -0.005, "frequency": 10, "sign": "〈", "text": "weak"},
   {"edge": -0.01, "frequency": 5, "sign": "〈〈", "bold": false, "text": "strong"},
   {"edge": -0.015, "frequency": 2, "sign": "〈〈〈📉", "bold": true, "text": "SELL ZONE"}]}`

// sample1h has the 1h sample's edges, all with frequency null, listed in scrambled order.
const sample1h = `{"score_column_names": "trade_score", "notify_band_up": true, "notify_band_dn": false,
 "positive_bands": [{"edge": 0.04, "frequency": null, "sign": "〉〉", "text": "strong"},
                    {"edge": 0.08, "frequency": null, "sign": "〉〉〉📈", "bold": true, "text": "BUY ZONE"},
                    {"edge": 0.02, "frequency": null, "sign": "〉", "text": "weak"}],
 "negative_bands": [{"edge": -0.04, "sign": "〈〈", "text": "strong"},
                    {"edge": -0.02, "sign": "〈", "text": "weak"},
                    {"edge": -0.08, "sign": "〈〈〈📉", "bold": true, "text": "SELL ZONE"}]}`

func parse(t *testing.T, src string) *scores.Config {
	t.Helper()
	c, err := scores.ParseConfig([]byte(src), "output_sets[0].config")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFindBand(t *testing.T) {
	c := parse(t, sample1min)
	for _, tc := range []struct {
		score float64
		no    int
		text  string
	}{
		// The reference's examples (§7.3).
		{0.02, 3, "BUY ZONE"}, {0.012, 2, "strong"}, {0.006, 1, "weak"}, {0.001, 0, ""}, {-0.007, -1, "weak"}, {-0.02, -3, "SELL ZONE"},
		// Edges: >= on the positive side, strict < on the negative side.
		{0.015, 3, "BUY ZONE"}, {0.01, 2, "strong"}, {0.005, 1, "weak"}, {0.0049, 0, ""},
		{-0.005, 0, ""}, {-0.0051, -1, "weak"}, {-0.01, -1, "weak"}, {-0.0101, -2, "strong"}, {-0.015, -2, "strong"}, {-0.016, -3, "SELL ZONE"},
		{0, 0, ""}, {1, 3, "BUY ZONE"}, {-1, -3, "SELL ZONE"},
	} {
		no, band := c.FindBand(tc.score)
		text := ""
		if band != nil {
			text = band.Text
		}
		if no != tc.no || text != tc.text {
			t.Errorf("FindBand(%v) = %d %q, want %d %q", tc.score, no, text, tc.no, tc.text)
		}
	}
	// The 1h bands, listed out of order, are sorted before the lookup.
	h := parse(t, sample1h)
	for _, tc := range []struct {
		score float64
		no    int
	}{{0.09, 3}, {0.05, 2}, {0.03, 1}, {0.01, 0}, {-0.03, -1}, {-0.05, -2}, {-0.09, -3}} {
		if no, _ := h.FindBand(tc.score); no != tc.no {
			t.Errorf("1h FindBand(%v) = %d, want %d", tc.score, no, tc.no)
		}
	}
	// No bands at all: everything is band 0.
	empty := parse(t, `{"score_column_names": ["s"]}`)
	if no, b := empty.FindBand(0.5); no != 0 || b != nil {
		t.Errorf("no bands: %d %v", no, b)
	}
}

var open0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC) // closes 12:01

func bar(symbol string, close float64, open time.Time, s ...float64) scores.Bar {
	return scores.Bar{Symbol: symbol, Freq: "1min", Open: open, Interval: time.Minute, Close: close, Scores: s}
}

func TestMessageText(t *testing.T) {
	c := parse(t, sample1min)
	for _, tc := range []struct {
		name    string
		bar     scores.Bar
		prev    int
		hasPrev bool
		want    string // ITB's text (legacy markdown: bold as *…*)
	}{
		{"reference example", bar("BTCUSDT", 74896.7, open0, 0.02), 0, false, "*〉〉〉📈 ₿ 74,896 Indicator: +0.02 ↑   BUY ZONE 1min*"},
		{"down, not bold", bar("ETHUSDT", 3120.99, open0, 0.012), 3, true, "〉〉 Ξ 3,120 Indicator: +0.01 ↓   strong 1min"},
		{"negative up", bar("BTCUSDT", 61234.5, open0, -0.02), -1, true, "*〈〈〈📉 ₿ 61,234 Indicator: -0.02 ↑   SELL ZONE 1min*"},
		{"no band, first call", bar("SOLUSDT", 142.3, open0, 0.001), 0, false, "SOLUSDT 142 Indicator: +0.00 ↑   1min"},
		{"no band, down", bar("BTCUSDT", 1234567.9, open0, -0.001), 2, true, "₿ 1,234,567 Indicator: -0.00 ↓   1min"},
		{"secondary score", bar("BTCUSDT", 999.9, open0, 0.006, -0.0123), 0, true, "〉 ₿ 999 Indicator: +0.01 ↑  -0.01 weak 1min"},
		// On time (close 12:10, frequency 10) without a band change: "+0.01" + " " + "" + " " + " " + "" + " ".
		{"frequency, no arrow", bar("BTCUSDT", 1000, open0.Add(9*time.Minute), 0.006), 1, true, "〉 ₿ 1,000 Indicator: +0.01    weak 1min"},
		// 0.015 is 0.01499999… in binary: printed +0.01 by Python and Go alike, yet in band 3.
		{"binary rounding", bar("BTCUSDT", 50000, open0, 0.015), 2, true, "*〉〉〉📈 ₿ 50,000 Indicator: +0.01 ↑   BUY ZONE 1min*"},
	} {
		d, err := c.Decide(tc.bar, tc.prev, tc.hasPrev)
		if err != nil || !d.Send {
			t.Errorf("%s: send %v, %v", tc.name, d.Send, err)
			continue
		}
		if got := d.Message.Legacy(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		// What the user sees through HTML is the same text without the bold marks.
		if got, want := d.Message.Text(), strings.Trim(tc.want, "*"); got != want {
			t.Errorf("%s: visible %q, want %q", tc.name, got, want)
		}
		if html := d.Message.Format(notify.HTML); strings.HasPrefix(tc.want, "*") != strings.HasPrefix(html, "<b>") {
			t.Errorf("%s: HTML %q does not carry the bold", tc.name, html)
		}
	}
}

// TestWhenToSend runs a sequence of bars through Decide, keeping the band as the service
// does, and checks each decision against the §7.3 rules worked out by hand.
func TestWhenToSend(t *testing.T) {
	c := parse(t, sample1min)
	type step struct {
		minute int // bar open minute after 12:00 (close = minute+1)
		score  float64
		band   int
		send   bool
		arrow  string
	}
	steps := []step{
		{0, 0.001, 0, true, "↑"},    // first call: band_up and band_dn both true
		{1, 0.002, 0, false, ""},    // same band; band 0 has no frequency
		{2, 0.006, 1, true, "↑"},    // 0 → 1
		{3, 0.007, 1, false, ""},    // same band, close 12:04, frequency 10
		{9, 0.007, 1, true, ""},     // close 12:10: on time
		{10, 0.02, 3, true, "↑"},    // 1 → 3
		{11, 0.03, 3, true, ""},     // close 12:12, frequency 2: on time
		{12, 0.03, 3, false, ""},    // close 12:13
		{13, -0.02, -3, true, ""},   // 3 → −3: |band| unchanged, not up or down; close 12:14 on time (frequency 2)
		{14, -0.02, -3, false, ""},  // close 12:15
		{15, -0.012, -2, true, "↓"}, // |−2| < |−3|
		{16, 0.012, 2, false, ""},   // −2 → 2: same strength; close 12:17, frequency 5: no
		{18, 0.0, 0, true, "↓"},     // 2 → 0
		{19, math.NaN(), 0, false, ""},
		{20, 0.0, 0, false, ""}, // the NaN bar kept band 0 as previous: no change
	}
	prev, hasPrev := 0, false
	for _, s := range steps {
		d, err := c.Decide(bar("BTCUSDT", 50000, open0.Add(time.Duration(s.minute)*time.Minute), s.score), prev, hasPrev)
		if math.IsNaN(s.score) {
			if !errors.Is(err, scores.ErrNoScore) || d.Send {
				t.Errorf("minute %d: NaN score gave %+v, %v", s.minute, d, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		arrow := ""
		if d.Send {
			arrow = strings.TrimSpace(strings.SplitN(strings.SplitN(d.Message.Text(), "Indicator: ", 2)[1], " ", 3)[1])
		}
		if d.BandNo != s.band || d.Send != s.send || arrow != s.arrow {
			t.Errorf("minute %d score %v: band %d send %v arrow %q; want %d %v %q (%q)", s.minute, s.score, d.BandNo, d.Send, arrow, s.band, s.send, s.arrow, d.Message.Text())
		}
		if want := open0.Add(time.Duration(s.minute+1) * time.Minute); !d.CloseTime.Equal(want) {
			t.Errorf("minute %d: close time %v, want %v", s.minute, d.CloseTime, want)
		}
		prev, hasPrev = d.BandNo, true
	}
}

func TestNotifyFlags(t *testing.T) {
	// notify_band_dn false (1h sample): a drop is not sent unless on time; band null frequency is never on time.
	c := parse(t, sample1h)
	h := scores.Bar{Symbol: "BTCUSDT", Freq: "1h", Open: open0, Interval: time.Hour, Close: 50000, Scores: []float64{0.05}}
	if d, _ := c.Decide(h, 3, true); d.Send || !d.Down {
		t.Errorf("drop with notify_band_dn false: send %v down %v", d.Send, d.Down)
	}
	if d, _ := c.Decide(h, 1, true); !d.Send || !d.Up {
		t.Errorf("rise: send %v", d.Send)
	}
	if d, _ := c.Decide(h, 2, true); d.Send {
		t.Error("same band, frequency null: sent")
	}
	// Neither flag: only frequency sends (the first call is not special then).
	none := parse(t, `{"score_column_names": ["s"], "positive_bands": [{"edge": 0.01, "frequency": 3, "text": "x"}]}`)
	for m, want := range map[int]bool{0: false, 1: false, 2: true, 5: true, 6: false} {
		if d, _ := none.Decide(bar("X", 1, open0.Add(time.Duration(m)*time.Minute), 0.5), 0, false); d.Send != want {
			t.Errorf("close minute %d: send %v, want %v", m+1, d.Send, want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ src, key string }{
		{``, "output_sets[0].config"},
		{`{"score_column_names": []}`, "output_sets[0].config.score_column_names"},
		{`{"positive_bands": [{"edge": 1}]}`, "output_sets[0].config.score_column_names"},
		{`{"score_column_names": ["s"], "positive_bands": [{"text": "x"}]}`, "output_sets[0].config.positive_bands[0].edge"},
		{`{"score_column_names": ["s"], "negative_bands": [{"edge": -1}, {"edge": -2, "frequency": 2.5}]}`, "output_sets[0].config.negative_bands[1].frequency"},
		{`{"score_column_names": ["s"], "negative_bands": [{"edge": -1, "frequency": -5}]}`, "output_sets[0].config.negative_bands[0].frequency"},
		{`{"score_column_names": 5}`, "output_sets[0].config.score_column_names"},
	} {
		_, err := scores.ParseConfig([]byte(tc.src), "output_sets[0].config")
		if !errors.Is(err, scores.ErrConfig) || !strings.Contains(err.Error(), `"`+tc.key+`"`) {
			t.Errorf("%s: got %v, want ErrConfig naming %q", tc.src, err, tc.key)
		}
	}
}

func TestDecideRejectsBadBars(t *testing.T) {
	c := parse(t, sample1min)
	for _, b := range []scores.Bar{
		bar("BTCUSDT", 1, open0),
		bar("BTCUSDT", math.NaN(), open0, 0.02),
		bar("BTCUSDT", 1, open0, math.Inf(1)),
		bar("BTCUSDT", 1, open0, 0.02, math.NaN()),
	} {
		if d, err := c.Decide(b, 0, false); !errors.Is(err, scores.ErrNoScore) || d.Send {
			t.Errorf("%+v: %v send %v", b, err, d.Send)
		}
	}
}

func TestThousandsAndKeys(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 74896: "74,896", 1234567: "1,234,567", -1234: "-1,234", -999: "-999", -100000: "-100,000"} {
		if got := scores.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if k := scores.DedupKey(scores.OutputName(2), open0.Add(time.Minute)); k != "score_notification_model#2@2024-03-01T12:01:00Z" {
		t.Errorf("key %q", k)
	}
}
