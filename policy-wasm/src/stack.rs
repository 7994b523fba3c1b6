//! Layered policies (`spec/layers.md`) in WebAssembly: loaded policies
//! composed into a [`Stack`] that decides JSON requests and runs stack
//! tests (`spec/tests.md`, "Stack vectors") exactly as every runtime does.

use policy_eval::{Invalid, Layer, Stack};

use crate::cases::{self, TestReport};
use crate::engine::{rule_info, Engine};

/// A stack of loaded policies.
pub struct StackEngine {
    stack: Stack,
}

impl StackEngine {
    /// Composes `(name, level, audit, engine)` layers, top first; the error
    /// says why they do not form a stack.
    pub fn new(layers: Vec<(String, u8, bool, &Engine)>) -> Result<StackEngine, String> {
        let layers = layers
            .into_iter()
            .map(|(name, level, audit, engine)| Layer {
                name,
                level,
                audit,
                policy: engine.policy().clone(),
            })
            .collect();
        Stack::new(layers)
            .map(|stack| StackEngine { stack })
            .map_err(|e| e.to_string())
    }

    /// The decision JSON of one JSON request, as [`Stack::decide_json`].
    pub fn decide_json(&self, input: &str) -> String {
        self.stack.decide_json(input)
    }

    /// The decision JSON of a request refused before it had JSON text.
    pub fn decide_json_refused(&self, why: Invalid) -> String {
        self.stack.decision_json(None, &self.stack.invalid(why))
    }

    /// Runs a stack's tests file (the cases of `NAME.tests.jsonl`), like
    /// `polc stack test`; each case's rule is the deciding layer's.
    pub fn run_tests(&self, jsonl: &str) -> TestReport {
        cases::run_with(jsonl, |v| {
            let (sd, json) = self.stack.decide_json_detailed(&v.request);
            let rule = self
                .stack
                .layers()
                .get(sd.layer)
                .and_then(|l| sd.decision.rule.and_then(|i| rule_info(&l.policy, i)));
            (v.compare(sd.decision, json), rule)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use policy_eval::{Artifact, Effect};

    /// A policy without rules whose every default is `effect`.
    fn engine(effect: Effect) -> Engine {
        let art = Artifact {
            candidates: vec![vec![]],
            defaults: [effect; 4],
            ..Artifact::default()
        };
        Engine::from_bytes(&art.to_bytes()).unwrap()
    }

    #[test]
    fn a_stack_decides_as_its_strictest_layer_and_names_it() {
        let (allow, deny) = (engine(Effect::Allow), engine(Effect::Deny));
        let s = StackEngine::new(vec![
            ("org".into(), 0, false, &allow),
            ("team".into(), 1, false, &deny),
        ])
        .unwrap();
        let req = r#"{"surface":"network","host":"a.example","port":443}"#;
        assert_eq!(
            s.decide_json(req),
            r#"{"decision":"deny","rule":null,"reason":"default","layer":"team"}"#
        );
        let report = s.run_tests(&format!(
            r#"{{"name":"n","request":{req},"expect":{{"decision":"deny","layer":"team"}}}}"#
        ));
        assert_eq!(report.summary, "tests: 1 passed, 0 failed");
        let err = StackEngine::new(vec![("a b".into(), 0, false, &allow)]).err();
        assert!(err.unwrap().contains("printable ASCII"));
    }
}
