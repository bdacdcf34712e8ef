// Package scores decides ITB's score notifications (itb-behaviour.md §7.3) as pure functions:
// the band a score falls in, whether the change or the time calls for a message, and the
// message text exactly as ITB writes it. The caller keeps the previous band (in the state
// database, so a restart neither repeats nor loses a band change) and sends the message.
package scores

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tradectl/tradectl/signaler/notify"
)

// Generator is the output_sets generator name of score notifications.
const Generator = "score_notification_model"

// ErrConfig is wrapped by configuration errors; the message names the key.
var ErrConfig = errors.New("invalid score notification config")

// ErrNoScore is returned by Decide for a NaN or infinite score or close price (a bar whose
// features were incomplete): no message, and the previous band is kept.
var ErrNoScore = errors.New("no score for this bar")

// Band is one entry of positive_bands or negative_bands.
type Band struct {
	Edge float64
	// Frequency, when not 0, sends a message whenever the bar's close time minute is a
	// multiple of it, even without a band change.
	Frequency int
	Sign      string
	Bold      bool
	Text      string
}

// Config is the config of a score_notification_model output. The config's
// score_notification flag is not read, as in ITB.
type Config struct {
	ScoreColumnNames []string
	NotifyBandUp     bool
	NotifyBandDn     bool
	// PositiveBands are sorted by edge, descending; NegativeBands ascending (ITB's order of
	// lookup). Equal edges keep the config's order.
	PositiveBands, NegativeBands []Band
}

type rawBand struct {
	Edge      *float64 `json:"edge"`
	Frequency *float64 `json:"frequency"`
	Sign      string   `json:"sign"`
	Bold      bool     `json:"bold"`
	Text      string   `json:"text"`
}

type rawConfig struct {
	ScoreColumnNames json.RawMessage `json:"score_column_names"`
	NotifyBandUp     bool            `json:"notify_band_up"`
	NotifyBandDn     bool            `json:"notify_band_dn"`
	PositiveBands    []rawBand       `json:"positive_bands"`
	NegativeBands    []rawBand       `json:"negative_bands"`
}

// ParseConfig reads an output_sets entry's config; key names the entry in messages (e.g.
// `output_sets[0].config`).
func ParseConfig(raw json.RawMessage, key string) (*Config, error) {
	var rc rawConfig
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: key %q: missing", ErrConfig, key)
	}
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", ErrConfig, key, err)
	}
	c := &Config{NotifyBandUp: rc.NotifyBandUp, NotifyBandDn: rc.NotifyBandDn}
	cols, err := stringOrList(rc.ScoreColumnNames)
	if err != nil || len(cols) == 0 || cols[0] == "" {
		return nil, fmt.Errorf("%w: key %q: give at least one score column name", ErrConfig, key+".score_column_names")
	}
	c.ScoreColumnNames = cols
	if c.PositiveBands, err = bands(rc.PositiveBands, key+".positive_bands"); err != nil {
		return nil, err
	}
	if c.NegativeBands, err = bands(rc.NegativeBands, key+".negative_bands"); err != nil {
		return nil, err
	}
	sort.SliceStable(c.PositiveBands, func(i, j int) bool { return c.PositiveBands[i].Edge > c.PositiveBands[j].Edge })
	sort.SliceStable(c.NegativeBands, func(i, j int) bool { return c.NegativeBands[i].Edge < c.NegativeBands[j].Edge })
	return c, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	err := json.Unmarshal(raw, &list)
	return list, err
}

func bands(raw []rawBand, key string) ([]Band, error) {
	out := make([]Band, len(raw))
	for i, b := range raw {
		k := fmt.Sprintf("%s[%d]", key, i)
		if b.Edge == nil || math.IsNaN(*b.Edge) {
			return nil, fmt.Errorf("%w: key %q: missing", ErrConfig, k+".edge")
		}
		out[i] = Band{Edge: *b.Edge, Sign: b.Sign, Bold: b.Bold, Text: b.Text}
		if b.Frequency != nil {
			f := *b.Frequency
			if f < 0 || f != math.Trunc(f) || f > 1e6 {
				return nil, fmt.Errorf("%w: key %q: must be a whole number of minutes or null, got %v", ErrConfig, k+".frequency", f)
			}
			out[i].Frequency = int(f)
		}
	}
	return out, nil
}

