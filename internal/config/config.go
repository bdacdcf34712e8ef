// Package config loads tradectl's configuration: ITB's JSONC files with ITB's key names and
// defaults, decoded into typed structs, with secrets optionally taken from the environment.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"
)

// ErrConfig is wrapped by every configuration error; the message names the file and key.
var ErrConfig = errors.New("invalid config")

// Environment variables that override the config file's secrets (and the data folder).
const (
	EnvAPIKey           = "TRADECTL_API_KEY"
	EnvAPISecret        = "TRADECTL_API_SECRET"
	EnvTelegramBotToken = "TRADECTL_TELEGRAM_BOT_TOKEN"
	EnvTelegramChatID   = "TRADECTL_TELEGRAM_CHAT_ID"
)

// Secret is a string that never prints: fmt, slog and JSON show "***" (or "" when empty).
type Secret string

// String redacts the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// LogValue redacts the value in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Reveal returns the secret itself, for the one place that sends it to the service.
func (s Secret) Reveal() string { return string(s) }

// DataSource is one data_sources entry.
type DataSource struct {
	Folder       string `json:"folder"`
	File         string `json:"file"`
	ColumnPrefix string `json:"column_prefix"`
}

// GeneratorSet is one entry of feature_sets, label_sets, signal_sets or output_sets.
type GeneratorSet struct {
	Generator     string          `json:"generator"`
	ColumnPrefix  string          `json:"column_prefix"`
	FeaturePrefix string          `json:"feature_prefix"`
	Config        json.RawMessage `json:"config"`
}

// Algorithm is one algorithms entry: name (the score column suffix), algo (lc, gb, nn, svc),
// params (is_scale, length, every_nth_row, is_regression, layers) and the algorithm's train options.
type Algorithm struct {
	Name   string          `json:"name"`
	Algo   string          `json:"algo"`
	Params json.RawMessage `json:"params"`
	Train  json.RawMessage `json:"train"`
}

// Config is the whole configuration, with ITB's key names (itb-behaviour.md §1).
type Config struct {
	Venue            string `json:"venue"`
	APIKey           Secret `json:"api_key"`
	APISecret        Secret `json:"api_secret"`
	TelegramBotToken Secret `json:"telegram_bot_token"`
	TelegramChatID   string `json:"telegram_chat_id"`
	// TelegramAPIURL is the Bot API base URL; requests go to <url>/bot<token>/<method>
	// (tests and replays point it at a local fake).
	TelegramAPIURL string `json:"telegram_api_url"`
	// OpsAddress is where `signal serve` answers /healthz and /metrics (host:port). An
	// address that is not loopback is refused unless OpsAllowRemote is true.
	OpsAddress     string `json:"ops_address"`
	OpsAllowRemote bool   `json:"ops_allow_remote"`

	MergeFileName        string `json:"merge_file_name"`
	FeatureFileName      string `json:"feature_file_name"`
	MatrixFileName       string `json:"matrix_file_name"`
	PredictFileName      string `json:"predict_file_name"`
	SignalFileName       string `json:"signal_file_name"`
	SignalModelsFileName string `json:"signal_models_file_name"`
	ModelFolder          string `json:"model_folder"`
	TimeColumn           string `json:"time_column"`

	DataFolder  string `json:"data_folder"`
	Symbol      string `json:"symbol"`
	Description string `json:"description"`
	Freq        string `json:"freq"`
	Train       bool   `json:"train"`

	DataSources      []DataSource      `json:"data_sources"`
	FeatureSets      []GeneratorSet    `json:"feature_sets"`
	LabelSets        []GeneratorSet    `json:"label_sets"`
	TrainFeatureSets []json.RawMessage `json:"train_feature_sets"`
	TrainFeatures    []string          `json:"train_features"`
	Labels           []string          `json:"labels"`
	Algorithms       []Algorithm       `json:"algorithms"`
	SignalSets       []GeneratorSet    `json:"signal_sets"`
	OutputSets       []GeneratorSet    `json:"output_sets"`

	LabelHorizon         int  `json:"label_horizon"`
	TrainLength          int  `json:"train_length"`
	FeaturesHorizon      int  `json:"features_horizon"`
	PredictLength        int  `json:"predict_length"`
	AppendOverlapRecords int  `json:"append_overlap_records"`
	DownloadMaxRows      int  `json:"download_max_rows"`
	MergeInterpolate     bool `json:"merge_interpolate"`
	// FloatPrecision is the number of decimals of floats in the CSV files the steps write
	// (ITB's "%.6f": 6, the default), or "exact" for the shortest exact representation.
	FloatPrecision json.RawMessage `json:"float_precision"`

	// BinanceBaseURL and BinanceFuturesBaseURL point the exchange client at another
	// Binance-compatible host (tests use a local fake).
	BinanceBaseURL        string `json:"binance_base_url"`
	BinanceFuturesBaseURL string `json:"binance_futures_base_url"`
	// BinanceMarket is "spot" (default) or "futures" (USDⓈ-M) for download.
	BinanceMarket string `json:"binance_market"`

	BaseAsset  string          `json:"base_asset"`
	QuoteAsset string          `json:"quote_asset"`
	ClientArgs json.RawMessage `json:"client_args"`

	RollingPredict json.RawMessage `json:"rolling_predict"`
	SimulateModel  json.RawMessage `json:"simulate_model"`
	TradeModel     json.RawMessage `json:"trade_model"`
	ModelRegistry  json.RawMessage `json:"model_registry"`

	// Legacy sections ITB still accepts; loaded and otherwise ignored.
	ScoreNotificationModel   json.RawMessage `json:"score_notification_model"`
	DiagramNotificationModel json.RawMessage `json:"diagram_notification_model"`
	Collector                json.RawMessage `json:"collector"`
	MT5AccountID             string          `json:"mt5_account_id"`
	MT5Password              Secret          `json:"mt5_password"`
	MT5Server                string          `json:"mt5_server"`

	// Path is the file the config was loaded from ("" for the built-in defaults).
	Path string `json:"-"`
}

