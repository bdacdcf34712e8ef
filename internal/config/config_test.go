package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStripCommentsKeepsURLs(t *testing.T) {
	src := "{\n  \"binance_base_url\": \"https://api.binance.com\", // the host\n  /* block\n comment */ \"symbol\": \"ETH//USDT\\\" // not a comment\"\n}"
	got := string(StripComments([]byte(src)))
	want := "{\n  \"binance_base_url\": \"https://api.binance.com\", \n  \n \"symbol\": \"ETH//USDT\\\" // not a comment\"\n}"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestITBSampleConfigLoadsUnchanged(t *testing.T) {
	var warned []string
	c, err := Load(filepath.Join("..", "..", "testdata", "configs", "config-sample-1min.jsonc"), func(msg string, args ...any) {
		warned = append(warned, fmt.Sprint(msg, args))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 0 {
		t.Errorf("unexpected warnings: %v", warned)
	}
	if c.Freq != "1min" || c.LabelHorizon != 120 || c.FeaturesHorizon != 120 || c.TrainLength != 525600 || !c.Train {
		t.Errorf("shape keys: %+v", c)
	}
	if len(c.FeatureSets) != 4 || c.FeatureSets[3].Generator != "common.my_feature_example:my_feature_example" {
		t.Errorf("feature sets: %+v", c.FeatureSets)
	}
	if len(c.TrainFeatures) != 13 || len(c.Labels) != 2 || c.Algorithms[0].Algo != "lc" {
		t.Errorf("train: %v %v %+v", c.TrainFeatures, c.Labels, c.Algorithms)
	}
	// Defaults for keys the file does not set.
	if c.MergeFileName != "data.csv" || c.ModelFolder != "MODELS" || c.TimeColumn != "timestamp" || c.BinanceMarket != "spot" {
		t.Errorf("defaults: %+v", c)
	}
	if c.FreqDuration() != time.Minute || c.WindowSize() != 525600+120 {
		t.Errorf("freq %v window %d", c.FreqDuration(), c.WindowSize())
	}
}

func TestMalformedConfigs(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"syntax", "{\n \"symbol\": \"BTCUSDT\",\n \"freq\" \"1min\"\n}", "line 3"},
		{"type", "{\n \"label_horizon\": \"120\"\n}", `"label_horizon"`},
		{"unclosed", "{\"symbol\": \"BTCUSDT\"", "end of file"},
		{"empty", "// nothing\n", "empty"},
		{"freq", `{"freq": "3 fortnights"}`, `"freq"`},
		{"monthly", `{"freq": "1MS"}`, "monthly"},
		{"negative", `{"label_horizon": -1}`, `"label_horizon"`},
		{"algo name", `{"algorithms": [{"name": "my_lc", "algo": "lc"}]}`, `"algorithms[0].name"`},
		{"market", `{"binance_market": "margin"}`, `"binance_market"`},
		{"trailing brace", "{\"symbol\": \"BTCUSDT\"}\n}\n", "line 2"},
		{"trailing bracket", `{"symbol": "BTCUSDT"}]`, "after the top-level object"},
		{"trailing word", "{\"symbol\": \"BTCUSDT\"} xyz", "after the top-level object"},
		{"second object", `{"symbol": "BTCUSDT"} {}`, "after the top-level object"},
		{"trailing comment ok but brace", "{}\n// done\n}", "line 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "cfg.jsonc", nil)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "cfg.jsonc") {
				t.Fatalf("error %q does not mention %q and the file", err, c.want)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestTrailingCommasAndUnknownKeys(t *testing.T) {
	var warned string
	c, err := Parse([]byte(`{"symbol": "ETHUSDT", "labels": ["a", "b",], "my_key": 1,}`), "x", func(msg string, args ...any) {
		warned = fmt.Sprint(msg, args)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Symbol != "ETHUSDT" || len(c.Labels) != 2 || !strings.Contains(warned, "my_key") {
		t.Fatalf("%+v %q", c, warned)
	}
}

func TestSecretsFromEnvNeverPrinted(t *testing.T) {
	t.Setenv(EnvAPIKey, "key-from-env")
	t.Setenv(EnvTelegramBotToken, "123:secret-token")
	c, err := Parse([]byte(`{"api_key": "key-in-file", "api_secret": "secret-in-file"}`), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.APIKey.Reveal() != "key-from-env" || c.APISecret.Reveal() != "secret-in-file" || c.TelegramBotToken.Reveal() != "123:secret-token" {
		t.Fatalf("env override: %q %q", c.APIKey.Reveal(), c.APISecret.Reveal())
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "key", c.APIKey, "cfg", *c)
	js, _ := json.Marshal(c)
	out := buf.String() + fmt.Sprintf("%v %+v", c, *c) + string(js)
	for _, s := range []string{"key-from-env", "secret-in-file", "secret-token"} {
		if strings.Contains(out, s) {
			t.Fatalf("secret %q leaked: %s", s, out)
		}
	}
}

func TestParseFreq(t *testing.T) {
	for s, want := range map[string]time.Duration{"1min": time.Minute, "5min": 5 * time.Minute, "T": time.Minute,
		"1h": time.Hour, "4H": 4 * time.Hour, "1D": 24 * time.Hour, "1W": 7 * 24 * time.Hour, "30s": 30 * time.Second} {
		if got, err := ParseFreq(s); err != nil || got != want {
			t.Errorf("ParseFreq(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "0min", "1y", "1MS", "-5min"} {
		if _, err := ParseFreq(s); err == nil {
			t.Errorf("ParseFreq(%q) accepted", s)
		}
	}
}

func TestDataFolderCheck(t *testing.T) {
	c := Default()
	if err := c.CheckDataFolder(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "data_folder") {
		t.Fatalf("unset: %v", err)
	}
	c.DataFolder = filepath.Join(t.TempDir(), "nope")
	if err := c.CheckDataFolder(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing: %v", err)
	}
}

// simulate_model decodes into typed keys; an absent section is the zero value; a wrong type
// names the key.
func TestSimulateSection(t *testing.T) {
	c, err := Parse([]byte(`{"simulate_model": {"direction": "short", "topn_to_store": 3, "fee_bps": 5, "fill": "close",
		"grid": {"buy_signal_threshold": "np.arange(0.01, 0.05, 0.01).tolist()"}}}`), "x.jsonc", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Simulate()
	if err != nil || s.Direction != "short" || *s.TopNToStore != 3 || *s.FeeBps != 5 || s.Fill != "close" || s.SlippageBps != nil ||
		string(s.Grid["buy_signal_threshold"]) != `"np.arange(0.01, 0.05, 0.01).tolist()"` {
		t.Errorf("%+v %v", s, err)
	}
	c, _ = Parse([]byte(`{}`), "x.jsonc", nil)
	if s, err := c.Simulate(); err != nil || s.Grid != nil {
		t.Errorf("absent section: %+v %v", s, err)
	}
	c, _ = Parse([]byte(`{"simulate_model": {"topn_to_store": "ten"}}`), "x.jsonc", nil)
	if _, err := c.Simulate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `"simulate_model.topn_to_store"`) {
		t.Errorf("err %v", err)
	}
}

func TestOpsAddressKeys(t *testing.T) {
	for _, c := range []struct {
		src    string
		addr   string
		remote bool
	}{
		{`{}`, "127.0.0.1:9464", false},
		{`{"ops_address": "0.0.0.0:9100", "ops_allow_remote": true}`, "0.0.0.0:9100", true},
	} {
		var warned string
		got, err := Parse([]byte(c.src), "x", func(msg string, args ...any) { warned = fmt.Sprint(msg, args) })
		if err != nil || warned != "" {
			t.Fatalf("%s: %v %q", c.src, err, warned)
		}
		if got.OpsAddress != c.addr || got.OpsAllowRemote != c.remote {
			t.Errorf("%s: got %q %v", c.src, got.OpsAddress, got.OpsAllowRemote)
		}
	}
}
