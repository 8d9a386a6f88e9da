package jsonschema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The validator compares numbers exactly, as big rationals: 1e999999
// becomes a million-digit integer, so a record of a few hundred bytes
// could cost seconds of CPU. Numbers past these bounds are refused before
// validation. 1000 characters is the longest number Confluent's JSON
// parser (Jackson) accepts by default; an exponent of ±1000 is well past
// what a double or any decimal type a consumer might use can hold.
const (
	maxNumberLength = 1000
	maxExponent     = 1000
)

// hasCostlyNumber tells whether value holds a number past the bounds,
// without the allocations of tracking where.
func hasCostlyNumber(value any) bool {
	switch value := value.(type) {
	case json.Number:
		return !numberWithinBounds(value)
	case []any:
		for _, item := range value {
			if hasCostlyNumber(item) {
				return true
			}
		}
	case map[string]any:
		for _, member := range value {
			if hasCostlyNumber(member) {
				return true
			}
		}
	}
	return false
}

// numberTooCostly is a number past the bounds and its location, the
// smallest location when there are several, so that the answer does not
// depend on map iteration order.
type numberTooCostly struct {
	location []string
	number   json.Number
	found    bool
}

func findCostlyNumber(value any) numberTooCostly {
	var costly numberTooCostly
	costly.visit(value, nil)
	return costly
}

func (c *numberTooCostly) visit(value any, location []string) {
	switch value := value.(type) {
	case json.Number:
		if !numberWithinBounds(value) && (!c.found || compareLocations(location, c.location) < 0) {
			c.location, c.number, c.found = append([]string(nil), location...), value, true
		}
	case []any:
		for i, item := range value {
			c.visit(item, append(location, strconv.Itoa(i)))
		}
	case map[string]any:
		for name, member := range value {
			c.visit(member, append(location, name))
		}
	}
}

// refuseCostlyNumbers keeps a schema's own numbers (a "multipleOf" of
// 1e-999999) from making every validation slow.
func refuseCostlyNumbers(doc any, what string) error {
	if !hasCostlyNumber(doc) {
		return nil
	}
	costly := findCostlyNumber(doc)
	return fmt.Errorf("%s at /%s: %s", what, strings.Join(costly.location, "/"), costly.problem())
}

// problem says what is wrong, with the number shortened.
func (c *numberTooCostly) problem() string {
	shown := string(c.number)
	if len(shown) > 20 {
		shown = shown[:20] + "…"
	}
	return fmt.Sprintf("number %s is out of range (at most %d characters and an exponent within ±%d)",
		shown, maxNumberLength, maxExponent)
}

func numberWithinBounds(number json.Number) bool {
	text := string(number)
	if len(text) > maxNumberLength {
		return false
	}
	at := strings.IndexAny(text, "eE")
	if at < 0 {
		return true
	}
	exponent, err := strconv.Atoi(text[at+1:])
	return err == nil && exponent >= -maxExponent && exponent <= maxExponent
}
