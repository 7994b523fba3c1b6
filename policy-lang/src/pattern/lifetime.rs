//! Credential lifetimes (`spec/language.md`, section 9, "Lifetime").

use super::{err, PatternError};
use crate::diag::Code;
use crate::model::Lifetime;

/// Parses `session` or a duration such as `90s`, `15m`, `1h30m`, `2d`.
pub fn lifetime(text: &str) -> Result<Lifetime, PatternError> {
    if text == Lifetime::SESSION_WORD {
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

#[cfg(test)]
mod tests {
    use super::super::code_of;
    use super::*;

    #[test]
    fn session_is_a_lifetime() {
        assert_eq!(lifetime("session"), Ok(Lifetime::Session));
    }

    #[test]
    fn a_duration_is_numbers_with_units_s_m_h_d() {
        for (text, seconds) in [
            ("90s", 90),
            ("15m", 900),
            ("1h", 3600),
            ("2d", 172_800),
            ("1h30m", 5400),
        ] {
            assert_eq!(lifetime(text), Ok(Lifetime::Seconds(seconds)), "{text}");
        }
    }

    #[test]
    fn zero_is_not_a_lifetime() {
        assert_eq!(code_of(lifetime("0s")), "E0302");
        assert_eq!(code_of(lifetime("0h0m")), "E0302");
    }

    #[test]
    fn anything_else_is_e0302() {
        for bad in ["1w", "90", "h", "", "1.5h", "Session", "1 h"] {
            assert_eq!(code_of(lifetime(bad)), "E0302", "{bad:?}");
        }
    }

    #[test]
    fn a_lifetime_fits_in_32_bits_of_seconds() {
        assert_eq!(lifetime("4294967295s"), Ok(Lifetime::Seconds(u32::MAX)));
        let Err((code, message, _)) = lifetime("4294967296s") else {
            panic!("overlong lifetime accepted");
        };
        assert_eq!(code.as_str(), "E0302");
        assert_eq!(message, "lifetime `4294967296s` is too long");
    }
}
