// Package policy is the Go binding of the agent policy runtime: it loads a
// compiled policy artifact (the output of `polc compile`) and decides
// network, filesystem, credential and MCP requests with exactly the
// decisions of the Rust runtime, through its C ABI (policy-ffi).
//
// It links the static library built by `cargo build --release -p
// policy-ffi` (target/release/libpolicy_ffi.a in the workspace). A *Policy is
// immutable and safe for concurrent use by any number of goroutines; Close it
// when done (a finalizer frees it otherwise).
//
//	p, err := policy.Load(artifactBytes)
//	if err != nil { ... }
//	defer p.Close()
//	d, err := p.DecideNetwork(policy.String("api.github.com"), policy.String("140.82.112.3"), policy.Port(443))
//	if d.Effect == policy.Allow { ... }
//
// Optional request fields are pointers: nil is absent, and any other value
// is sent as given, so String("") is an empty (invalid) host and Port(0)
// the invalid port 0, exactly as "host":"" and "port":0 in JSON.
//
// The contract is spec/ffi.md in the workspace.
package policy

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libpolicy_ffi.a -lm -ldl -lpthread
#include <stdlib.h>
#include "agent_policy.h"

// A decision returned by value, so no Go pointer is passed for the out
// parameter (cgo arguments escape to the heap; a C-side local does not).
typedef struct {
	apol_result rc;
	apol_decision d;
} go_apol_decision;

// The policy is passed as an integer: a pointer argument would be copied to
// the heap by cgo on every call.
static go_apol_decision go_apol_network(uintptr_t p, const char *host, size_t host_len,
                                        const char *ip, size_t ip_len, int64_t port) {
	go_apol_decision r;
	r.rc = apol_decide_network((const apol_policy *)p, host, host_len, ip, ip_len, port, NULL,
	                           &r.d, NULL);
	return r;
}

static go_apol_decision go_apol_http(uintptr_t p, const char *host, size_t host_len,
                                     const char *ip, size_t ip_len, int64_t port,
                                     const char *method, size_t method_len, const char *path,
                                     size_t path_len, apol_error *err) {
	go_apol_decision r;
	r.rc = apol_decide_http((const apol_policy *)p, host, host_len, ip, ip_len, port, method,
	                        method_len, path, path_len, NULL, &r.d, err);
	return r;
}

static go_apol_decision go_apol_decide(const apol_policy *p, const apol_request *req,
                                       const apol_context *ctx) {
	go_apol_decision r;
	r.rc = apol_decide(p, req, ctx, &r.d, NULL);
	return r;
}

const char go_apol_empty[1] = {0};
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Code is a result code of the C API (apol_result). The values are stable.
type Code uint32

// Result codes; see the C header for their meaning.
const (
	OK             Code = C.APOL_OK
	ErrNull        Code = C.APOL_ERR_NULL
	ErrUTF8        Code = C.APOL_ERR_UTF8
	ErrArtifact    Code = C.APOL_ERR_ARTIFACT
	ErrBufferSmall Code = C.APOL_ERR_BUFFER_TOO_SMALL
	ErrHandle      Code = C.APOL_ERR_HANDLE
	ErrArgument    Code = C.APOL_ERR_ARGUMENT
	ErrNoRule      Code = C.APOL_ERR_NO_RULE
	ErrPanic       Code = C.APOL_ERR_PANIC
	// ErrToolDefinition: ToolDigest was given a definition with no
	// canonical form (not UTF-8, malformed, a duplicate key, not an object,
	// too large or too deep).
	ErrToolDefinition Code = C.APOL_ERR_TOOL_DEFINITION
	// ErrStack: NewStack was given layers that do not form a stack (none,
	// more than 8, only audit layers, a bad or repeated name, levels that
	// do not start at 0 and go down one at a time).
	ErrStack Code = C.APOL_ERR_STACK
)

// String is the C name of the code ("APOL_ERR_UTF8").
func (c Code) String() string { return C.GoString(C.apol_result_name(C.uint32_t(c))) }

