package policy

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The conformance vectors: .ci/ffi.sh compiles every
// tests/conformance/NAME.policy, tests/bypass/NAME.policy (the bypass
// corpus) and examples/NAME.policy to an artifact and flattens their tests
// files into target/ffi/vectors.tsv with the one test-case runner
// (policy_eval::cases, through policy-ffi/examples/ffi_vectors.rs; format in
// spec/tests.md, "Flattened vectors"). The Go tests read that file, as the C
// suite does, so they send exactly the request bytes every runtime sends;
// they never parse a tests file themselves.

func repo() string {
	if r := os.Getenv("APOL_REPO"); r != "" {
		return r
	}
	return filepath.Join("..", "..")
}

type vector struct {
	where    string // FILE:LINE of the case
	dir      string // the tests file's directory: tests/conformance, tests/bypass, examples
	artifact string
	input    string
	rust     string // the Rust runtime's decision JSON, reproduced byte for byte
	expect   map[string]json.RawMessage
}

type suite struct {
	vectors  []vector
	policies map[string]*Policy
	// Stack vectors (spec/tests.md, "Stack vectors"): their artifact field
	// is the stack, LEVEL:NAME:AUDIT:ARTIFACT per layer joined by `;`.
	stackVectors []vector
	stacks       map[string]*Stack
}

// loadPolicy loads an artifact once.
func (s *suite) loadPolicy(artifact string) (*Policy, error) {
	if p := s.policies[artifact]; p != nil {
		return p, nil
	}
	bytes_, err := os.ReadFile(filepath.Join(repo(), artifact))
	if err != nil {
		return nil, err
	}
	p, err := Load(bytes_)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", artifact, err)
	}
	s.policies[artifact] = p
	return p, nil
}

// loadStack builds the stack of a stack vector's field once.
func (s *suite) loadStack(field string) (*Stack, error) {
	if st := s.stacks[field]; st != nil {
		return st, nil
	}
	var layers []Layer
	for _, l := range strings.Split(field, ";") {
		f := strings.SplitN(l, ":", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("bad stack layer %q", l)
		}
		level, err := strconv.ParseUint(f[0], 10, 8)
		if err != nil {
			return nil, fmt.Errorf("bad level in %q", l)
		}
		p, err := s.loadPolicy(f[3])
		if err != nil {
			return nil, err
		}
		layers = append(layers, Layer{Name: f[1], Level: uint8(level), Audit: f[2] == "1", Policy: p})
	}
	st, err := NewStack(layers)
	if err != nil {
		return nil, err
	}
	s.stacks[field] = st
	return st, nil
}

var (
	loadOnce sync.Once
	loaded   suite
	loadErr  error
)

func vectors(t testing.TB) suite {
	loadOnce.Do(func() { loaded, loadErr = readVectors() })
	if loadErr != nil {
		t.Fatalf("%v (run .ci/ffi.sh first: it builds the artifacts and the vectors)", loadErr)
	}
	return loaded
}

// readVectors reads the flattened vectors: FILE:LINE, artifact, request in
// hex, Rust decision JSON, then one `"key":VALUE` fragment per expected key.
func readVectors() (suite, error) {
	s := suite{policies: map[string]*Policy{}, stacks: map[string]*Stack{}}
	path := os.Getenv("APOL_VECTORS")
	if path == "" {
		path = filepath.Join(repo(), "target", "ffi", "vectors.tsv")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			return s, fmt.Errorf("%s: malformed vector line (%d fields): %q", path, len(f), line)
		}
		where, artifact := f[0], f[1]
		file := where
		if i := strings.LastIndexByte(where, ':'); i >= 0 {
			file = where[:i]
		}
		input, err := hex.DecodeString(f[2])
		if err != nil {
			return s, fmt.Errorf("%s: bad hex: %w", where, err)
		}
		v := vector{where: where, dir: filepath.Dir(file), artifact: artifact, input: string(input), rust: f[3],
			expect: map[string]json.RawMessage{}}
		for _, frag := range f[4:] {
			var member map[string]json.RawMessage
			if err := json.Unmarshal([]byte("{"+frag+"}"), &member); err != nil || len(member) != 1 {
				return s, fmt.Errorf("%s: malformed expect fragment %q", where, frag)
			}
			for k, want := range member {
				v.expect[k] = want
			}
		}
		if strings.Contains(artifact, ":") {
			if _, err := s.loadStack(artifact); err != nil {
				return s, fmt.Errorf("%s: %w", where, err)
			}
			s.stackVectors = append(s.stackVectors, v)
			continue
		}
		if _, err := s.loadPolicy(artifact); err != nil {
			return s, err
		}
		s.vectors = append(s.vectors, v)
	}
	return s, nil
}

