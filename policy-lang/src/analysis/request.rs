//! Witness requests: [`OwnedRequest`]s built by the analysis, printed as
//! the JSON requests `polc eval` reads (`spec/requests.md`).

use policy_eval::json::OwnedRequest;
use policy_eval::Context;
use serde_json::{json, Map, Value};

use crate::model::McpKind;

/// An MCP request for `server` from `source`, naming `target` if any.
pub fn mcp(server: &str, source: Option<&str>, target: Option<&(McpKind, String)>) -> OwnedRequest {
    let of = |k: McpKind| {
        target
            .filter(|(kind, _)| *kind == k)
            .map(|(_, n)| n.clone())
    };
    OwnedRequest::Mcp {
        server: server.to_string(),
        tool: of(McpKind::Tool),
        source: source.map(str::to_string),
        arguments: None,
        definition: None,
        resource: of(McpKind::Resource),
        prompt: of(McpKind::Prompt),
    }
}

/// The JSON form of a witness, with the root bindings of a filesystem
/// request in its context.
pub fn witness_json(req: &OwnedRequest, roots: &[(String, String)]) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    let text = |s: &Option<String>| s.as_ref().map(|s| json!(s));
    match req {
        OwnedRequest::Network {
            host,
            ip,
            port,
            http,
        } => {
            put("surface", Some(json!("network")));
            put("host", text(host));
            put("ip", text(ip));
            put("port", port.map(|p| json!(p)));
            if let Some((method, path)) = http {
                put("method", Some(json!(method)));
                put("path", Some(json!(path)));
            }
        }
        OwnedRequest::Filesystem { path, access } => {
            put("surface", Some(json!("filesystem")));
            put("path", Some(json!(path)));
            put("access", Some(json!(access.as_str().unwrap_or_default())));
            let bound: Map<String, Value> =
                roots.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            put("context", Some(json!({ "roots": bound })));
        }
        OwnedRequest::Credential { name, host, ip } => {
            put("surface", Some(json!("credential")));
            put("name", Some(json!(name)));
            put("host", text(host));
            put("ip", text(ip));
        }
        OwnedRequest::Mcp {
            server,
            tool,
            source,
            arguments,
            definition,
            resource,
            prompt,
        } => {
            put("surface", Some(json!("mcp")));
            put("server", Some(json!(server)));
            put("source", text(source));
            put("tool", text(tool));
            put("arguments", arguments.clone());
            put("definition", text(definition));
            put("resource", text(resource));
            put("prompt", text(prompt));
        }
    }
    Value::Object(m)
}

/// A context binding `roots`.
pub fn context<'a>(roots: &'a [(&'a str, &'a str)]) -> Context<'a> {
    Context {
        roots,
        ..Context::default()
    }
}