// Error is a failed call: the result code and the library's message.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("policy: %s (%s)", e.Message, e.Code) }

// ErrClosed is returned by calls on a closed Policy.
var ErrClosed = errors.New("policy: use of a closed Policy")

// Effect is what to do with a request.
type Effect uint32

// Effects.
const (
	Deny  Effect = C.APOL_EFFECT_DENY
	Ask   Effect = C.APOL_EFFECT_ASK
	Allow Effect = C.APOL_EFFECT_ALLOW
)

func (e Effect) String() string {
	switch e {
	case Deny:
		return "deny"
	case Ask:
		return "ask"
	case Allow:
		return "allow"
	}
	return fmt.Sprintf("Effect(%d)", uint32(e))
}

// Reason says why a decision was made.
type Reason uint32

// Reasons.
const (
	ReasonRule    Reason = C.APOL_REASON_RULE
	ReasonDefault Reason = C.APOL_REASON_DEFAULT
	ReasonInvalid Reason = C.APOL_REASON_INVALID
)

func (r Reason) String() string {
	switch r {
	case ReasonRule:
		return "rule"
	case ReasonDefault:
		return "default"
	case ReasonInvalid:
		return "invalid"
	}
	return fmt.Sprintf("Reason(%d)", uint32(r))
}

// Access is the file system access asked for.
type Access uint32

// Accesses.
const (
	Read      Access = C.APOL_ACCESS_READ
	Write     Access = C.APOL_ACCESS_WRITE
	ReadWrite Access = C.APOL_ACCESS_READ_WRITE
)

// Decision is the answer to one request.
type Decision struct {
	Effect Effect
	Reason Reason
	// RuleIndex is the deciding rule's index, -1 when no rule decided.
	RuleIndex int
	// Rule is the deciding rule's id, "" when no rule decided.
	Rule string
	// Message says what is wrong with an invalid request ("" otherwise).
	Message string
	// Session is true for a credential grant that lasts the session.
	Session bool
	// Seconds is the lifetime of a timed credential grant (0 otherwise).
	Seconds uint32
}

// Root binds a path root of the policy: "home" for ~, or a $name.
type Root struct {
	Name, Path string
}

// Policy is a loaded, immutable policy, safe for concurrent use.
type Policy struct {
	mu     sync.RWMutex // guards h against Close during a call
	h      *C.apol_policy
	name   string
	ver    string
	ruleID []string // rule ids by index, read once at load
}

func cerr(rc C.apol_result, e *C.apol_error) error {
	if rc == C.APOL_OK {
		return nil
	}
	msg := ""
	if e != nil {
		msg = C.GoString(&e.message[0])
	}
	return &Error{Code: Code(rc), Message: msg}
}

// String returns a pointer to s, for the optional string arguments of the
// typed calls (host, ip, tool, source). nil is absent; String("") is an
// explicit empty string, which the library judges like "host":"" in JSON
// (an invalid request), never as absent.
func String(s string) *string { return &s }

// Port returns a pointer to n, for the port of DecideNetwork. nil is no
// port; Port(0) is the invalid port 0, as "port":0 in JSON.
func Port(n uint32) *uint32 { return &n }

// cstr returns a non-NULL pointer + length for s without copying ("" is an
// empty string, not absent). The pointer is only valid during the cgo call
// (s is kept alive by the caller's frame).
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return &C.go_apol_empty[0], 0
	}
	return (*C.char)(unsafe.Pointer(*(**byte)(unsafe.Pointer(&s)))), C.size_t(len(s))
}

// optCstr is cstr for an optional string: nil is NULL (absent).
func optCstr(s *string) (*C.char, C.size_t) {
	if s == nil {
		return nil, 0
	}
	return cstr(*s)
}