// sameJSON compares two JSON values exactly (numbers by their text, as
// serde_json compares integers and floats as different).
func sameJSON(a, b json.RawMessage) bool {
	decode := func(r json.RawMessage) (interface{}, error) {
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		var v interface{}
		err := d.Decode(&v)
		return v, err
	}
	x, err1 := decode(a)
	y, err2 := decode(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(x, y)
}

// decider is what decides a vector: a *Policy or a *Stack.
type decider interface {
	DecideJSON(request string) (string, error)
}

// check returns "" when the decision matches every expected key.
func (v *vector) check(p decider) string {
	got, err := p.DecideJSON(v.input)
	if err != nil {
		return fmt.Sprintf("%s: %v", v.where, err)
	}
	if got != v.rust {
		return fmt.Sprintf("%s\n  request:  %s\n  Go gives   %s\n  Rust gives %s", v.where, v.input, got, v.rust)
	}
	var actual map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got), &actual); err != nil {
		return fmt.Sprintf("%s: decision is not JSON: %s", v.where, got)
	}
	// Only the expected keys, each for exact JSON equality; a key the
	// decision lacks never matches (spec/tests.md).
	for k, want := range v.expect {
		have, ok := actual[k]
		if !ok || !sameJSON(have, want) {
			return fmt.Sprintf("%s\n  request:  %s\n  expected %s: %s\n  actual:   %s", v.where, v.input, k, want, got)
		}
	}
	return ""
}

func TestConformanceVectors(t *testing.T) {
	s := vectors(t)
	if len(s.vectors) == 0 {
		t.Fatal("no vectors")
	}
	failed := 0
	total, bad := map[string]int{}, map[string]int{}
	for i := range s.vectors {
		v := &s.vectors[i]
		total[v.dir]++
		if msg := v.check(s.policies[v.artifact]); msg != "" {
			failed++
			bad[v.dir]++
			t.Error(msg)
		}
	}
	dirs := make([]string, 0, len(total))
	for d := range total {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		t.Logf("  %s: %d vectors, %d failed", d, total[d], bad[d])
	}
	// A vectors file that silently lost a corpus must not pass.
	for _, d := range []string{filepath.Join("tests", "conformance"), filepath.Join("tests", "bypass"), "examples"} {
		if total[d] == 0 {
			t.Errorf("no vectors from %s in the vectors file", d)
		}
	}
	t.Logf("conformance: %d vectors, %d failed", len(s.vectors), failed)
}

func TestStackVectors(t *testing.T) {
	s := vectors(t)
	total := map[string]int{}
	for i := range s.stackVectors {
		v := &s.stackVectors[i]
		total[v.dir]++
		if msg := v.check(s.stacks[v.artifact]); msg != "" {
			t.Error(msg)
		}
	}
	for _, d := range []string{filepath.Join("tests", "stacks"), filepath.Join("examples", "stack")} {
		if total[d] == 0 {
			t.Errorf("no stack vectors from %s in the vectors file", d)
		}
	}
	t.Logf("stacks: %d vectors", len(s.stackVectors))
}