// Default returns ITB's defaults (App.config), except data_folder, which must be set.
func Default() Config {
	return Config{
		MergeFileName:        "data.csv",
		FeatureFileName:      "features.csv",
		MatrixFileName:       "matrix.csv",
		PredictFileName:      "predictions.csv",
		SignalFileName:       "signals.csv",
		SignalModelsFileName: "signal_models",
		ModelFolder:          "MODELS",
		TimeColumn:           "timestamp",
		Symbol:               "BTCUSDT",
		Freq:                 "1min",
		FeaturesHorizon:      10,
		AppendOverlapRecords: 5,
		BinanceMarket:        "spot",
		TelegramAPIURL:       "https://api.telegram.org",
		OpsAddress:           "127.0.0.1:9464",
	}
}

// Load reads a JSONC config file over the defaults, applies environment overrides and checks
// the structure. Unknown top-level keys are reported through warn (nil: ignored) rather than
// failing, so ITB configs with keys tradectl does not use still load.
func Load(path string, warn func(msg string, args ...any)) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	c, err := Parse(src, path, warn)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes JSONC text (path is used in messages only).
func Parse(src []byte, path string, warn func(msg string, args ...any)) (*Config, error) {
	clean := stripTrailingCommas(StripComments(src))
	if len(bytes.TrimSpace(clean)) == 0 {
		return nil, fmt.Errorf("%w: %s: empty file", ErrConfig, path)
	}
	c := Default()
	dec := json.NewDecoder(bytes.NewReader(clean))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrConfig, path, describeJSONError(clean, err))
	}
	if off := trailingContent(clean, dec.InputOffset()); off >= 0 {
		l, col := position(clean, off)
		return nil, fmt.Errorf("%w: %s: line %d, column %d: extra data %q after the top-level object", ErrConfig, path, l, col, clean[off:min(off+10, int64(len(clean)))])
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(clean, &keys)
	known := knownKeys()
	var unknown []string
	for k := range keys {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if warn != nil && len(unknown) > 0 {
		warn("config keys not used by tradectl", "file", path, "keys", strings.Join(unknown, ","))
	}
	c.Path = path
	c.applyEnv()
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func knownKeys() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]; tag != "" && tag != "-" {
			m[tag] = true
		}
	}
	return m
}