// Load loads a compiled policy artifact. The bytes are copied: the slice may
// be reused afterwards.
func Load(artifact []byte) (*Policy, error) {
	if len(artifact) == 0 {
		artifact = []byte{}
	}
	var h *C.apol_policy
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var ptr *C.uint8_t
	if len(artifact) > 0 {
		ptr = (*C.uint8_t)(unsafe.Pointer(&artifact[0]))
	} else {
		ptr = (*C.uint8_t)(unsafe.Pointer(&C.go_apol_empty[0]))
	}
	// h is a C pointer written by C into Go memory: allowed by the cgo rules.
	rc := C.apol_policy_load(ptr, C.size_t(len(artifact)), &h, e)
	runtime.KeepAlive(artifact)
	if err := cerr(rc, e); err != nil {
		return nil, err
	}
	p := &Policy{h: h}
	var info C.apol_policy_info
	if err := cerr(C.apol_policy_get_info(h, &info, e), e); err != nil {
		C.apol_policy_free(h)
		return nil, err
	}
	p.name = C.GoStringN(info.name, C.int(info.name_len))
	p.ver = C.GoStringN(info.version, C.int(info.version_len))
	p.ruleID = make([]string, int(info.rule_count))
	var r C.apol_rule
	for i := range p.ruleID {
		if err := cerr(C.apol_policy_rule(h, C.uint32_t(i), &r, e), e); err != nil {
			C.apol_policy_free(h)
			return nil, err
		}
		p.ruleID[i] = C.GoStringN(r.id, C.int(r.id_len))
	}
	runtime.SetFinalizer(p, (*Policy).Close)
	return p, nil
}

// Close frees the policy. Calls after Close return ErrClosed; Close is
// idempotent and waits for calls in progress.
func (p *Policy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return nil
	}
	rc := C.apol_policy_free(p.h)
	p.h = nil
	runtime.SetFinalizer(p, nil)
	return cerr(rc, nil)
}

// Name is the policy's name.
func (p *Policy) Name() string { return p.name }

// Version is the policy's version ("" when absent).
func (p *Policy) Version() string { return p.ver }

// RuleID is the id of the rule with this index ("" when out of range).
func (p *Policy) RuleID(index int) string {
	if index < 0 || index >= len(p.ruleID) {
		return ""
	}
	return p.ruleID[index]
}

func (p *Policy) decision(d *C.apol_decision) Decision {
	out := Decision{
		Effect:    Effect(d.effect),
		Reason:    Reason(d.reason),
		RuleIndex: -1,
	}
	if d.has_rule {
		out.RuleIndex = int(d.rule)
		out.Rule = p.RuleID(out.RuleIndex)
	}
	if d.message != nil {
		out.Message = C.GoStringN(d.message, C.int(d.message_len))
	}
	switch d.lifetime {
	case C.APOL_LIFETIME_SESSION:
		out.Session = true
	case C.APOL_LIFETIME_SECONDS:
		out.Seconds = uint32(d.lifetime_seconds)
	}
	return out
}

// DecideNetwork decides a connection to host (the name or IP literal about
// to be connected to) dialling ip (the resolved address) on port. Each is
// optional: nil is absent (at least one of host and ip is needed), and a
// non-nil value is passed as given, so String("") and Port(0) are invalid
// exactly as "host":"" and "port":0 in JSON. An invalid request is not an
// error: it is a deny decision with ReasonInvalid. Errors: invalid UTF-8
// (ErrUTF8), closed policy (ErrClosed).
func (p *Policy) DecideNetwork(host, ip *string, port *uint32) (Decision, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return Decision{}, ErrClosed
	}
	cport := portArg(port)
	// Fast path: strings passed in place, the decision returned by value.
	hp, hl := optCstr(host)
	ipp, ipl := optCstr(ip)
	r := C.go_apol_network(C.uintptr_t(uintptr(unsafe.Pointer(p.h))), hp, hl, ipp, ipl, cport)
	runtime.KeepAlive(host)
	runtime.KeepAlive(ip)
	runtime.KeepAlive(p)
	if r.rc == C.APOL_OK {
		return p.decision(&r.d), nil
	}
	// Failed (invalid UTF-8): decide again the slow way for the message.
	return p.decideC(C.APOL_SURFACE_NETWORK, 0, cport, nil, [7]*string{0: host, 1: ip})
}