func TestStackRefusesBadLayers(t *testing.T) {
	s := vectors(t)
	p := s.policies[filepath.Join("target", "ffi", "examples", "coding-agent.apol")]
	if p == nil {
		t.Fatal("no example policy")
	}
	var perr *Error
	for _, bad := range [][]Layer{
		nil,
		{{Name: "a", Level: 1, Policy: p}},
		{{Name: "a", Policy: p}, {Name: "a", Level: 1, Policy: p}},
		{{Name: "a b", Policy: p}},
		{{Name: "a", Audit: true, Policy: p}},
	} {
		if _, err := NewStack(bad); !errors.As(err, &perr) || perr.Code != ErrStack {
			t.Errorf("NewStack(%v): %v, want ErrStack", bad, err)
		}
	}
	if _, err := NewStack([]Layer{{Name: "a"}}); err == nil {
		t.Error("a layer without a policy")
	}
	st, err := NewStack([]Layer{{Name: "org", Policy: p}, {Name: "team", Level: 1, Policy: p}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.DecideJSON(`{"surface":"network","host":"api.github.com","port":443}`)
	if err != nil || !strings.Contains(got, `"layer":"org"`) {
		t.Errorf("DecideJSON: %s, %v", got, err)
	}
	if err := st.Close(); err != nil {
		t.Error(err)
	}
	if _, err := st.DecideJSON("{}"); err != ErrClosed {
		t.Errorf("after Close: %v", err)
	}
}

// typedRequest is a JSON request as the typed API sees it: optional fields
// are pointers, nil when the key is missing or null, as in the JSON layer.
type typedRequest struct {
	Surface *string `json:"surface"`
	Host    *string `json:"host"`
	IP      *string `json:"ip"`
	Port    *uint32 `json:"port"`
	Path    *string `json:"path"`
	Method  *string `json:"method"`
	Access  *string `json:"access"`
	Name    *string `json:"name"`
	Server  *string `json:"server"`
	Tool    *string `json:"tool"`
	Source  *string `json:"source"`
	Context *struct {
		Roots json.RawMessage `json:"roots"`
		// Recorded in events only; they never change a decision.
		User, Session, Agent *string
	} `json:"context"`
}

// explicitEmpty reports whether an optional field is given as "" or port 0:
// the values the typed API once confused with absent.
func (r *typedRequest) explicitEmpty() bool {
	for _, s := range []*string{r.Host, r.IP, r.Tool, r.Source} {
		if s != nil && *s == "" {
			return true
		}
	}
	return r.Port != nil && *r.Port == 0
}

// orderedRoots reads a JSON object of root bindings in order, duplicates
// kept, as the JSON layer does (Go maps would lose both).
func orderedRoots(raw json.RawMessage) ([]Root, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var roots []Root
	for d.More() {
		k, err1 := d.Token()
		v, err2 := d.Token()
		name, ok1 := k.(string)
		path, ok2 := v.(string)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return nil, false
		}
		roots = append(roots, Root{Name: name, Path: path})
	}
	return roots, true
}

// typedCall maps a vector's JSON request onto the typed API. It reports
// false for what the typed API cannot express: raw text, and requests the
// JSON layer refuses as JSON (unknown, duplicate, missing or misplaced
// fields, wrong types, an unknown surface or access), given the JSON
// decision's message.
func typedCall(p *Policy, input, jsonMessage string) (call func() (Decision, error), r typedRequest, ok bool) {
	for _, prefix := range []string{"request ", "surface must be", "access must be"} {
		if strings.HasPrefix(jsonMessage, prefix) {
			return nil, r, false
		}
	}
	d := json.NewDecoder(strings.NewReader(input))
	d.DisallowUnknownFields()
	if d.Decode(&r) != nil || r.Surface == nil {
		return nil, r, false
	}
	var roots []Root
	if r.Context != nil {
		if roots, ok = orderedRoots(r.Context.Roots); !ok {
			return nil, r, false
		}
	}
	switch *r.Surface {
	case "network":
		switch {
		case r.Method != nil && r.Path != nil:
			// An HTTP request: the connection plus method and path.
			return func() (Decision, error) { return p.DecideHTTP(r.Host, r.IP, r.Port, *r.Method, *r.Path) }, r, true
		case r.Method != nil || r.Path != nil:
			// One without the other (HttpIncomplete): DecideHTTP takes both.
			return nil, r, false
		}
		return func() (Decision, error) { return p.DecideNetwork(r.Host, r.IP, r.Port) }, r, true
	case "filesystem":
		access := map[string]Access{"read": Read, "write": Write, "read write": ReadWrite}[deref(r.Access)]
		if r.Path == nil || access == 0 {
			return nil, r, false
		}
		return func() (Decision, error) { return p.DecideFilesystem(*r.Path, access, roots...) }, r, true
	case "credential":
		if r.Name == nil {
			return nil, r, false
		}
		return func() (Decision, error) { return p.DecideCredential(*r.Name, r.Host, r.IP) }, r, true
	case "mcp":
		if r.Server == nil {
			return nil, r, false
		}
		return func() (Decision, error) { return p.DecideMCP(*r.Server, r.Tool, r.Source) }, r, true
	}
	return nil, r, false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Every vector the typed API can express gets the same decision through it
// as through JSON (itself checked against the vectors' expectations above):
// absent fields are nil, and "" or port 0 are sent as given.
func TestTypedConformanceVectors(t *testing.T) {
	s := vectors(t)
	typed, empties, http := 0, 0, 0
	for i := range s.vectors {
		v := &s.vectors[i]
		p := s.policies[v.artifact]
		want, err := p.DecideJSON(v.input)
		if err != nil {
			t.Errorf("%s: %v", v.where, err)
			continue
		}
		var wantD struct{ Message string }
		if err := json.Unmarshal([]byte(want), &wantD); err != nil {
			t.Errorf("%s: decision is not JSON: %s", v.where, want)
			continue
		}
		call, r, ok := typedCall(p, v.input, wantD.Message)
		if !ok {
			continue
		}
		typed++
		if r.Method != nil {
			http++
		}
		if r.explicitEmpty() {
			empties++
		}
		d, err := call()
		if err != nil {
			t.Errorf("%s: typed call failed: %v\n  request: %s", v.where, err, v.input)
		} else if got := decisionJSON(d); got != withoutApproval(want) {
			t.Errorf("%s\n  request: %s\n  typed: %s\n  json:  %s", v.where, v.input, got, want)
		}
	}
	t.Logf("typed: %d of %d vectors, %d with an explicit \"\" or port 0, %d HTTP", typed, len(s.vectors), empties, http)
	// The vectors have hundreds of typed-expressible requests, among them
	// empty hosts, ips, tools, sources and port 0: a mapping that lost
	// them must not pass.
	if typed < len(s.vectors)/2 || empties < 10 {
		t.Errorf("only %d typed vectors, %d with an explicit empty field", typed, empties)
	}
	// tests/conformance/http-requests.tests.jsonl alone has dozens of HTTP
	// requests with both method and path, accepted and refused.
	if http < 50 {
		t.Errorf("only %d typed HTTP vectors (DecideHTTP)", http)
	}
}

// Optional fields are pointers: nil is absent, any other value is sent as
// given. An explicit "" or port 0 is invalid, as in JSON and C; it never
// falls back to absent, which would turn a credential send into a
// visibility check (allowed by this policy).
func TestAbsenceIsExplicit(t *testing.T) {
	p := examplePolicy(t)
	cases := []struct {
		what    string
		decide  func() (Decision, error)
		effect  Effect
		reason  Reason
		message string
	}{
		{"credential send to an empty host",
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", String(""), nil) },
			Deny, ReasonInvalid, "host is empty"},
		{"credential send to an empty ip",
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", nil, String("")) },
			Deny, ReasonInvalid, "ip is not a valid IPv4 or IPv6 address"},
		{"credential visibility (no destination)",
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", nil, nil) },
			Allow, ReasonRule, ""},
		{"network port 0",
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), nil, Port(0)) },
			Deny, ReasonInvalid, "port must be between 1 and 65535"},
		{"network without a port",
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), nil, nil) },
			Deny, ReasonDefault, ""},
		{"network port 443",
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), nil, Port(443)) },
			Allow, ReasonRule, ""},
		{"network empty host with an allowed ip",
			func() (Decision, error) { return p.DecideNetwork(String(""), String("140.82.112.3"), Port(443)) },
			Deny, ReasonInvalid, "host is empty"},
		{"network no host and no ip",
			func() (Decision, error) { return p.DecideNetwork(nil, nil, Port(443)) },
			Deny, ReasonInvalid, "network request needs a host, an ip, or both"},
		{"mcp empty tool",
			func() (Decision, error) { return p.DecideMCP("github", String(""), nil) },
			Deny, ReasonInvalid, "name is empty"},
		{"mcp empty source",
			func() (Decision, error) { return p.DecideMCP("github", String("get_me"), String("")) },
			Deny, ReasonInvalid, "source must be 1 to 2048 bytes without control characters"},
	}
	for _, c := range cases {
		d, err := c.decide()
		if err != nil || d.Effect != c.effect || d.Reason != c.reason || d.Message != c.message {
			t.Errorf("%s: %+v %v, want %s %s %q", c.what, d, err, c.effect, c.reason, c.message)
		}
	}
	if d, _ := p.DecideCredential("GITHUB_TOKEN", nil, nil); !d.Session {
		t.Errorf("credential visibility: %+v, want a session grant", d)
	}
}

