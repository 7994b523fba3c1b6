//! Credential lifetimes (`spec/language.md`, section 9, "Lifetime").

use super::{err, PatternError};
use crate::diag::Code;
use crate::model::Lifetime;

/// Parses `session` or a duration such as `90s`, `15m`, `1h30m`, `2d`.
pub fn lifetime(text: &str) -> Result<Lifetime, PatternError> {
    if text == "session" {
        return Ok(Lifetime::Session);
    }
    let bad = || {
        err(
            Code::InvalidLifetime,
            format!("`{text}` is not a lifetime"),
            Some("write `session` or a duration such as `90s`, `15m`, `1h`, `2d`, `1h30m`"),
        )
    };
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(bad)?,
            );
        } else {
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86400,
                _ => return Err(bad()),
            };
            let n = number.take().ok_or_else(bad)?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
    }
    if number.is_some() || total == 0 {
        return Err(bad());
    }
    u32::try_from(total).map(Lifetime::Seconds).map_err(|_| {
        err(
            Code::InvalidLifetime,
            format!("lifetime `{text}` is too long"),
            Some("the longest lifetime is about 136 years; use `session` for no fixed limit"),
        )
    })
}