// cContext copies roots into C memory (a struct passed to C may not hold Go
// pointers); nil for no roots. free releases it.
func cContext(roots []Root) (ctx *C.apol_context, free func()) {
	if len(roots) == 0 {
		return nil, func() {}
	}
	var allocs []unsafe.Pointer
	alloc := func(n C.size_t) unsafe.Pointer {
		m := C.malloc(n)
		allocs = append(allocs, m)
		return m
	}
	str := func(s string) C.apol_str {
		if s == "" {
			return C.apol_str{ptr: &C.go_apol_empty[0]}
		}
		m := alloc(C.size_t(len(s)))
		copy(unsafe.Slice((*byte)(m), len(s)), s)
		return C.apol_str{ptr: (*C.char)(m), len: C.size_t(len(s))}
	}
	arr := unsafe.Slice((*C.apol_root)(alloc(C.size_t(len(roots))*C.sizeof_apol_root)), len(roots))
	for i, r := range roots {
		arr[i] = C.apol_root{name: str(r.Name), path: str(r.Path)}
	}
	ctx = (*C.apol_context)(alloc(C.sizeof_apol_context))
	*ctx = C.apol_context{roots: &arr[0], roots_len: C.size_t(len(roots))}
	return ctx, func() {
		for _, m := range allocs {
			C.free(m)
		}
	}
}

// decideC decides a request whose strings are copied to C memory (the
// request struct holds pointers, so it may not point into Go memory).
// strs are host, ip, path, name, server, tool, source; nil is absent, ""
// an empty string. The caller holds p.mu.
func (p *Policy) decideC(surface C.uint32_t, access Access, port C.int64_t, roots []Root, strs [7]*string) (Decision, error) {
	creq := (*C.apol_request)(C.malloc(C.sizeof_apol_request))
	defer C.free(unsafe.Pointer(creq))
	*creq = C.apol_request{surface: surface, port: port, access: C.uint32_t(access)}
	var cs [7]C.apol_str
	for i, s := range strs {
		switch {
		case s == nil:
		case *s == "":
			cs[i] = C.apol_str{ptr: &C.go_apol_empty[0]}
		default:
			cs[i] = C.apol_str{ptr: C.CString(*s), len: C.size_t(len(*s))}
			defer C.free(unsafe.Pointer(cs[i].ptr))
		}
	}
	creq.host, creq.ip, creq.path, creq.name, creq.server, creq.tool, creq.source =
		cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6]
	ctx, free := cContext(roots)
	defer free()
	d := (*C.apol_decision)(C.malloc(C.sizeof_apol_decision))
	defer C.free(unsafe.Pointer(d))
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	rc := C.apol_decide(p.h, creq, ctx, d, e)
	runtime.KeepAlive(p)
	if err := cerr(rc, e); err != nil {
		return Decision{}, err
	}
	return p.decision(d), nil
}

// decideLocked takes the read lock around decideC.
func (p *Policy) decideLocked(surface C.uint32_t, access Access, roots []Root, strs [7]*string) (Decision, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return Decision{}, ErrClosed
	}
	return p.decideC(surface, access, C.APOL_PORT_NONE, roots, strs)
}

