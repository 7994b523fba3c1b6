//! `cedar`: Cedar (`cedar-policy`), one pre-parsed `permit` per rule.

use std::fmt::Write as _;

use crate::data::Workload;
use crate::engine::Engine;

/// Cedar: one `permit` per rule, pre-parsed; requests pre-built.
pub struct Cedar {
    set: cedar_policy::PolicySet,
    reqs: Vec<cedar_policy::Request>,
    auth: cedar_policy::Authorizer,
    entities: cedar_policy::Entities,
}

fn cedar_str(s: &str) -> String {
    format!("{s:?}")
}

impl Cedar {
    pub fn new(w: Workload, rules: &[String], reqs: &[String]) -> Cedar {
        let mut src = String::new();
        for r in rules {
            let cond = match w {
                Workload::Domain => {
                    format!(
                        "context.v == {} || context.v like {}",
                        cedar_str(r),
                        cedar_str(&format!("*.{r}"))
                    )
                }
                Workload::Cidr => format!("context.v.isInRange(ip({}))", cedar_str(r)),
                // Cedar's `*` crosses `/`: `/a/**` -> `/a/*`, `/srv/**/*.e` ->
                // `/srv/*.e`, `/a/**/k/*.key` -> `/a/*/k/*.key`. The requests
                // avoid the paths where these differ (see gen_data.py).
                Workload::Path => {
                    if r.contains('*') {
                        let l = r
                            .replace("/**/", "/*")
                            .replace("/**", "/*")
                            .replace("/*k/", "/*/k/");
                        format!("context.v like {}", cedar_str(&l))
                    } else {
                        format!("context.v == {}", cedar_str(r))
                    }
                }
                Workload::Mcp => {
                    format!("context.server == \"s0\" && context.v == {}", cedar_str(r))
                }
                // Cedar has no case folding: exact names, and the requests
                // are spelled as the rules are (upper case).
                Workload::Secret => format!("context.v == {}", cedar_str(r)),
            };
            let _ = writeln!(
                src,
                "permit(principal, action, resource) when {{ {cond} }};"
            );
        }
        let set: cedar_policy::PolicySet = src.parse().expect("cedar policies parse");
        let p: cedar_policy::EntityUid = r#"User::"agent""#.parse().unwrap();
        let a: cedar_policy::EntityUid = r#"Action::"decide""#.parse().unwrap();
        let res: cedar_policy::EntityUid = r#"Resource::"r""#.parse().unwrap();
        let reqs = reqs
            .iter()
            .map(|r| {
                let v = match w {
                    Workload::Cidr => serde_json::json!({"__extn": {"fn": "ip", "arg": r}}),
                    _ => serde_json::json!(r),
                };
                let ctx = cedar_policy::Context::from_json_value(
                    serde_json::json!({"v": v, "server": "s0"}),
                    None,
                )
                .expect("context");
                cedar_policy::Request::new(p.clone(), a.clone(), res.clone(), ctx, None)
                    .expect("request")
            })
            .collect();
        Cedar {
            set,
            reqs,
            auth: cedar_policy::Authorizer::new(),
            entities: cedar_policy::Entities::empty(),
        }
    }
}

impl Engine for Cedar {
    fn decide(&mut self, i: usize) -> bool {
        self.auth
            .is_authorized(&self.reqs[i], &self.set, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}
