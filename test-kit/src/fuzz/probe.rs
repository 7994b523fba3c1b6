//! Fixed probe requests, decided by the targets that have a policy but no
//! generated requests.

use policy_eval::{Access, Context, Request};

use crate::gen::vocab::*;

/// Calls `f` with a fixed set of probe requests covering every surface and
/// most of the [`vocab`](crate::gen::vocab) request fields.
pub fn for_each_probe(mut f: impl FnMut(&Request<'static>, &Context<'static>)) {
    let full = Context {
        roots: ROOTS[0],
        ..Context::default()
    };
    let partial = Context {
        roots: ROOTS[1],
        ..Context::default()
    };
    for (i, &host) in HOSTS.iter().enumerate() {
        let port = PORTS.get(i % PORTS.len()).copied();
        f(
            &Request::Network {
                host: Some(host),
                ip: None,
                port,
                http: None,
            },
            &full,
        );
    }
    for (i, &ip) in IPS.iter().enumerate() {
        let host = HOSTS.get(i).copied().filter(|_| i.is_multiple_of(2));
        f(
            &Request::Network {
                host,
                ip: Some(ip),
                port: Some(443),
                http: None,
            },
            &full,
        );
    }
    for (i, &path) in REQ_PATHS.iter().enumerate() {
        let access = [Access::READ, Access::WRITE, Access::READ_WRITE][i % 3];
        let ctx = if i % 5 == 4 { &partial } else { &full };
        f(&Request::Filesystem { path, access }, ctx);
    }
    for (i, &name) in REQ_NAMES.iter().enumerate() {
        let host = HOSTS.get(i * 3).copied().filter(|_| i % 2 == 1);
        let ip = IPS.get(i).copied().filter(|_| i % 3 == 2);
        f(&Request::Credential { name, host, ip }, &full);
    }
    for (i, &tool) in REQ_TOOLS.iter().enumerate() {
        for (j, &server) in SERVERS.iter().enumerate() {
            let source = SOURCES.get((i + j) % 3).copied();
            let tool = Some(tool).filter(|_| !(i + j).is_multiple_of(4));
            f(
                &Request::Mcp {
                    server,
                    tool,
                    source,
                    arguments: None,
                    definition: None,
                    resource: None,
                    prompt: None,
                },
                &full,
            );
        }
    }
}