// DecideHTTP decides an HTTP request that a proxy sees inside a
// connection (after TLS termination): host, ip and port as in DecideNetwork,
// plus the request's method and path, both required and passed as given.
// method is one of GET HEAD POST PUT PATCH DELETE OPTIONS CONNECT TRACE in
// upper case, path the origin-form path without query or fragment; any other
// spelling ("get", "/a?x", "/a%2Fb", "/a/../b", ...) is a deny decision with
// ReasonInvalid and the message of spec/requests.md ("method and path"),
// exactly as the JSON request with "method" and "path". Errors: invalid
// UTF-8 (ErrUTF8), closed policy (ErrClosed).
func (p *Policy) DecideHTTP(host, ip *string, port *uint32, method, path string) (Decision, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return Decision{}, ErrClosed
	}
	cport := portArg(port)
	hp, hl := optCstr(host)
	ipp, ipl := optCstr(ip)
	mp, ml := cstr(method)
	pp, pl := cstr(path)
	h := C.uintptr_t(uintptr(unsafe.Pointer(p.h)))
	r := C.go_apol_http(h, hp, hl, ipp, ipl, cport, mp, ml, pp, pl, nil)
	if r.rc != C.APOL_OK {
		// Failed (invalid UTF-8): call again with a report for the message.
		e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
		defer C.free(unsafe.Pointer(e))
		r = C.go_apol_http(h, hp, hl, ipp, ipl, cport, mp, ml, pp, pl, e)
		if err := cerr(r.rc, e); err != nil {
			return Decision{}, err
		}
	}
	runtime.KeepAlive(host)
	runtime.KeepAlive(ip)
	runtime.KeepAlive(method)
	runtime.KeepAlive(path)
	runtime.KeepAlive(p)
	return p.decision(&r.d), nil
}

// DecideFilesystem decides an access to path (required, absolute, ~
// expanded), with the policy's named roots bound by roots ("home" for ~,
// every $name); more than 64 roots make the request invalid
// (spec/limits.md).
func (p *Policy) DecideFilesystem(path string, access Access, roots ...Root) (Decision, error) {
	return p.decideLocked(C.APOL_SURFACE_FILESYSTEM, access, roots, [7]*string{2: &path})
}

// DecideCredential decides the use of the secret name (required): seeing it
// (host and ip both nil) or sending it to host and/or ip. A non-nil
// destination is a send even when it is "": String("") is an invalid empty
// host, as "host":"" in JSON, never a visibility check.
func (p *Policy) DecideCredential(name string, host, ip *string) (Decision, error) {
	return p.decideLocked(C.APOL_SURFACE_CREDENTIAL, 0, nil, [7]*string{0: host, 1: ip, 3: &name})
}

// DecideMCP decides the use of an MCP server (required; tool nil) or of one
// of its tools; source (nil when unknown) is the server's image or URL.
// String("") for tool or source is invalid, as "" in JSON.
func (p *Policy) DecideMCP(server string, tool, source *string) (Decision, error) {
	return p.decideLocked(C.APOL_SURFACE_MCP, 0, nil, [7]*string{4: &server, 5: tool, 6: source})
}

// DecideJSON decides one JSON request (spec/requests.md, with its own
// context) and returns the decision JSON (spec/decision.schema.json), exactly
// as the Rust runtime. Malformed requests give an invalid decision, not an
// error.
func (p *Policy) DecideJSON(request string) (string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return "", ErrClosed
	}
	rp, rl := cstr(request)
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var s *C.apol_string
	rc := C.apol_decide_json_alloc(p.h, rp, rl, &s, e)
	runtime.KeepAlive(request)
	runtime.KeepAlive(p)
	if err := cerr(rc, e); err != nil {
		return "", err
	}
	defer C.apol_string_free(s)
	return C.GoStringN(C.apol_string_ptr(s), C.int(C.apol_string_len(s))), nil
}

// ListToolsJSON lists which tools of an MCP server the agent may see for one
// JSON listing request ({"server", "source", "tools"}, spec/requests.md,
// "Listing tools") and returns the answer exactly as the Rust runtime
// writes it: {"tools": [...]} in input order, or an error object
// {"error", "message"} for a malformed request or more than 4096 tools
// (spec/list.schema.json). The error result is for a closed policy or a
// failed call, never for malformed input.
func (p *Policy) ListToolsJSON(request string) (string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return "", ErrClosed
	}
	rp, rl := cstr(request)
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var s *C.apol_string
	rc := C.apol_list_tools_json(p.h, rp, rl, &s, e)
	runtime.KeepAlive(request)
	runtime.KeepAlive(p)
	if err := cerr(rc, e); err != nil {
		return "", err
	}
	defer C.apol_string_free(s)
	return C.GoStringN(C.apol_string_ptr(s), C.int(C.apol_string_len(s))), nil
}

