package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The conformance vectors: .ci/ffi.sh compiles every
// tests/conformance/NAME.policy, tests/bypass/NAME.policy (the bypass
// corpus) and examples/NAME.policy to an artifact and lists
// `TESTS.jsonl<TAB>ARTIFACT` pairs, relative to the workspace, in
// target/ffi/manifest.tsv. The tests files are read here directly.

func repo() string {
	if r := os.Getenv("APOL_REPO"); r != "" {
		return r
	}
	return filepath.Join("..", "..")
}

type vector struct {
	where    string
	dir      string // the tests file's directory: tests/conformance, tests/bypass, examples
	artifact string
	input    string
	expect   map[string]json.RawMessage
}

type suite struct {
	vectors  []vector
	policies map[string]*Policy
}

var (
	loadOnce sync.Once
	loaded   suite
	loadErr  error
)

func vectors(t testing.TB) suite {
	loadOnce.Do(func() { loaded, loadErr = readVectors() })
	if loadErr != nil {
		t.Fatalf("%v (run .ci/ffi.sh first: it builds the artifacts)", loadErr)
	}
	return loaded
}

func readVectors() (suite, error) {
	s := suite{policies: map[string]*Policy{}}
	manifest := os.Getenv("APOL_MANIFEST")
	if manifest == "" {
		manifest = filepath.Join(repo(), "target", "ffi", "manifest.tsv")
	}
	m, err := os.ReadFile(manifest)
	if err != nil {
		return s, err
	}
	for _, entry := range strings.Split(strings.TrimSpace(string(m)), "\n") {
		parts := strings.Split(entry, "\t")
		if len(parts) != 2 {
			return s, fmt.Errorf("%s: bad line %q", manifest, entry)
		}
		tests, artifact := parts[0], parts[1]
		bytes_, err := os.ReadFile(filepath.Join(repo(), artifact))
		if err != nil {
			return s, err
		}
		p, err := Load(bytes_)
		if err != nil {
			return s, fmt.Errorf("%s: %w", artifact, err)
		}
		s.policies[artifact] = p
		f, err := os.Open(filepath.Join(repo(), tests))
		if err != nil {
			return s, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 1; sc.Scan(); n++ {
			line := sc.Bytes()
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var c struct {
				Name    string                     `json:"name"`
				Request json.RawMessage            `json:"request"`
				Raw     *string                    `json:"raw"`
				Expect  map[string]json.RawMessage `json:"expect"`
			}
			if err := json.Unmarshal(line, &c); err != nil {
				f.Close()
				return s, fmt.Errorf("%s:%d: %w", tests, n, err)
			}
			v := vector{where: fmt.Sprintf("%s:%d (%s)", tests, n, c.Name), dir: filepath.Dir(tests), artifact: artifact, expect: c.Expect}
			if c.Raw != nil {
				v.input = *c.Raw
			} else {
				// As polc test: the request object, re-serialized compactly.
				var buf bytes.Buffer
				if err := json.Compact(&buf, c.Request); err != nil {
					f.Close()
					return s, fmt.Errorf("%s:%d: %w", tests, n, err)
				}
				v.input = buf.String()
			}
			s.vectors = append(s.vectors, v)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return s, err
		}
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

// check returns "" when the decision matches every expected key.
func (v *vector) check(p *Policy) string {
	got, err := p.DecideJSON(v.input)
	if err != nil {
		return fmt.Sprintf("%s: %v", v.where, err)
	}
	var actual map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got), &actual); err != nil {
		return fmt.Sprintf("%s: decision is not JSON: %s", v.where, got)
	}
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
	// A manifest that silently lost a corpus must not pass.
	for _, d := range []string{filepath.Join("tests", "conformance"), filepath.Join("tests", "bypass"), "examples"} {
		if total[d] == 0 {
			t.Errorf("no vectors from %s in the manifest", d)
		}
	}
	t.Logf("conformance: %d vectors, %d failed", len(s.vectors), failed)
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
			func() (Decision, error) { return p.DecideNetwork("api.github.com", "140.82.112.3", 443) }},
		{`{"surface":"network","host":"github.com","ip":"10.1.2.3","port":443}`,
			func() (Decision, error) { return p.DecideNetwork("github.com", "10.1.2.3", 443) }},
		{`{"surface":"network","host":"github.com"}`,
			func() (Decision, error) { return p.DecideNetwork("github.com", "", 0) }},
		{`{"surface":"network","host":"evil.com:443","port":443}`,
			func() (Decision, error) { return p.DecideNetwork("evil.com:443", "", 443) }},
		{`{"surface":"filesystem","path":"/home/u/w/a.rs","access":"write","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}`,
			func() (Decision, error) { return p.DecideFilesystem("/home/u/w/a.rs", Write, roots...) }},
		{`{"surface":"filesystem","path":"/home/u/.ssh/id_rsa","access":"read","context":{"roots":{"home":"/home/u","workspace":"/home/u/w"}}}`,
			func() (Decision, error) { return p.DecideFilesystem("/home/u/.ssh/id_rsa", Read, roots...) }},
		{`{"surface":"filesystem","path":"/usr/lib","access":"read"}`,
			func() (Decision, error) { return p.DecideFilesystem("/usr/lib", Read) }},
		{`{"surface":"credential","name":"NPM_TOKEN","host":"registry.npmjs.org"}`,
			func() (Decision, error) { return p.DecideCredential("NPM_TOKEN", "registry.npmjs.org", "") }},
		{`{"surface":"credential","name":"GITHUB_TOKEN"}`,
			func() (Decision, error) { return p.DecideCredential("GITHUB_TOKEN", "", "") }},
		{`{"surface":"mcp","server":"github","tool":"delete_repo","source":"ghcr.io/github/github-mcp-server:v0.8.0"}`,
			func() (Decision, error) {
				return p.DecideMCP("github", "delete_repo", "ghcr.io/github/github-mcp-server:v0.8.0")
			}},
		{`{"surface":"mcp","server":"github","tool":"create_issue","source":"ghcr.io/github/github-mcp-server:v0.8.0"}`,
			func() (Decision, error) {
				return p.DecideMCP("github", "create_issue", "ghcr.io/github/github-mcp-server:v0.8.0")
			}},
	}
	for _, c := range cases {
		d, err := c.decide()
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		want, _ := p.DecideJSON(c.json)
		if got := decisionJSON(d); got != want {
			t.Errorf("%s:\n  typed: %s\n  json:  %s", c.json, got, want)
		}
	}
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
		t.Fatal("examples/coding-agent.policy not in the manifest")
	}
	return p
}

func TestBadInput(t *testing.T) {
	p := examplePolicy(t)
	var e *Error
	if _, err := p.DecideNetwork("caf\xc3", "", 443); !errors.As(err, &e) || e.Code != ErrUTF8 ||
		!strings.Contains(e.Message, "host` is not valid UTF-8") {
		t.Errorf("invalid UTF-8 host: %v", err)
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
	d, err := p.DecideNetwork(strings.Repeat("a", 1<<20), "", 443)
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
	if _, err := q.DecideNetwork("github.com", "", 443); err != ErrClosed {
		t.Errorf("closed policy: %v", err)
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
				d, err := p.DecideNetwork("api.github.com", "140.82.112.3", 443)
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
		d, err := p.DecideNetwork("api.github.com", "", 443)
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