func (c *Config) applyEnv() {
	if v := os.Getenv(EnvAPIKey); v != "" {
		c.APIKey = Secret(v)
	}
	if v := os.Getenv(EnvAPISecret); v != "" {
		c.APISecret = Secret(v)
	}
	if v := os.Getenv(EnvTelegramBotToken); v != "" {
		c.TelegramBotToken = Secret(v)
	}
	if v := os.Getenv(EnvTelegramChatID); v != "" {
		c.TelegramChatID = v
	}
}

// describeJSONError turns a decoder error into "line L, column C: ...", naming the key for type errors.
func describeJSONError(src []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		l, col := position(src, se.Offset)
		return fmt.Sprintf("line %d, column %d: %v", l, col, se)
	case errors.As(err, &te):
		l, col := position(src, te.Offset)
		key := te.Field
		if key == "" {
			key = "(top level)"
		}
		return fmt.Sprintf("line %d, column %d: key %q: expected %v, got JSON %s", l, col, key, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of file (unclosed { or [ ?)"
	}
	return err.Error()
}

func position(src []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(src)); i++ {
		if src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Check validates what can be checked without the generator registries: frequencies, shape
// parameters, names. Generators and horizons are checked by the pipeline (which knows them).
func (c *Config) Check() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: key %q: %s", ErrConfig, key, fmt.Sprintf(format, args...))
	}
	if _, err := ParseFreq(c.Freq); err != nil {
		return bad("freq", "%v", err)
	}
	for _, kv := range []struct {
		key string
		v   int
	}{{"label_horizon", c.LabelHorizon}, {"train_length", c.TrainLength}, {"features_horizon", c.FeaturesHorizon},
		{"predict_length", c.PredictLength}, {"append_overlap_records", c.AppendOverlapRecords}, {"download_max_rows", c.DownloadMaxRows}} {
		if kv.v < 0 {
			return bad(kv.key, "must not be negative, got %d", kv.v)
		}
	}
	if _, err := c.floatDecimals(); err != nil {
		return bad("float_precision", "%v", err)
	}
	if c.Symbol == "" {
		return bad("symbol", "must be set")
	}
	if strings.ContainsAny(c.Symbol, `/\`) || c.Symbol == "." || c.Symbol == ".." {
		return bad("symbol", "%q is not a plain name", c.Symbol)
	}
	if c.TimeColumn == "" {
		return bad("time_column", "must not be empty")
	}
	switch c.BinanceMarket {
	case "spot", "futures":
	default:
		return bad("binance_market", "must be \"spot\" or \"futures\", got %q", c.BinanceMarket)
	}
	for i, s := range c.DataSources {
		if s.Folder == "" {
			return bad(fmt.Sprintf("data_sources[%d].folder", i), "must be set")
		}
	}
	for _, sets := range []struct {
		key  string
		sets []GeneratorSet
	}{{"feature_sets", c.FeatureSets}, {"label_sets", c.LabelSets}, {"signal_sets", c.SignalSets}, {"output_sets", c.OutputSets}} {
		for i, s := range sets.sets {
			if s.Generator == "" {
				return bad(fmt.Sprintf("%s[%d].generator", sets.key, i), "must be set")
			}
		}
	}
	seen := map[string]bool{}
	for i, a := range c.Algorithms {
		key := fmt.Sprintf("algorithms[%d]", i)
		if a.Name == "" {
			return bad(key+".name", "must be set")
		}
		if strings.Contains(a.Name, "_") {
			return bad(key+".name", "%q must not contain '_' (score columns are <label>_<name>, split at the last '_')", a.Name)
		}
		if seen[a.Name] {
			return bad(key+".name", "duplicate algorithm name %q", a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// FreqDuration returns the parsed freq (Check has validated it).
func (c *Config) FreqDuration() time.Duration {
	d, _ := ParseFreq(c.Freq)
	return d
}

// SymbolFolder is <data_folder>/<symbol>, where every step's files live.
func (c *Config) SymbolFolder() string { return filepath.Join(c.DataFolder, c.Symbol) }

// File returns the path of a step file (e.g. c.FeatureFileName) in the symbol folder.
func (c *Config) File(name string) string { return filepath.Join(c.SymbolFolder(), name) }

// ModelPath is the model folder: <data_folder>/<symbol>/<model_folder> unless model_folder is absolute.
func (c *Config) ModelPath() string {
	if filepath.IsAbs(c.ModelFolder) {
		return c.ModelFolder
	}
	return filepath.Join(c.SymbolFolder(), c.ModelFolder)
}

// CheckDataFolder verifies that data_folder is set and exists.
func (c *Config) CheckDataFolder() error {
	if c.DataFolder == "" {
		return fmt.Errorf("%w: key \"data_folder\": not set (set it in the config or pass --data-folder)", ErrConfig)
	}
	st, err := os.Stat(c.DataFolder)
	if err != nil {
		return fmt.Errorf("%w: key \"data_folder\": %q does not exist", ErrConfig, c.DataFolder)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: key \"data_folder\": %q is not a folder", ErrConfig, c.DataFolder)
	}
	return nil
}

// WindowSize is ITB's row window (§2.1): train_length (train=true) or predict_length, plus
// features_horizon; 0 means all rows.
func (c *Config) WindowSize() int {
	w := c.PredictLength
	if c.Train {
		w = c.TrainLength
	}
	if w == 0 {
		return 0
	}
	return w + c.FeaturesHorizon
}

// SimulateModel is the simulate_model section (itb-behaviour.md §6.4) with tradectl's
// fill-model keys. Pointers tell an absent key from a zero.
type SimulateModel struct {
	// DataStart and DataEnd cut the rows: a date string keeps time >= start / < end, a number
	// drops that many rows from the start / end.
	DataStart       json.RawMessage `json:"data_start"`
	DataEnd         json.RawMessage `json:"data_end"`
	Direction       string          `json:"direction"`
	TopNToStore     *int            `json:"topn_to_store"`
	SignalGenerator string          `json:"signal_generator"`
	BuySellEqual    bool            `json:"buy_sell_equal"`
	// Grid maps buy_signal_threshold(_2) / sell_signal_threshold(_2) to a list of numbers, a
	// "start:stop:step" range or ITB's "np.arange(start, stop, step).tolist()".
	Grid map[string]json.RawMessage `json:"grid"`

	// Fill model (tradectl): fees and slippage per side in basis points, "next-open" or
	// "close" fills, the fraction of equity per position, stop-loss and take-profit as
	// fractions of the entry price, the starting equity, and "itb" for ITB's own formulas.
	FeeBps        *float64 `json:"fee_bps"`
	SlippageBps   *float64 `json:"slippage_bps"`
	Fill          string   `json:"fill"`
	PositionSize  *float64 `json:"position_size"`
	StopLoss      float64  `json:"stop_loss"`
	TakeProfit    float64  `json:"take_profit"`
	InitialEquity *float64 `json:"initial_equity"`
	Compat        string   `json:"compat"`
}

// Simulate decodes the simulate_model section (an absent section gives the zero value).
func (c *Config) Simulate() (SimulateModel, error) {
	var s SimulateModel
	if len(bytes.TrimSpace(c.SimulateModel)) == 0 || string(bytes.TrimSpace(c.SimulateModel)) == "null" {
		return s, nil
	}
	if err := json.Unmarshal(c.SimulateModel, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return s, fmt.Errorf("%w: key \"simulate_model.%s\": expected %v, got JSON %s", ErrConfig, te.Field, te.Type, te.Value)
		}
		return s, fmt.Errorf("%w: key \"simulate_model\": %v", ErrConfig, err)
	}
	return s, nil
}

// DefaultFloatDecimals is ITB's "%.6f".
const DefaultFloatDecimals = 6

// FloatDecimals is the number of decimals for floats in CSV files (float_precision): 6 by
// default, -1 for "exact" (the shortest representation that reads back to the same float).
func (c *Config) FloatDecimals() int {
	d, err := c.floatDecimals()
	if err != nil {
		return DefaultFloatDecimals // Check rejects the config before this is used
	}
	return d
}

func (c *Config) floatDecimals() (int, error) {
	raw := bytes.TrimSpace(c.FloatPrecision)
	if len(raw) == 0 || string(raw) == "null" {
		return DefaultFloatDecimals, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "exact" {
			return -1, nil
		}
		return 0, fmt.Errorf("want \"exact\" or a number of decimals 0..17, got %q", s)
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil || n != math.Trunc(n) || n < 0 || n > 17 {
		return 0, fmt.Errorf("want \"exact\" or a number of decimals 0..17, got %s", raw)
	}
	return int(n), nil
}
