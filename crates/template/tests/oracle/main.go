// Command oracle runs Go's own text/template over the cases in cases.txt and
// writes the results as the golden file the Rust tests compare against.
//
// Each case is parsed and executed exactly as matchbox does it:
// template.New("").Option("missingkey=error").Parse(text), executed against
// metadata decoded with encoding/json into map[string]interface{} plus a
// "request" entry holding {"query": map[string]string, "raw_query": string}.
// Cases marked "-- raw" execute against json.Unmarshal into interface{}
// directly, without the request entry.
//
// Usage: go run main.go cases.txt datasets.json ../golden/cases.json
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"
)

type caseSpec struct {
	Name       string
	Template   string
	Dataset    string          // a dataset name, or "" when Data is inline
	Data       json.RawMessage // the data as JSON
	Raw        bool
	Query      map[string]string
	RawQuery   string
	DefaultReq bool
	Line       int
}

type request struct {
	Query    map[string]string `json:"query"`
	RawQuery string            `json:"raw_query"`
}

// golden is one case as the Rust test reads it. Data is either a dataset
// name or inline JSON; a case in "raw" mode executes against the data
// itself, otherwise against the data plus a "request" entry (the default
// request unless one is given).
type golden struct {
	Name      string          `json:"name"`
	Template  string          `json:"template"`
	Dataset   string          `json:"dataset,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Raw       bool            `json:"raw,omitempty"`
	Request   *request        `json:"request,omitempty"`
	Output    *string         `json:"output,omitempty"`
	OutputHex string          `json:"output_hex,omitempty"`
	ErrorKind string          `json:"error_kind,omitempty"`
	Error     string          `json:"error,omitempty"`
}

type goldenFile struct {
	Comment        string                     `json:"comment"`
	GoVersion      string                     `json:"go_version"`
	Datasets       map[string]json.RawMessage `json:"datasets"`
	DefaultRequest request                    `json:"default_request"`
	Cases          []golden                   `json:"cases"`
}

var stdQuery = map[string]string{"mac": "52:54:00:a1:9c:ae", "foo": "bar", "count": "3"}

const stdRawQuery = "mac=52-54-00-a1-9c-ae&foo=bar&count=3"

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func parseCases(path string, datasets map[string]json.RawMessage) []caseSpec {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	var cases []caseSpec
	var cur *caseSpec
	var body []string
	quoted := false
	seen := map[string]bool{}
	finish := func() {
		if cur == nil {
			return
		}
		for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
			body = body[:len(body)-1]
		}
		text := strings.Join(body, "\n")
		if quoted {
			s, err := strconv.Unquote(strings.TrimSpace(text))
			if err != nil {
				fail("%s:%d: case %q: bad quoted template: %v", path, cur.Line, cur.Name, err)
			}
			text = s
		}
		cur.Template = text
		cases = append(cases, *cur)
		cur = nil
		body = nil
		quoted = false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lineNo := 0
	inOptions := false
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		switch {
		case strings.HasPrefix(line, "== "):
			finish()
			name := strings.TrimSpace(line[3:])
			if seen[name] {
				fail("%s:%d: duplicate case name %q", path, lineNo, name)
			}
			seen[name] = true
			cur = &caseSpec{Name: name, Dataset: "std", Data: datasets["std"], Query: stdQuery, RawQuery: stdRawQuery, DefaultReq: true, Line: lineNo}
			inOptions = true
		case strings.HasPrefix(line, "## ") || line == "##":
			finish()
		case cur != nil && inOptions && strings.HasPrefix(line, "-- "):
			opt := strings.TrimSpace(line[3:])
			key, val, _ := strings.Cut(opt, " ")
			val = strings.TrimSpace(val)
			switch key {
			case "data":
				if strings.HasPrefix(val, "@") {
					d, ok := datasets[val[1:]]
					if !ok {
						fail("%s:%d: unknown dataset %s", path, lineNo, val)
					}
					cur.Dataset = val[1:]
					cur.Data = d
				} else {
					cur.Dataset = ""
					cur.Data = compact(val)
				}
			case "raw":
				cur.Raw = true
				cur.Dataset = ""
				cur.Data = compact(val)
			case "query":
				q := map[string]string{}
				if err := json.Unmarshal([]byte(val), &q); err != nil {
					fail("%s:%d: bad query: %v", path, lineNo, err)
				}
				cur.Query = q
				cur.DefaultReq = false
			case "rawquery":
				cur.RawQuery = val
				cur.DefaultReq = false
			case "quoted":
				quoted = true
			default:
				fail("%s:%d: unknown option %q", path, lineNo, key)
			}
		case cur != nil:
			inOptions = false
			body = append(body, line)
		}
	}
	finish()
	if err := sc.Err(); err != nil {
		fail("%v", err)
	}
	return cases
}

func compact(s string) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		fail("bad JSON %q: %v", s, err)
	}
	return b.Bytes()
}

func run(c caseSpec) golden {
	g := golden{Name: c.Name, Template: c.Template, Dataset: c.Dataset, Raw: c.Raw}
	if c.Dataset == "" {
		g.Data = c.Data
	}
	var data interface{}
	if c.Raw {
		if err := json.Unmarshal(c.Data, &data); err != nil {
			fail("case %q: bad raw data: %v", c.Name, err)
		}
	} else {
		if !c.DefaultReq {
			g.Request = &request{Query: c.Query, RawQuery: c.RawQuery}
		}
		m := map[string]interface{}{}
		if err := json.Unmarshal(c.Data, &m); err != nil {
			fail("case %q: bad data: %v", c.Name, err)
		}
		m["request"] = map[string]interface{}{"query": c.Query, "raw_query": c.RawQuery}
		data = m
	}
	tmpl, err := template.New("").Option("missingkey=error").Parse(c.Template)
	if err != nil {
		g.ErrorKind = "parse"
		g.Error = err.Error()
		return g
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		g.ErrorKind = "exec"
		g.Error = err.Error()
		return g
	}
	out := buf.String()
	if utf8.ValidString(out) {
		g.Output = &out
	} else {
		g.OutputHex = fmt.Sprintf("%x", buf.Bytes())
	}
	return g
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: oracle cases.txt datasets.json out.json")
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	datasets := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &datasets); err != nil {
		fail("datasets: %v", err)
	}
	for k, v := range datasets {
		var compact bytes.Buffer
		if err := json.Compact(&compact, v); err != nil {
			fail("dataset %s: %v", k, err)
		}
		datasets[k] = compact.Bytes()
	}
	cases := parseCases(os.Args[1], datasets)
	out := goldenFile{
		Comment:        "Generated by tests/oracle/regenerate.sh from tests/oracle/cases.txt with Go's text/template; do not edit.",
		GoVersion:      runtime.Version(),
		Datasets:       datasets,
		DefaultRequest: request{Query: stdQuery, RawQuery: stdRawQuery},
	}
	for _, c := range cases {
		out.Cases = append(out.Cases, run(c))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(os.Args[3], b.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %d cases to %s\n", len(out.Cases), os.Args[3])
}
