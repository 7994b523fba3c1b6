//! The one spelling of each effect, surface, access scope and lifetime.
//!
//! The policy language, request JSON, decisions, events, the CLI and the
//! bindings all spell these values the same way, so the words are written
//! here once, on the types, and every other crate reads them from here.

use std::fmt;

use crate::artifact::{Method, Methods};
use crate::{Access, Effect, Lifetime, Surface};

impl Effect {
    /// Every effect, in the order the language lists them.
    pub const ALL: [Effect; 3] = [Effect::Allow, Effect::Deny, Effect::Ask];

    /// The effect's word: `allow`, `deny` or `ask`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Ask => "ask",
        }
    }

    /// The effect spelled `word`, if any (exact, lower case).
    pub fn from_word(word: &str) -> Option<Effect> {
        Effect::ALL.into_iter().find(|e| e.as_str() == word)
    }
}

impl Surface {
    /// Every surface, in table order (`Surface as usize`).
    pub const ALL: [Surface; 4] = [
        Surface::Network,
        Surface::Filesystem,
        Surface::Credential,
        Surface::Mcp,
    ];

    /// The surface's word in requests, decisions, events and derived rule
    /// ids: `network`, `filesystem`, `credential` or `mcp`. (The language's
    /// block keyword for credentials is the plural `credentials`.)
    pub const fn as_str(self) -> &'static str {
        match self {
            Surface::Network => "network",
            Surface::Filesystem => "filesystem",
            Surface::Credential => "credential",
            Surface::Mcp => "mcp",
        }
    }

    /// The surface spelled `word`, if any.
    pub fn from_word(word: &str) -> Option<Surface> {
        Surface::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl Access {
    /// Every valid scope: read, write, both.
    pub const ALL: [Access; 3] = [Access::READ, Access::WRITE, Access::READ_WRITE];

    /// The scope's words in policies and requests: `read`, `write` or
    /// `read write`; `None` for a bit set that is no scope.
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            Access::READ => Some("read"),
            Access::WRITE => Some("write"),
            Access::READ_WRITE => Some("read write"),
            _ => None,
        }
    }

    /// The scope in decision events (`spec/events.md`), where both is the
    /// one token `read_write`; `invalid` for a bit set that is no scope.
    pub fn event_str(self) -> &'static str {
        match self {
            Access::READ_WRITE => "read_write",
            other => other.as_str().unwrap_or("invalid"),
        }
    }

    /// The scope spelled `word` in a request (`read`, `write` or
    /// `read write`), if any.
    pub fn from_word(word: &str) -> Option<Access> {
        Access::ALL.into_iter().find(|a| a.as_str() == Some(word))
    }
}

impl Method {
    /// Every method, in [`Method`] value order.
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
        Method::Connect,
        Method::Trace,
    ];

    /// The method's word in policies and requests: upper case, as on the
    /// wire (`GET`, `HEAD`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
        }
    }

    /// The method spelled `word` (exact, upper case), if any.
    pub fn from_word(word: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == word)
    }
}

impl Methods {
    /// The methods of the set, in [`Method`] value order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

/// `*` for every method, else the methods joined by `|` (`GET|HEAD`).
impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Methods::ALL {
            return f.write_str("*");
        }
        for (i, m) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl Lifetime {
    /// The word for [`Lifetime::Session`] in policies and decisions.
    pub const SESSION_WORD: &'static str = "session";
}

/// `session`, or a number of seconds as `90s`.
impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lifetime::Session => f.write_str(Lifetime::SESSION_WORD),
            Lifetime::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_its_value() {
        for e in Effect::ALL {
            assert_eq!(Effect::from_word(e.as_str()), Some(e));
        }
        for s in Surface::ALL {
            assert_eq!(Surface::from_word(s.as_str()), Some(s));
            assert_eq!(Surface::ALL[s as usize], s);
        }
        for a in Access::ALL {
            assert_eq!(a.as_str().and_then(Access::from_word), Some(a));
        }
        for m in Method::ALL {
            assert_eq!(Method::from_word(m.as_str()), Some(m));
            assert_eq!(Method::ALL[m as usize], m);
        }
        assert_eq!(Method::from_word("get"), None);
        assert_eq!(Methods::ALL.iter().count(), 9);
        assert_eq!(Methods::ALL.to_string(), "*");
        let gh = Methods::default().with(Method::Head).with(Method::Get);
        assert_eq!(gh.to_string(), "GET|HEAD");
        assert_eq!(Effect::from_word("Allow"), None);
        assert_eq!(Surface::from_word("credentials"), None);
        assert_eq!(Access::from_word("write read"), None);
    }

    #[test]
    fn events_spell_both_scopes_as_one_token() {
        let words: Vec<_> = Access::ALL.iter().map(|a| a.event_str()).collect();
        assert_eq!(words, ["read", "write", "read_write"]);
        assert_eq!(Access(0).event_str(), "invalid");
        assert_eq!(Access(0).as_str(), None);
    }

    #[test]
    fn lifetimes_display_as_session_or_seconds() {
        assert_eq!(Lifetime::Session.to_string(), "session");
        assert_eq!(Lifetime::Seconds(90).to_string(), "90s");
    }
}