// ListedTool is one tool of a listing: whether the agent may see it and
// the decision a call of it gets. Listed is false only when every call of
// the tool would be denied.
type ListedTool struct {
	Name     string  `json:"name"`
	Listed   bool    `json:"listed"`
	Decision string  `json:"decision"`
	Rule     *string `json:"rule"`
	Reason   string  `json:"reason"`
	// Message says why the tool name (or server, source) is invalid; empty
	// otherwise.
	Message string `json:"message,omitempty"`
}

// ListError is a listing refused as a whole: Kind "invalid" (a malformed
// request) or "too_many_tools" (more than 4096 tools, never truncated).
type ListError struct {
	Kind    string
	Message string
}

func (e *ListError) Error() string { return fmt.Sprintf("policy: %s (%s)", e.Message, e.Kind) }

// ListTools returns, for each of tools offered by MCP server server (from
// source, nil when unknown), in order and duplicates kept, whether the agent
// may see it (spec/requests.md, "Listing tools"). An unapproved server or
// source, or an invalid name, hides tools rather than failing; more than
// 4096 tools is a *ListError.
func (p *Policy) ListTools(server string, source *string, tools []string) ([]ListedTool, error) {
	if tools == nil {
		tools = []string{}
	}
	req, err := json.Marshal(struct {
		Server string   `json:"server"`
		Source *string  `json:"source,omitempty"`
		Tools  []string `json:"tools"`
	}{server, source, tools})
	if err != nil {
		return nil, err
	}
	out, err := p.ListToolsJSON(string(req))
	if err != nil {
		return nil, err
	}
	var answer struct {
		Tools   []ListedTool `json:"tools"`
		Error   string       `json:"error"`
		Message string       `json:"message"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil {
		return nil, err
	}
	if answer.Error != "" {
		return nil, &ListError{Kind: answer.Error, Message: answer.Message}
	}
	return answer.Tools, nil
}

// ToolDigest returns the digest of an MCP tool definition as tools/list
// serves it (spec/pins.md): "sha256:" and 64 lower-case hex digits of the
// SHA-256 of its RFC 8785 canonical JSON. A definition with no canonical
// form gives an *Error with Code ErrToolDefinition. A tool whose digest
// differs from the one recorded at approval is an unapproved tool.
func ToolDigest(definition []byte) (string, error) {
	var ptr *C.uint8_t
	if len(definition) > 0 {
		ptr = (*C.uint8_t)(unsafe.Pointer(&definition[0]))
	} else {
		ptr = (*C.uint8_t)(unsafe.Pointer(&C.go_apol_empty[0]))
	}
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var s *C.apol_string
	rc := C.apol_tool_digest(ptr, C.size_t(len(definition)), &s, e)
	runtime.KeepAlive(definition)
	if err := cerr(rc, e); err != nil {
		return "", err
	}
	defer C.apol_string_free(s)
	return C.GoStringN(C.apol_string_ptr(s), C.int(C.apol_string_len(s))), nil
}

// EventJSON decides one JSON request and returns its decision event
// (spec/events.md, one line with its newline) stamped at unixMillis (a
// negative value means now).
func (p *Policy) EventJSON(request string, unixMillis int64) (string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.h == nil {
		return "", ErrClosed
	}
	rp, rl := cstr(request)
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var s *C.apol_string
	rc := C.apol_event_json(p.h, rp, rl, C.int64_t(unixMillis), nil, &s, e)
	runtime.KeepAlive(request)
	runtime.KeepAlive(p)
	if err := cerr(rc, e); err != nil {
		return "", err
	}
	defer C.apol_string_free(s)
	return C.GoStringN(C.apol_string_ptr(s), C.int(C.apol_string_len(s))), nil
}

// LibraryVersion is the version of the linked C library.
func LibraryVersion() string { return C.GoString(C.apol_version()) }

// ArtifactFormats is the range of artifact format versions the library
// loads.
func ArtifactFormats() (min, max uint32) {
	return uint32(C.apol_artifact_format_min()), uint32(C.apol_artifact_format_max())
}

// portArg is the C port argument: APOL_PORT_NONE for nil.
func portArg(port *uint32) C.int64_t {
	if port == nil {
		return C.int64_t(C.APOL_PORT_NONE)
	}
	return C.int64_t(*port)
}

// Layer is one layer of a stack (spec/layers.md): its name in decisions,
// its level (0 at the top; each next layer the same level, a peer, or one
// more), whether it is an audit layer, and its policy.
type Layer struct {
	Name   string
	Level  uint8
	Audit  bool
	Policy *Policy
}

// Stack is layered policies from several authorities, decided as the
// strictest of its enforcing layers (spec/layers.md); immutable and safe
// for concurrent use. Close it when done (a finalizer frees it otherwise).
type Stack struct {
	mu sync.RWMutex // guards h against Close during a call
	h  *C.apol_stack
}

// NewStack composes layers, top first. Each layer's policy is copied into
// the stack: the policies may be closed afterwards. Layers that do not
// form a stack give an *Error with code ErrStack.
func NewStack(layers []Layer) (*Stack, error) {
	n := len(layers)
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	// The layer array holds pointers, so it lives in C memory; names are
	// copied there too.
	arr := (*C.apol_layer)(C.malloc(C.size_t(n+1) * C.sizeof_apol_layer))
	defer C.free(unsafe.Pointer(arr))
	cl := unsafe.Slice(arr, n+1)
	for _, l := range layers {
		if l.Policy == nil {
			return nil, &Error{Code: ErrNull, Message: "a layer has no policy"}
		}
		l.Policy.mu.RLock()
		defer l.Policy.mu.RUnlock()
		if l.Policy.h == nil {
			return nil, ErrClosed
		}
	}
	for i, l := range layers {
		name := C.CString(l.Name)
		defer C.free(unsafe.Pointer(name))
		cl[i] = C.apol_layer{
			name:   C.apol_str{ptr: name, len: C.size_t(len(l.Name))},
			level:  C.uint8_t(l.Level),
			audit:  C.bool(l.Audit),
			policy: l.Policy.h,
		}
	}
	var h *C.apol_stack
	rc := C.apol_stack_new(arr, C.size_t(n), &h, e)
	for _, l := range layers {
		runtime.KeepAlive(l.Policy)
	}
	if err := cerr(rc, e); err != nil {
		return nil, err
	}
	s := &Stack{h: h}
	runtime.SetFinalizer(s, (*Stack).Close)
	return s, nil
}

// Close frees the stack. Calls after Close return ErrClosed; Close is
// idempotent and waits for calls in progress.
func (s *Stack) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	rc := C.apol_stack_free(s.h)
	s.h = nil
	runtime.SetFinalizer(s, nil)
	return cerr(rc, nil)
}

// DecideJSON decides one JSON request with the stack and returns the
// decision JSON exactly as the Rust runtime: the deciding layer's decision
// with its "layer", and "would" when audit layers decide more strictly.
// Malformed requests give an invalid decision, not an error.
func (s *Stack) DecideJSON(request string) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == nil {
		return "", ErrClosed
	}
	rp, rl := cstr(request)
	e := (*C.apol_error)(C.malloc(C.sizeof_apol_error))
	defer C.free(unsafe.Pointer(e))
	var out *C.apol_string
	rc := C.apol_stack_decide_json_alloc(s.h, rp, rl, &out, e)
	runtime.KeepAlive(request)
	runtime.KeepAlive(s)
	if err := cerr(rc, e); err != nil {
		return "", err
	}
	defer C.apol_string_free(out)
	return C.GoStringN(C.apol_string_ptr(out), C.int(C.apol_string_len(out))), nil
}
