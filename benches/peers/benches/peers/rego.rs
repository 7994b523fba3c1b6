//! `rego`: Rego (`regorus`), one pre-parsed module over the rules in `data`.

use crate::data::Workload;
use crate::engine::Engine;

/// Rego (regorus): one pre-parsed module iterating over the rules in data.
pub struct Rego {
    engine: regorus::Engine,
    inputs: Vec<regorus::Value>,
}

impl Rego {
    pub fn new(w: Workload, rules: &[String], reqs: &[String]) -> Rego {
        let (body, data) = match w {
            // `endswith` over ".d" plus equality: exactly `**.d`.
            Workload::Domain => (
                "allow if { some d in data.domains; input.v == d }\n\
                 allow if { some s in data.suffixes; endswith(input.v, s) }\n",
                serde_json::json!({
                    "domains": rules,
                    "suffixes": rules.iter().map(|r| format!(".{r}")).collect::<Vec<_>>(),
                }),
            ),
            Workload::Cidr => (
                "allow if { some c in data.cidrs; net.cidr_contains(c, input.v) }\n",
                serde_json::json!({ "cidrs": rules }),
            ),
            Workload::Path => (
                "allow if { some g in data.globs; glob.match(g, [\"/\"], input.v) }\n",
                serde_json::json!({ "globs": rules }),
            ),
            // An object keyed by tool name: a hash lookup, as an OPA user
            // would write it.
            Workload::Mcp => (
                "allow if { input.server == \"s0\"; data.tools[input.v] }\n",
                serde_json::json!({
                    "tools": rules.iter().map(|r| (r.clone(), serde_json::Value::Bool(true)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            ),
            // The same lookup after `upper` (names compare case-insensitively).
            Workload::Secret => (
                "allow if { data.secrets[upper(input.v)] }\n",
                serde_json::json!({
                    "secrets": rules.iter().map(|r| (r.to_ascii_uppercase(), serde_json::Value::Bool(true)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            ),
        };
        let mut engine = regorus::Engine::new();
        let src = format!("package bench\nimport rego.v1\n\ndefault allow := false\n\n{body}");
        engine
            .add_policy("bench.rego".into(), src)
            .expect("rego parses");
        engine
            .add_data(regorus::Value::from_json_str(&data.to_string()).unwrap())
            .unwrap();
        let inputs = reqs
            .iter()
            .map(|r| {
                regorus::Value::from_json_str(
                    &serde_json::json!({"v": r, "server": "s0"}).to_string(),
                )
                .unwrap()
            })
            .collect();
        Rego { engine, inputs }
    }
}

impl Engine for Rego {
    fn decide(&mut self, i: usize) -> bool {
        self.engine.set_input(self.inputs[i].clone());
        let v = self
            .engine
            .eval_rule("data.bench.allow".into())
            .expect("rego eval");
        v == regorus::Value::from(true)
    }
}