// Rust's JSON layer is the reference: typed decisions must agree with it.
func TestTypedAgreesWithJSON(t *testing.T) {
	p := examplePolicy(t)
	roots := []Root{{"home", "/home/u"}, {"workspace", "/home/u/w"}}
	cases := []struct {
		json   string
		decide func() (Decision, error)
	}{
		{`{"surface":"network","host":"api.github.com","ip":"140.82.112.3","port":443}`,
			func() (Decision, error) {
				return p.DecideNetwork(String("api.github.com"), String("140.82.112.3"), Port(443))
			}},
		{`{"surface":"network","host":"github.com","ip":"10.1.2.3","port":443}`,
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), String("10.1.2.3"), Port(443)) }},
		{`{"surface":"network","host":"github.com"}`,
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), nil, nil) }},
		{`{"surface":"network","host":"github.com","port":0}`,
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), nil, Port(0)) }},
		{`{"surface":"network","host":"","ip":"140.82.112.3","port":443}`,
			func() (Decision, error) { return p.DecideNetwork(String(""), String("140.82.112.3"), Port(443)) }},
		{`{"surface":"network","host":"github.com","ip":"","port":443}`,
			func() (Decision, error) { return p.DecideNetwork(String("github.com"), String(""), Port(443)) }},
		{`{"surface":"network","ip":"140.82.112.3","port":443}`,
			func() (Decision, error) { return p.DecideNetwork(nil, String("140.82.112.3"), Port(443)) }},
		{`{"surface":"network"}`,
			func() (Decision, error) { return p.DecideNetwork(nil, nil, nil) }},
		{`{"surface":"network","host":"evil.com:443","port":443}`,
			func() (Decision, error) { return p.DecideNetwork(String("evil.com:443"), nil, Port(443)) }},
		{`{"surface":"network","host":"api.github.com","port":443,"method":"GET","path":"/repos/o/r/"}`,
			func() (Decision, error) {
				return p.DecideHTTP(String("api.github.com"), nil, Port(443), "GET", "/repos/o/r/")
			}},
		{`{"surface":"network","host":"api.github.com","port":443,"method":"get","path":"/repos"}`,
			func() (Decision, error) {
				return p.DecideHTTP(String("api.github.com"), nil, Port(443), "get", "/repos")
			}},
		{`{"surface":"network","host":"api.github.com","port":443,"method":"GET","path":"/a%2Fb"}`,
			func() (Decision, error) {
				return p.DecideHTTP(String("api.github.com"), nil, Port(443), "GET", "/a%2Fb")
			}},
		{`{"surface":"network","host":"api.github.com","port":443,"method":"GET","path":""}`,
			func() (Decision, error) { return p.DecideHTTP(String("api.github.com"), nil, Port(443), "GET", "") }},
		{`{"surface":"network","host":"api.github.com","port":443,"method":"","path":"/"}`,
			func() (Decision, error) { return p.DecideHTTP(String("api.github.com"), nil, Port(443), "", "/") }},
		{`{"surface":"network","host":"github.com","ip":"10.1.2.3","port":443,"method":"GET","path":"/"}`,
			func() (Decision, error) {
				return p.DecideHTTP(String("github.com"), String("10.1.2.3"), Port(443), "GET", "/")
			}},
		{`{"surface":"network","method":"GET","path":"/"}`,
			func() (Decision, error) { return p.DecideHTTP(nil, nil, nil, "GET", "/") }},
		{`{"surface":"filesystem","path":"/home/u/w/a.rs","access":"write","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}`,
			func() (Decision, error) { return p.DecideFilesystem("/home/u/w/a.rs", Write, roots...) }},
		{`{"surface":"filesystem","path":"/home/u/.ssh/id_rsa","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}`,
			func() (Decision, error) { return p.DecideFilesystem("/home/u/.ssh/id_rsa", Read, roots...) }},
		{`{"surface":"filesystem","path":"/usr/lib","access":"read"}`,
			func() (Decision, error) { return p.DecideFilesystem("/usr/lib", Read) }},
		{`{"surface":"credential","name":"NPM_TOKEN","host":"registry.npmjs.org"}`,
			func() (Decision, error) { return p.DecideCredential("NPM_TOKEN", String("registry.npmjs.org"), nil) }},
		{`{"surface":"credential","name":"GITHUB_TOKEN"}`,
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", nil, nil) }},
		{`{"surface":"credential","name":"GITHUB_TOKEN","host":""}`,
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", String(""), nil) }},
		{`{"surface":"credential","name":"GITHUB_TOKEN","ip":""}`,
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", nil, String("")) }},
		{`{"surface":"credential","name":""}`,
			func() (Decision, error) { return p.DecideCredential("", nil, nil) }},
		{`{"surface":"mcp","server":"github","tool":"delete_repo","source":"ghcr.io/github/github-mcp-server:v0.8.0"}`,
			func() (Decision, error) {
				return p.DecideMCP("github", String("delete_repo"), String("ghcr.io/github/github-mcp-server:v0.8.0"))
			}},
		{`{"surface":"mcp","server":"github","tool":"create_issue","source":"ghcr.io/github/github-mcp-server:v0.8.0"}`,
			func() (Decision, error) {
				return p.DecideMCP("github", String("create_issue"), String("ghcr.io/github/github-mcp-server:v0.8.0"))
			}},
		{`{"surface":"mcp","server":"github"}`,
			func() (Decision, error) { return p.DecideMCP("github", nil, nil) }},
		{`{"surface":"mcp","server":"github","tool":"","source":"ghcr.io/github/github-mcp-server:v0.8.0"}`,
			func() (Decision, error) {
				return p.DecideMCP("github", String(""), String("ghcr.io/github/github-mcp-server:v0.8.0"))
			}},
		{`{"surface":"mcp","server":"github","tool":"get_me","source":""}`,
			func() (Decision, error) { return p.DecideMCP("github", String("get_me"), String("")) }},
	}
	for _, c := range cases {
		d, err := c.decide()
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		want, _ := p.DecideJSON(c.json)
		if got := decisionJSON(d); got != withoutApproval(want) {
			t.Errorf("%s:\n  typed: %s\n  json:  %s", c.json, got, want)
		}
	}
}

// withoutApproval drops what only the JSON layer adds to a decision, from
// the request: the "approval" of an ask (spec/requests.md "Approvals") and
// the argument "constraints" and "unmet" of a tool call (section
// "arguments"). They are its last keys, in that order; typed decisions
// carry none of them.
func withoutApproval(s string) string {
	cut := len(s)
	for _, key := range []string{`,"approval":`, `,"constraints":`, `,"unmet":`} {
		if i := strings.Index(s, key); i >= 0 && i < cut {
			cut = i
		}
	}
	if cut < len(s) {
		return s[:cut] + "}"
	}
	return s
}

// decisionJSON renders a typed decision as the JSON layer does.
func decisionJSON(d Decision) string {
	rule := "null"
	if d.RuleIndex >= 0 {
		b, _ := json.Marshal(d.Rule)
		rule = string(b)
	}
	s := fmt.Sprintf(`{"decision":"%s","rule":%s,"reason":"%s"`, d.Effect, rule, d.Reason)
	if d.Message != "" {
		b, _ := json.Marshal(d.Message)
		s += `,"message":` + string(b)
	}
	if d.Session {
		s += `,"lifetime":"session"`
	} else if d.Seconds > 0 {
		s += fmt.Sprintf(`,"lifetime":%d`, d.Seconds)
	}
	return s + "}"
}

func examplePolicy(t testing.TB) *Policy {
	s := vectors(t)
	p := s.policies[filepath.Join("target", "ffi", "examples", "coding-agent.apol")]
	if p == nil {
		t.Fatal("examples/coding-agent.policy not in the vectors file")
	}
	return p
}

func TestBadInput(t *testing.T) {
	p := examplePolicy(t)
	var e *Error
	if _, err := p.DecideNetwork(String("caf\xc3"), nil, Port(443)); !errors.As(err, &e) || e.Code != ErrUTF8 ||
		!strings.Contains(e.Message, "host` is not valid UTF-8") {
		t.Errorf("invalid UTF-8 host: %v", err)
	}
	if _, err := p.DecideHTTP(String("github.com"), nil, Port(443), "GET", "/caf\xe9"); !errors.As(err, &e) ||
		e.Code != ErrUTF8 || e.Message != "`path` is not valid UTF-8 (bad byte at offset 4)" {
		t.Errorf("invalid UTF-8 path: %v", err)
	}
	if _, err := p.DecideHTTP(String("github.com"), nil, Port(443), "G\xc9T", "/"); !errors.As(err, &e) ||
		e.Code != ErrUTF8 || !strings.Contains(e.Message, "method` is not valid UTF-8") {
		t.Errorf("invalid UTF-8 method: %v", err)
	}
	d, err := p.DecideHTTP(String("api.github.com"), nil, Port(443), "GET", "/"+strings.Repeat("a", 1<<20))
	if err != nil || d.Reason != ReasonInvalid || d.Message != "HTTP path is longer than 4096 bytes" {
		t.Errorf("oversized path: %+v %v", d, err)
	}
	if _, err := p.DecideFilesystem("/x", Read, Root{"home", "/h\xff"}); !errors.As(err, &e) || e.Code != ErrUTF8 {
		t.Errorf("invalid UTF-8 root: %v", err)
	}
	if got, _ := p.DecideJSON("{\"surface\":\"network\",\"host\":\"\xff\"}"); !strings.Contains(got, "not well-formed JSON") {
		t.Errorf("invalid UTF-8 JSON: %s", got)
	}
	if got, _ := p.DecideJSON(strings.Repeat(" ", 70000)); !strings.Contains(got, "larger than 64 KiB") {
		t.Errorf("oversized JSON: %s", got)
	}
	d, err = p.DecideNetwork(String(strings.Repeat("a", 1<<20)), nil, Port(443))
	if err != nil || d.Reason != ReasonInvalid || d.Message != "host is longer than 253 bytes" {
		t.Errorf("oversized host: %+v %v", d, err)
	}
	if _, err := Load([]byte("policy x\n")); !errors.As(err, &e) || e.Code != ErrArtifact || !strings.Contains(e.Message, "magic") {
		t.Errorf("source text as artifact: %v", err)
	}
	if _, err := Load(nil); !errors.As(err, &e) || e.Code != ErrArtifact {
		t.Errorf("empty artifact: %v", err)
	}
	art, err := os.ReadFile(filepath.Join(repo(), "target", "ffi", "examples", "coding-agent.apol"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 8, 31, 32, len(art) / 2, len(art) - 1} {
		if _, err := Load(art[:n]); !errors.As(err, &e) || e.Code != ErrArtifact {
			t.Errorf("artifact truncated to %d bytes: %v", n, err)
		}
	}
	q, err := Load(art)
	if err != nil {
		t.Fatal(err)
	}
	if q.Name() != "coding-agent" || q.Version() != "1.0.0" {
		t.Errorf("name %q version %q", q.Name(), q.Version())
	}
	if err := q.Close(); err != nil {
		t.Error(err)
	}
	if err := q.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := q.DecideNetwork(String("github.com"), nil, Port(443)); err != ErrClosed {
		t.Errorf("closed policy: %v", err)
	}
	if _, err := q.DecideHTTP(String("github.com"), nil, Port(443), "GET", "/"); err != ErrClosed {
		t.Errorf("closed policy, HTTP: %v", err)
	}
	if _, err := q.DecideJSON("{}"); err != ErrClosed {
		t.Errorf("closed policy: %v", err)
	}
	min, max := ArtifactFormats()
	if LibraryVersion() == "" || min < 1 || max < min {
		t.Errorf("versions %q %d %d", LibraryVersion(), min, max)
	}
}

func TestEvent(t *testing.T) {
	p := examplePolicy(t)
	line, err := p.EventJSON(`{"surface":"network","host":"0x7f.1","context":{"user":"alice"}}`, 1795464000123)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]interface{}
	if err := json.Unmarshal([]byte(line), &ev); err != nil || !strings.HasSuffix(line, "\n") {
		t.Fatalf("event %q: %v", line, err)
	}
	req, _ := ev["request"].(map[string]interface{})
	if ev["time"] != "2026-11-23T20:00:00.123Z" || ev["user"] != "alice" || req["host"] != "127.0.0.1" || ev["decision"] != "deny" {
		t.Errorf("event: %s", line)
	}
}

// 64 goroutines decide every vector against the shared policies; every
// answer is checked.
func TestConcurrentDecisions(t *testing.T) {
	s := vectors(t)
	const goroutines = 64
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	var mu sync.Mutex
	checked := 0
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			n := 0
			for r := 0; r < rounds; r++ {
				for k := range s.vectors {
					v := &s.vectors[(k+g*131)%len(s.vectors)]
					if msg := v.check(s.policies[v.artifact]); msg != "" {
						errs <- msg
						return
					}
					n++
				}
			}
			// The typed fast path too.
			p := s.policies[filepath.Join("target", "ffi", "examples", "coding-agent.apol")]
			for i := 0; i < 200; i++ {
				d, err := p.DecideNetwork(String("api.github.com"), String("140.82.112.3"), Port(443))
				if err != nil || d.Effect != Allow || d.Rule != "github" {
					errs <- fmt.Sprintf("typed decision %+v %v", d, err)
					return
				}
				n++
			}
			mu.Lock()
			checked += n
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	t.Logf("%d goroutines, %d answers checked", goroutines, checked)
}

func BenchmarkDecideNetwork(b *testing.B) {
	p := examplePolicy(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := p.DecideNetwork(String("api.github.com"), nil, Port(443))
		if err != nil || d.Effect != Allow {
			b.Fatal(d, err)
		}
	}
}

func BenchmarkDecideJSON(b *testing.B) {
	p := examplePolicy(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.DecideJSON(`{"surface":"network","host":"api.github.com","port":443}`); err != nil {
			b.Fatal(err)
		}
	}
}

// The cost of a cgo call alone (a C function that returns a constant), to
// separate the cgo overhead from the decision in BenchmarkDecideNetwork.
func BenchmarkCgoCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, max := ArtifactFormats(); max == 0 {
			b.Fatal("no format")
		}
	}
}

