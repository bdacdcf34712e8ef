package ops

import (
	"bufio"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file is an independent, strict reader of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), written from the spec
// rather than from WriteMetrics: github.com/prometheus/common/expfmt would add 15 modules to
// the build list and upgrade google.golang.org/protobuf for the whole module (measured in
// the report), too much for a test.

type expoSample struct {
	name   string
	labels map[string]string
	value  float64
}

type expoFamily struct {
	name, help, typ string
	samples         []expoSample
}

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseExposition parses text into families keyed by name and checks the rules the spec
// sets: HELP/TYPE at most once per family and before its samples, one TYPE from the known
// set, samples grouped by family, valid names, escapes and values, no duplicate series, and
// for histograms: _bucket series with increasing le ending at +Inf, cumulative counts, and
// _count equal to the +Inf bucket.
func parseExposition(text string) (map[string]*expoFamily, error) {
	fams := map[string]*expoFamily{}
	var order []string
	seen := map[string]bool{}
	current := ""
	get := func(name string) *expoFamily {
		f := fams[name]
		if f == nil {
			f = &expoFamily{name: name}
			fams[name] = f
			order = append(order, name)
		}
		return f
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			fields := strings.SplitN(line, " ", 4)
			if len(fields) < 3 || (fields[1] != "HELP" && fields[1] != "TYPE") {
				continue // a comment
			}
			name := fields[2]
			if !metricNameRE.MatchString(name) {
				return nil, fmt.Errorf("line %d: bad metric name %q", n, name)
			}
			rest := ""
			if len(fields) == 4 {
				rest = fields[3]
			}
			f := get(name)
			if len(f.samples) > 0 {
				return nil, fmt.Errorf("line %d: %s after samples of %s", n, fields[1], name)
			}
			if fields[1] == "HELP" {
				if f.help != "" {
					return nil, fmt.Errorf("line %d: second HELP for %s", n, name)
				}
				h, err := unescape(rest, false)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n, err)
				}
				f.help = h
			} else {
				if f.typ != "" {
					return nil, fmt.Errorf("line %d: second TYPE for %s", n, name)
				}
				switch rest {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					return nil, fmt.Errorf("line %d: bad type %q", n, rest)
				}
				f.typ = rest
			}
			current = name
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		fam := s.name
		if f := fams[current]; f != nil && f.typ == "histogram" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if s.name == current+suf {
					fam = current
				}
			}
		}
		if fam != current {
			if seen[fam] {
				return nil, fmt.Errorf("line %d: samples of %s are not grouped", n, fam)
			}
			current = fam
		}
		seen[fam] = true
		key := s.name + fmt.Sprint(sortedLabels(s.labels))
		if seen["series:"+key] {
			return nil, fmt.Errorf("line %d: duplicate series %s", n, key)
		}
		seen["series:"+key] = true
		f := get(fam)
		f.samples = append(f.samples, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, name := range order {
		if f := fams[name]; f.typ == "histogram" {
			if err := checkHistogram(f); err != nil {
				return nil, err
			}
		}
	}
	return fams, nil
}

func sortedLabels(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// parseSample reads `name{l="v",...} value [timestamp]`.
func parseSample(line string) (expoSample, error) {
	s := expoSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value in %q", line)
	}
	s.name = line[:i]
	if !metricNameRE.MatchString(s.name) {
		return s, fmt.Errorf("bad metric name %q", s.name)
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return s, fmt.Errorf("bad labels in %q", line)
			}
			ln := rest[:eq]
			if !labelNameRE.MatchString(ln) {
				return s, fmt.Errorf("bad label name %q", ln)
			}
			rest = rest[eq+2:]
			var raw strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					raw.WriteByte(c)
					raw.WriteByte(rest[j+1])
					j++
					continue
				}
				if c == '"' {
					rest = rest[j+1:]
					closed = true
					break
				}
				raw.WriteByte(c)
			}
			if !closed {
				return s, fmt.Errorf("unterminated label value in %q", line)
			}
			v, err := unescape(raw.String(), true)
			if err != nil {
				return s, err
			}
			if _, dup := s.labels[ln]; dup {
				return s, fmt.Errorf("duplicate label %q", ln)
			}
			s.labels[ln] = v
			rest = strings.TrimPrefix(rest, ",")
		}
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 || !strings.HasPrefix(rest, " ") {
		return s, fmt.Errorf("bad value part in %q", line)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.value = v
	return s, nil
}

func parseValue(t string) (float64, error) {
	switch t {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(t, 64)
}

// unescape undoes the format's escapes: \\ and \n, plus \" in label values; any other
// escape is an error.
func unescape(s string, label bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			return "", fmt.Errorf("raw line feed in %q", s)
		}
		if label && c == '"' {
			return "", fmt.Errorf("unescaped quote in %q", s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case '"':
			if !label {
				return "", fmt.Errorf(`\" in HELP %q`, s)
			}
			b.WriteByte('"')
		default:
			return "", fmt.Errorf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

func checkHistogram(f *expoFamily) error {
	prevLE := math.Inf(-1)
	var prev float64
	inf, count, sum := math.NaN(), math.NaN(), false
	for _, s := range f.samples {
		switch s.name {
		case f.name + "_bucket":
			le, err := parseValue(s.labels["le"])
			if err != nil {
				return fmt.Errorf("%s: bad le %q", f.name, s.labels["le"])
			}
			if le <= prevLE {
				return fmt.Errorf("%s: le %v not increasing", f.name, le)
			}
			if s.value < prev {
				return fmt.Errorf("%s: bucket le=%v count %v below the previous %v", f.name, le, s.value, prev)
			}
			prevLE, prev = le, s.value
			if math.IsInf(le, 1) {
				inf = s.value
			}
		case f.name + "_count":
			count = s.value
		case f.name + "_sum":
			sum = true
		default:
			return fmt.Errorf("%s: unexpected sample %s", f.name, s.name)
		}
	}
	if math.IsNaN(inf) || math.IsNaN(count) || !sum {
		return fmt.Errorf("%s: needs a +Inf bucket, _sum and _count", f.name)
	}
	if inf != count {
		return fmt.Errorf("%s: +Inf bucket %v != _count %v", f.name, inf, count)
	}
	return nil
}
