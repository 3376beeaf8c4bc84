package events

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// parsePath parses the JSONPath subset EventBridge accepts in InputPath and
// InputPathsMap: "$" and dotted member access ("$.detail.result").
func parsePath(p string) ([]string, error) {
	if p == "$" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(p, "$.")
	if !ok || rest == "" {
		return nil, fmt.Errorf("InputPath %q is not a valid JSON path ($ or $.field.field).", p)
	}
	parts := strings.Split(rest, ".")
	for _, part := range parts {
		if part == "" {
			return nil, fmt.Errorf("InputPath %q is not a valid JSON path.", p)
		}
	}
	return parts, nil
}

// lookup evaluates a parsed path on an event document.
func lookup(doc any, path []string) (any, bool) {
	for _, key := range path {
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil, false
		}
		if doc, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return doc, true
}

var placeholder = regexp.MustCompile(`<([A-Za-z0-9_.-]+)>`)

// transformInput makes the body a target receives: the event itself, a
// constant Input, the part InputPath selects, or an InputTransformer template
// whose <name> placeholders take values from InputPathsMap (strings unquoted
// inside a quoted template string, JSON elsewhere, as EventBridge does).
func transformInput(t Target, event []byte) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath == "" && t.InputTransformer == nil:
		return event, nil
	}
	var doc any
	if err := json.Unmarshal(event, &doc); err != nil {
		return nil, fmt.Errorf("events: event is not JSON: %w", err)
	}
	if t.InputPath != "" {
		path, err := parsePath(t.InputPath)
		if err != nil {
			return nil, err
		}
		v, ok := lookup(doc, path)
		if !ok {
			return []byte("null"), nil
		}
		return json.Marshal(v)
	}
	values := map[string]any{}
	for name, p := range t.InputTransformer.InputPathsMap {
		path, err := parsePath(p)
		if err != nil {
			return nil, err
		}
		if v, ok := lookup(doc, path); ok {
			values[name] = v
		}
	}
	tmpl := t.InputTransformer.InputTemplate
	var out strings.Builder
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(tmpl, -1) {
		out.WriteString(tmpl[last:m[0]])
		name := tmpl[m[2]:m[3]]
		last = m[1]
		if name == "aws.events.event" {
			out.Write(event)
			continue
		}
		v, ok := values[name]
		if !ok {
			if _, known := t.InputTransformer.InputPathsMap[name]; !known {
				out.WriteString(tmpl[m[0]:m[1]]) // not a placeholder of ours: leave it
				continue
			}
			v = nil
		}
		if s, isString := v.(string); isString && insideString(tmpl[:m[0]]) {
			quoted, _ := json.Marshal(s)
			out.Write(quoted[1 : len(quoted)-1])
			continue
		}
		encoded, _ := json.Marshal(v)
		out.Write(encoded)
	}
	out.WriteString(tmpl[last:])
	return []byte(out.String()), nil
}

// insideString reports whether the text so far leaves a JSON string open.
func insideString(prefix string) bool {
	open := false
	for i := 0; i < len(prefix); i++ {
		switch prefix[i] {
		case '\\':
			if open {
				i++
			}
		case '"':
			open = !open
		}
	}
	return open
}