// TestToolDigestVectors runs the tool-digest vectors (tests/pins), as
// flattened by .ci/ffi.sh into target/ffi/pins.tsv (policy_eval::cases::pins):
// FILE:LINE, definition in hex, then `digest` DIGEST or `error` MESSAGE.
func TestToolDigestVectors(t *testing.T) {
	path := os.Getenv("APOL_PINS")
	if path == "" {
		path = filepath.Join(repo(), "target", "ffi", "pins.tsv")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run .ci/ffi.sh first: it writes the pin vectors)", err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("malformed pin line: %q", line)
		}
		def, err := hex.DecodeString(f[1])
		if err != nil {
			t.Fatalf("%s: bad hex", f[0])
		}
		n++
		got, err := ToolDigest(def)
		switch f[2] {
		case "digest":
			if err != nil || got != f[3] {
				t.Errorf("%s: got %q, %v; want %s", f[0], got, err, f[3])
			}
		case "error":
			var e *Error
			if !errors.As(err, &e) || e.Code != ErrToolDefinition || e.Message != f[3] || got != "" {
				t.Errorf("%s: got %q, %v; want error %q", f[0], got, err, f[3])
			}
		default:
			t.Fatalf("%s: bad kind %q", f[0], f[2])
		}
	}
	if n < 70 {
		t.Fatalf("only %d pin vectors", n)
	}
	t.Logf("%d tool-digest vectors", n)
	if d, err := ToolDigest(nil); err == nil || d != "" {
		t.Errorf("nil definition: got %q, %v", d, err)
	}
}

