package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
)

const testToken = "123456:very-secret-token"

// TestLogFormatJSONKeepsSecrets logs a loaded config holding a Telegram token through the
// JSON logger, whole and field by field: every line is JSON and none holds the token.
func TestLogFormatJSONKeepsSecrets(t *testing.T) {
	c, err := config.Parse([]byte(`{"telegram_bot_token": "`+testToken+`", "api_secret": "`+testToken+`"}`), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log, err := newLogger(&buf, "debug", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("config", "config", *c, "config_ptr", c, "token", c.TelegramBotToken)
	log.With("cfg", c).Debug("nested")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		if strings.Contains(l, "very-secret") {
			t.Fatalf("token leaked: %s", l)
		}
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	if first["token"] != "***" || first["msg"] != "config" || first["level"] != "INFO" {
		t.Errorf("first line: %v", first)
	}
}

// TestLogFormatFlag runs the real command with --log-format json: the config loader's
// warning comes out as a JSON line (and without the token); a bad format is refused.
func TestLogFormatFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.jsonc")
	src := `{"data_folder": "` + dir + `", "symbol": "X", "telegram_bot_token": "` + testToken + `", "not_a_key": 1}`
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		json   bool
	}{{"json", true}, {"text", false}} {
		r := run(t, "--log-format", c.format, "-c", cfg, "merge")
		var warn string
		for _, l := range strings.Split(r.err, "\n") {
			if strings.Contains(l, "not_a_key") {
				warn = l
			}
		}
		var m map[string]any
		isJSON := json.Unmarshal([]byte(warn), &m) == nil
		if warn == "" || isJSON != c.json || strings.Contains(r.err, "very-secret") {
			t.Errorf("--log-format %s: warning line %q (json %v)\n%s", c.format, warn, isJSON, r.err)
		}
		if c.json && (m["level"] != "WARN" || m["keys"] != "not_a_key") {
			t.Errorf("json warning fields: %v", m)
		}
	}
	run(t, "--log-format", "yaml", "version").failsWith(t, "--log-format", "text or json")
}
