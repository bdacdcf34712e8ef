package train

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Params are an algorithm entry's ITB "params": options of the training set-up rather than
// of the algorithm itself.
type Params struct {
	// IsScale fits a StandardScaler on the training rows (default: false for gb, true otherwise).
	IsScale bool
	// Length keeps only the last Length training rows (0 = all), after EveryNthRow.
	Length int
	// EveryNthRow keeps every n-th training row (0 or 1 = all).
	EveryNthRow int
	// IsRegression trains a regressor on a numeric label (gb and nn).
	IsRegression bool
	// Raw is the params object as written, for algorithms that read more keys (nn: layers).
	Raw json.RawMessage
}

// parseParams decodes ITB's params object; unknown keys are an error naming the key.
func parseParams(raw json.RawMessage, algo string, scaleByDefault bool) (Params, error) {
	p := Params{IsScale: scaleByDefault, Raw: raw}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		p.Raw = json.RawMessage("{}")
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return p, fmt.Errorf("%w: params: %v", ErrParams, err)
	}
	for k, v := range m {
		var err error
		switch k {
		case "is_scale":
			err = json.Unmarshal(v, &p.IsScale)
		case "length":
			err = unmarshalInt(v, &p.Length)
		case "every_nth_row":
			err = unmarshalInt(v, &p.EveryNthRow)
		case "is_regression":
			err = json.Unmarshal(v, &p.IsRegression)
		case "layers", "activation":
			if algo != "nn" {
				err = fmt.Errorf("only the nn algorithm has %s", k)
			}
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return p, fmt.Errorf("%w: params key %q: %v", ErrParams, k, err)
		}
	}
	if p.Length < 0 || p.EveryNthRow < 0 {
		return p, fmt.Errorf("%w: params: length and every_nth_row must not be negative", ErrParams)
	}
	if p.IsRegression && algo != "gb" && algo != "nn" {
		return p, fmt.Errorf("%w: params key \"is_regression\": algorithm %q has no regression model in tradectl (use gb or nn)", ErrParams, algo)
	}
	return p, nil
}

// unmarshalInt accepts JSON null (0), integers and integral floats such as 26280.0.
func unmarshalInt(raw json.RawMessage, dst *int) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		*dst = 0
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return err
	}
	if f != float64(int(f)) {
		return fmt.Errorf("%v is not a whole number", f)
	}
	*dst = int(f)
	return nil
}