// TestListToolsVectors runs the tool-listing vectors (tests/listing), as
// flattened by .ci/ffi.sh into target/ffi/listing.tsv
// (policy_eval::cases::listing): FILE:LINE, request in hex, the Rust
// runtime's answer, which ListToolsJSON must give byte for byte. Then
// ListTools, the typed form, on the same policy.
func TestListToolsVectors(t *testing.T) {
	path, art := os.Getenv("APOL_LISTING"), os.Getenv("APOL_LISTING_ARTIFACT")
	if path == "" {
		path = filepath.Join(repo(), "target", "ffi", "listing.tsv")
	}
	if art == "" {
		art = filepath.Join(repo(), "target", "ffi", "listing", "mcp.apol")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run .ci/ffi.sh first: it writes the listing vectors)", err)
	}
	bytes_, err := os.ReadFile(art)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(bytes_)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n := 0
	for _, line := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("malformed listing line: %q", line)
		}
		req, err := hex.DecodeString(f[1])
		if err != nil {
			t.Fatalf("%s: bad hex", f[0])
		}
		n++
		got, err := p.ListToolsJSON(string(req))
		if err != nil || got != f[2] {
			t.Errorf("%s: got %q, %v; want %s", f[0], got, err, f[2])
		}
	}
	if n < 15 {
		t.Fatalf("only %d listing vectors", n)
	}
	t.Logf("%d tool-listing vectors", n)

	src := "ghcr.io/github/github-mcp-server:v0.8.0"
	got, err := p.ListTools("github", &src, []string{"get_issue", "create_issue", "delete_repo", "merge", "get_issue", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, decision string
		listed         bool
	}{{"get_issue", "allow", true}, {"create_issue", "ask", true}, {"delete_repo", "deny", false},
		{"merge", "deny", false}, {"get_issue", "allow", true}, {"", "deny", false}}
	if len(got) != len(want) {
		t.Fatalf("got %d tools: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Decision != w.decision || g.Listed != w.listed {
			t.Errorf("tool %d: got %+v, want %+v", i, g, w)
		}
	}
	if got[0].Rule == nil || *got[0].Rule != "mcp.github.allow.get_*" || got[3].Rule != nil || got[5].Message != "name is empty" {
		t.Errorf("rules and messages: %+v", got)
	}
	other := "ghcr.io/evil/github:latest"
	for _, s := range []*string{nil, &other} {
		got, err := p.ListTools("github", s, []string{"get_issue"})
		if err != nil || len(got) != 1 || got[0].Listed || got[0].Reason != "default" {
			t.Errorf("source %v: got %+v, %v", s, got, err)
		}
	}
	if got, err := p.ListTools("github", &src, nil); err != nil || len(got) != 0 {
		t.Errorf("no tools: got %+v, %v", got, err)
	}
	many := make([]string, 4097)
	for i := range many {
		many[i] = "get_x"
	}
	var le *ListError
	if _, err := p.ListTools("github", &src, many); !errors.As(err, &le) || le.Kind != "too_many_tools" {
		t.Errorf("4097 tools: got %v", err)
	}
	if got, err := p.ListTools("github", &src, many[:4096]); err != nil || len(got) != 4096 || !got[4095].Listed {
		t.Errorf("4096 tools: %v", err)
	}
}