// FindBand returns the band of score (ITB's _find_score_band): the first positive band, by
// edge descending, with score >= edge, numbered len(positive)−index (the strongest is the
// highest); else the first negative band, by edge ascending, with score < edge (strict),
// numbered −(len(negative)−index); else band 0 and nil.
func (c *Config) FindBand(score float64) (int, *Band) {
	for i := range c.PositiveBands {
		if score >= c.PositiveBands[i].Edge {
			return len(c.PositiveBands) - i, &c.PositiveBands[i]
		}
	}
	for i := range c.NegativeBands {
		if score < c.NegativeBands[i].Edge {
			return -(len(c.NegativeBands) - i), &c.NegativeBands[i]
		}
	}
	return 0, nil
}

// Bar is what a score notification reads from the last closed bar.
type Bar struct {
	Symbol string
	// Freq is the config's freq as written ("1min"); it ends the message.
	Freq string
	// Open is the bar's open time; Interval its length. The close time is Open+Interval.
	Open     time.Time
	Interval time.Duration
	Close    float64
	// Scores holds the values of ScoreColumnNames: the first is primary, a second is shown too.
	Scores []float64
}

// Decision is the outcome for one bar.
type Decision struct {
	// BandNo is the bar's band; the caller stores it as the previous band for the next bar,
	// whether or not a message is sent.
	BandNo int
	Band   *Band
	// Up and Down are ITB's band_up and band_dn (both true when there was no previous band).
	Up, Down bool
	Send     bool
	// CloseTime is the bar's close time (open + interval), the time the message is about.
	CloseTime time.Time
	// Message is the text to send (set when Send is true).
	Message notify.Rich
}

// Decide applies §7.3 to bar given the previous band (hasPrev false: none yet, as after
// ITB's start).
func (c *Config) Decide(bar Bar, prev int, hasPrev bool) (Decision, error) {
	if len(bar.Scores) == 0 {
		return Decision{}, fmt.Errorf("%w: no score values", ErrNoScore)
	}
	for _, v := range append([]float64{bar.Close}, bar.Scores[:min(2, len(bar.Scores))]...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Decision{}, fmt.Errorf("%w: %s bar %s: score or close is %v", ErrNoScore, bar.Symbol, bar.Open.UTC().Format(time.RFC3339), v)
		}
	}
	d := Decision{CloseTime: bar.Open.Add(bar.Interval).UTC()}
	d.BandNo, d.Band = c.FindBand(bar.Scores[0])
	d.Up, d.Down = true, true
	if hasPrev {
		d.Up, d.Down = abs(d.BandNo) > abs(prev), abs(d.BandNo) < abs(prev)
	}
	onTime := d.Band != nil && d.Band.Frequency != 0 && d.CloseTime.Minute()%d.Band.Frequency == 0
	d.Send = (c.NotifyBandUp && d.Up) || (c.NotifyBandDn && d.Down) || onTime
	if d.Send {
		d.Message = message(bar, d)
	}
	return d, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// message builds ITB's text, spaces included:
// with a band  "{sign} {symbol} {int(close):,} Indicator: {primary} {secondary} {text} {freq}", bold if the band is;
// without one  "{symbol} {int(close):,} Indicator: {primary} {secondary} {freq}";
// where primary is "{score:+.2f} {arrow} " and secondary "{score2:+.2f}" or "".
func message(bar Bar, d Decision) notify.Rich {
	arrow := ""
	if d.Up {
		arrow = "↑"
	} else if d.Down {
		arrow = "↓"
	}
	primary := fmt.Sprintf("%+.2f %s ", bar.Scores[0], arrow)
	secondary := ""
	if len(bar.Scores) > 1 {
		secondary = fmt.Sprintf("%+.2f", bar.Scores[1])
	}
	head := SymbolChar(bar.Symbol) + " " + Thousands(int64(bar.Close)) + " Indicator: " + primary + " " + secondary + " "
	if d.Band == nil {
		return notify.Plain(head + bar.Freq)
	}
	text := d.Band.Sign + " " + head + d.Band.Text + " " + bar.Freq
	if d.Band.Bold {
		return notify.Bold(text)
	}
	return notify.Plain(text)
}

// SymbolChar is ITB's symbol character: ₿ for BTCUSDT, Ξ for ETHUSDT, else the symbol.
func SymbolChar(symbol string) string {
	switch symbol {
	case "BTCUSDT":
		return "₿"
	case "ETHUSDT":
		return "Ξ"
	}
	return symbol
}

// Thousands formats n with comma thousands separators, as Python's "{:,}".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// OutputName names the output_sets entry at index (the key its band is stored under).
func OutputName(index int) string { return fmt.Sprintf("%s#%d", Generator, index) }

// DedupKey identifies the notification of output for the bar closing at closeTime: the
// outbox accepts it once.
func DedupKey(output string, closeTime time.Time) string {
	return output + "@" + closeTime.UTC().Format(time.RFC3339)
}
