package arisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// jnode is a JSON value that keeps object key order.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jnode
	str  string
	num  float64
	bl   bool
}

func parseJNode(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readJNode(dec)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func readJNode(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			n := &jnode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				child, err := readJNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, kt.(string))
				n.vals = append(n.vals, child)
			}
			_, err := dec.Token()
			return n, err
		}
		n := &jnode{kind: 'a'}
		for dec.More() {
			child, err := readJNode(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, child)
		}
		_, err := dec.Token()
		return n, err
	case string:
		return &jnode{kind: 's', str: v}, nil
	case json.Number:
		f, _ := v.Float64()
		return &jnode{kind: 'n', num: f}, nil
	case bool:
		return &jnode{kind: 'b', bl: v}, nil
	}
	return &jnode{kind: 'z'}, nil
}

func (n *jnode) get(k string) *jnode {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

func (n *jnode) s(k string) string {
	if v := n.get(k); v != nil {
		switch v.kind {
		case 's':
			return v.str
		case 'n':
			return fmt.Sprint(v.num)
		case 'b':
			return fmt.Sprint(v.bl)
		}
	}
	return ""
}

func (n *jnode) String() string {
	if n == nil {
		return "<nil>"
	}
	switch n.kind {
	case 'o':
		var b strings.Builder
		b.WriteString("{")
		for i, k := range n.keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%s:%s", k, n.vals[i])
		}
		b.WriteString("}")
		return b.String()
	case 'a':
		parts := make([]string, len(n.vals))
		for i, v := range n.vals {
			parts[i] = v.String()
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 's':
		return fmt.Sprintf("%q", n.str)
	case 'n':
		return fmt.Sprint(n.num)
	case 'b':
		return fmt.Sprint(n.bl)
	}
	return "null"
}

// volatileKeys have values that legitimately differ between the trace and
// the simulator (ids, names with counters, times); only their types are
// compared.
var volatileKeys = map[string]bool{
	"timestamp": true, "creationtime": true, "startup_time": true, "last_reload_time": true,
	"date": true, "kernel": true, "protocol_id": true, "target_uri": true, "duration": true,
	"use_count": true,
}

// idArrays hold ids; only their lengths are compared.
var idArrays = map[string]bool{"channels": true, "channel_ids": true, "bridge_ids": true}

// volatileVars are channel variables whose values contain names, ids,
// random numbers or times.
func volatileVar(name string) bool {
	return strings.HasPrefix(name, "RTPAUDIOQOS") || name == "BRIDGEPEER" || name == "BRIDGEPVTCALLID" ||
		name == "DIALEDPEERNAME" || strings.HasPrefix(name, "ANSWEREDTIME") || strings.HasPrefix(name, "DIALEDTIME")
}

// compareShape reports where got differs from want: same keys in the same
// order and the same value types everywhere, and the same values except
// for volatile ones.
func compareShape(path string, want, got *jnode, skipValue map[string]bool, diffs *[]string) {
	compareNodes(path, want, got, skipValue, false, diffs)
}

// compareNodes is compareShape; noValues compares only keys and types.
func compareNodes(path string, want, got *jnode, skipValue map[string]bool, noValues bool, diffs *[]string) {
	if want == nil || got == nil {
		if want != got {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, want, got))
		}
		return
	}
	if want.kind != got.kind {
		*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, want, got))
		return
	}
	switch want.kind {
	case 'o':
		if strings.Join(want.keys, ",") != strings.Join(got.keys, ",") {
			*diffs = append(*diffs, fmt.Sprintf("%s: keys want [%s], got [%s]", path, strings.Join(want.keys, ","), strings.Join(got.keys, ",")))
			return
		}
		hasID := want.get("id") != nil
		varName := want.s("variable")
		for i, k := range want.keys {
			skip := volatileKeys[k] || skipValue[k] || (hasID && (k == "id" || k == "name")) ||
				(k == "value" && volatileVar(varName))
			if idArrays[k] {
				if len(want.vals[i].vals) != len(got.vals[i].vals) {
					*diffs = append(*diffs, fmt.Sprintf("%s.%s: %d ids, got %d", path, k, len(want.vals[i].vals), len(got.vals[i].vals)))
				}
				continue
			}
			if skip && (want.vals[i].kind == 'o' || want.vals[i].kind == 'a') {
				compareNodes(path+"."+k, want.vals[i], got.vals[i], skipValue, true, diffs)
				continue
			}
			if (skip || noValues) && want.vals[i].kind != 'o' && want.vals[i].kind != 'a' {
				if want.vals[i].kind != got.vals[i].kind {
					*diffs = append(*diffs, fmt.Sprintf("%s.%s: type %c, got %c", path, k, want.vals[i].kind, got.vals[i].kind))
				}
				continue
			}
			compareNodes(path+"."+k, want.vals[i], got.vals[i], skipValue, noValues, diffs)
		}
	case 'a':
		if len(want.vals) != len(got.vals) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %d elements, got %d: want %s got %s", path, len(want.vals), len(got.vals), want, got))
			return
		}
		used := make([]bool, len(got.vals))
		for i, w := range want.vals {
			best := -1
			var bestDiffs []string
			for j, g := range got.vals {
				if used[j] {
					continue
				}
				var d []string
				compareNodes(fmt.Sprintf("%s[%d]", path, i), w, g, skipValue, noValues, &d)
				if len(d) == 0 {
					best, bestDiffs = j, nil
					break
				}
				if best < 0 {
					best, bestDiffs = j, d
				}
			}
			used[best] = true
			*diffs = append(*diffs, bestDiffs...)
		}
	case 's':
		if !noValues && want.str != got.str {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %q, got %q", path, want.str, got.str))
		}
	case 'n':
		if !noValues && want.num != got.num {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %v, got %v", path, want.num, got.num))
		}
	case 'b':
		if !noValues && want.bl != got.bl {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %v, got %v", path, want.bl, got.bl))
		}
	}
}
