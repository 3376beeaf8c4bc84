package awsapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Model is the part of an AWS service model (botocore's service-2.json) that
// the edge needs to validate requests the way AWS's front end does: member
// types, required members, enums, lengths, ranges and patterns.
type Model struct {
	shapes map[string]*shape
	inputs map[string]string // operation → input shape name
}

type shape struct {
	Type     string         `json:"type"`
	Members  map[string]ref `json:"members"`
	Required []string       `json:"required"`
	Enum     []string       `json:"enum"`
	Min      *float64       `json:"min"`
	Max      *float64       `json:"max"`
	Pattern  string         `json:"pattern"`
	Member   *ref           `json:"member"`
	Key      *ref           `json:"key"`
	Value    *ref           `json:"value"`
	pattern  *regexp.Regexp // compiled Pattern; nil when Go cannot express it
	enumSet  map[string]bool
}

type ref struct {
	Shape string `json:"shape"`
}

// LoadModel reads a gzip-compressed botocore service model.
func LoadModel(gz []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("awsapi: model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("awsapi: model: %w", err)
	}
	var doc struct {
		Operations map[string]struct {
			Input *ref `json:"input"`
		} `json:"operations"`
		Shapes map[string]*shape `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("awsapi: model: %w", err)
	}
	m := &Model{shapes: doc.Shapes, inputs: map[string]string{}}
	for name, op := range doc.Operations {
		if op.Input != nil {
			m.inputs[name] = op.Input.Shape
		}
	}
	for _, s := range m.shapes {
		if s.Pattern != "" {
			// Java patterns match the whole value and spell code points \uXXXX.
			p := javaUnicodeEscape.ReplaceAllString(s.Pattern, `\x{$1}`)
			s.pattern, _ = regexp.Compile(`^(?:` + p + `)$`)
		}
		if len(s.Enum) > 0 {
			s.enumSet = map[string]bool{}
			for _, e := range s.Enum {
				s.enumSet[e] = true
			}
		}
	}
	return m, nil
}

// IsEmptyBody reports whether a body holds only JSON whitespace, which the
// edge treats as an input with no members.
func IsEmptyBody(body []byte) bool {
	for _, b := range body {
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return false
		}
	}
	return true
}

var javaUnicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// HasOperation reports whether the model defines the operation.
func (m *Model) HasOperation(op string) bool {
	_, ok := m.inputs[op]
	return ok
}

// maxValidationErrors bounds the message as AWS does.
const maxValidationErrors = 10

// Validate checks a JSON request body against the operation's input shape.
// It returns a SerializationException for malformed JSON or wrong types and
// a ValidationException listing constraint violations, as AWS does.
func (m *Model) Validate(op string, body []byte) *Error {
	name, ok := m.inputs[op]
	if !ok {
		return nil
	}
	if IsEmptyBody(body) {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &Error{Status: 400, Type: "SerializationException", Message: "Request body is not valid JSON: " + err.Error()}
	}
	if !IsEmptyBody(body[dec.InputOffset():]) {
		return &Error{Status: 400, Type: "SerializationException", Message: "Request body has data after the JSON value."}
	}
	if v == nil {
		v = map[string]any{} // a null body means no members, so required ones are reported
	}
	w := walker{m: m}
	w.walk(name, v, "")
	if w.serialization != "" {
		return &Error{Status: 400, Type: "SerializationException", Message: w.serialization}
	}
	if len(w.problems) == 0 {
		return nil
	}
	n := len(w.problems)
	if n > maxValidationErrors {
		w.problems = w.problems[:maxValidationErrors]
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return &Error{Status: 400, Type: "ValidationException",
		Message: fmt.Sprintf("%d validation error%s detected: %s", n, plural, strings.Join(w.problems, "; "))}
}

type walker struct {
	m             *Model
	problems      []string
	serialization string
}

func (w *walker) problem(path string, value any, constraint string) {
	w.problems = append(w.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", describe(value), path, constraint))
}

func (w *walker) wrongType(path, want string) {
	if w.serialization == "" {
		w.serialization = fmt.Sprintf("Expected %s at '%s'.", want, strings.TrimPrefix(path, "."))
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "'" + x + "'"
	case json.Number:
		return string(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func (w *walker) walk(shapeName string, v any, path string) {
	s := w.m.shapes[shapeName]
	if s == nil || v == nil {
		return
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			w.wrongType(path, "an object")
			return
		}
		for _, req := range s.Required {
			if obj[req] == nil {
				w.problem(join(path, lowerFirst(req)), nil, "Member must not be null")
			}
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if mem, ok := s.Members[k]; ok {
				w.walk(mem.Shape, obj[k], join(path, lowerFirst(k)))
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			w.wrongType(path, "an array")
			return
		}
		w.checkSize(s, path, v, float64(len(arr)), "length")
		for i, item := range arr {
			if s.Member != nil {
				w.walk(s.Member.Shape, item, fmt.Sprintf("%s.%d.member", path, i+1))
			}
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			w.wrongType(path, "an object")
			return
		}
		w.checkSize(s, path, v, float64(len(obj)), "length")
		for k, item := range obj {
			if s.Key != nil {
				w.walk(s.Key.Shape, k, path+".key")
			}
			if s.Value != nil {
				w.walk(s.Value.Shape, item, path+"."+k)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			w.wrongType(path, "a string")
			return
		}
		if s.enumSet != nil && !s.enumSet[str] {
			w.problem(path, v, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
			return
		}
		w.checkSize(s, path, v, float64(utf8.RuneCountInString(str)), "length")
		if s.pattern != nil && !s.pattern.MatchString(str) {
			w.problem(path, v, "Member must satisfy regular expression pattern: "+s.Pattern)
		}
	case "integer", "long":
		num, ok := v.(json.Number)
		if !ok {
			w.wrongType(path, "a number")
			return
		}
		f, err := num.Float64()
		if err != nil || f != math.Trunc(f) || strings.ContainsAny(string(num), ".eE") {
			w.wrongType(path, "an integer")
			return
		}
		if s.Type == "integer" && (f > math.MaxInt32 || f < math.MinInt32) {
			w.wrongType(path, "a 32-bit integer")
			return
		}
		w.checkSize(s, path, v, f, "value")
	case "boolean":
		if _, ok := v.(bool); !ok {
			w.wrongType(path, "a boolean")
		}
	case "blob":
		str, ok := v.(string)
		if !ok {
			w.wrongType(path, "a base64-encoded string")
			return
		}
		raw, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			w.wrongType(path, "a base64-encoded string")
			return
		}
		w.checkSize(s, path, v, float64(len(raw)), "length")
	case "timestamp":
		switch v.(type) {
		case json.Number, string:
		default:
			w.wrongType(path, "a timestamp")
		}
	}
}

func (w *walker) checkSize(s *shape, path string, v any, n float64, what string) {
	if s.Min != nil && n < *s.Min {
		w.problem(path, v, fmt.Sprintf("Member must have %s greater than or equal to %v", what, *s.Min))
	}
	if s.Max != nil && n > *s.Max {
		w.problem(path, v, fmt.Sprintf("Member must have %s less than or equal to %v", what, *s.Max))
	}
}
