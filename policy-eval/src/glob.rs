//! A hand-written glob matcher: parsed once at load, matching never
//! allocates and runs in O(pattern tokens × subject bytes).
//!
//! Syntax (after the compiler expanded `{a,b}` braces): `*` any run, `?` one
//! byte, `[abc]`, `[a-z]`, `[!a]` / `[^a]` classes, `\` escapes the next
//! character, and in path globs `**` as a whole segment spans zero or more
//! segments. `{` and `}` are refused (the compiler expands them).
//!
//! Semantics are exactly those of the `globset` crate with
//! `backslash_escape(true)` and, for [`Glob::new`] (paths, domain labels),
//! `literal_separator(true)`: `*` and `?` never match `/`. Secret and tool
//! names use [`Glob::flat`] (`literal_separator(false)`): name patterns never
//! contain `/`, but a requested name may, and `deny delete_*` must still
//! catch `delete_a/b` (the compiler's `prefix*` table matches it too). Like
//! globset, matching works on bytes: `?` matches one byte, a negated class
//! may match `/`, and a class with non-ASCII members matches single bytes of
//! their UTF-8 encoding. The compiler lints patterns relying on these
//! corners.

use crate::limits::{MAX_PATH_LEN, MAX_PATTERN_LEN};

/// Why a glob pattern was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    /// `[` without a closing `]`.
    #[error("unclosed character class")]
    UnclosedClass,
    /// A class range whose end is below its start.
    #[error("invalid character class range")]
    InvalidRange,
    /// A `\` at the end of the pattern.
    #[error("dangling escape `\\` at the end of the pattern")]
    DanglingEscape,
    /// `{` or `}`: the compiler must expand alternatives.
    #[error("unexpanded `{{` or `}}` in the pattern")]
    Braces,
    /// Longer than [`MAX_PATTERN_LEN`].
    #[error("pattern is longer than the limit of {MAX_PATTERN_LEN} bytes")]
    TooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// One literal byte.
    Byte(u8),
    /// `?`.
    Any,
    /// `*`.
    Star,
    /// `[...]`: index into `classes`.
    Class(u32),
    /// `**/` at the start: `(?:/?|.*/)`.
    RecPrefix,
    /// `/**` at the end: `/.*`.
    RecSuffix,
    /// `/**/` inside: `(?:/|/.*/)`.
    RecZeroOrMore,
}

/// One token of a parsed glob ([`Glob::tokens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// One literal byte.
    Byte(u8),
    /// `?`: one byte (not `/` where `*` stops at it).
    Any,
    /// `*`: any run of bytes (not `/` where it stops at it).
    Star,
    /// `[...]`: the set of bytes it matches, bit `b` of word `b / 64`
    /// (negation applied).
    Class([u64; 4]),
    /// `**/` at the start: `(?:/?|.*/)`.
    RecPrefix,
    /// `/**` at the end: `/.*`.
    RecSuffix,
    /// `/**/` inside: `(?:/|/.*/)`.
    RecZeroOrMore,
}

/// The cheapest strategy that decides a pattern, chosen at parse time (as
/// globset does): most real patterns are a literal with a `*` at one or both
/// ends, which needs no position sets at all.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fast {
    /// Only the general matcher knows.
    General,
    /// `lit*`.
    Prefix(Box<[u8]>),
    /// `*lit`.
    Suffix(Box<[u8]>),
    /// `*lit*`.
    Contains(Box<[u8]>),
    /// `head*tail`.
    PrefixSuffix(Box<[u8]>, Box<[u8]>),
}

impl Fast {
    /// The strategy for a token list: literal bytes around one or two stars
    /// at the ends, or one star in the middle.
    fn of(toks: &[Tok]) -> Fast {
        // Literal bytes; a `/` in them is fine for the prefix and suffix
        // shapes (only the star's part must be free of `/`), not for
        // `*lit*`, whose test assumes a subject without `/`.
        let literal = |ts: &[Tok]| -> Option<Box<[u8]>> {
            ts.iter()
                .map(|t| match t {
                    Tok::Byte(b) => Some(*b),
                    _ => None,
                })
                .collect()
        };
        let no_slash = |l: Box<[u8]>| (!l.contains(&b'/')).then_some(l);
        let stars: Vec<usize> = toks
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == Tok::Star)
            .map(|(i, _)| i)
            .collect();
        let n = toks.len();
        let fast = match stars.as_slice() {
            [0] if n > 1 => literal(&toks[1..]).map(Fast::Suffix),
            [i] if *i == n - 1 && n > 1 => literal(&toks[..n - 1]).map(Fast::Prefix),
            [i] if n > 1 => literal(&toks[..*i])
                .zip(literal(&toks[i + 1..]))
                .map(|(h, t)| Fast::PrefixSuffix(h, t)),
            [0, j] if *j == n - 1 && n > 2 => literal(&toks[1..n - 1])
                .and_then(no_slash)
                .map(Fast::Contains),
            _ => None,
        };
        fast.unwrap_or(Fast::General)
    }

    /// `Some(answer)` when this strategy decides `s`. `sep`: stars stop at `/`.
    fn is_match(&self, s: &[u8], sep: bool) -> Option<bool> {
        let free = |part: &[u8]| !sep || !part.contains(&b'/');
        Some(match self {
            Fast::General => return None,
            Fast::Prefix(p) => s.starts_with(p) && free(&s[p.len()..]),
            Fast::Suffix(x) => s.ends_with(x) && free(&s[..s.len() - x.len()]),
            Fast::PrefixSuffix(h, t) => {
                s.len() >= h.len() + t.len()
                    && s.starts_with(h)
                    && s.ends_with(t)
                    && free(&s[h.len()..s.len() - t.len()])
            }
            Fast::Contains(x) => {
                free(s) && (x.is_empty() || s.windows(x.len()).any(|w| w == &x[..]))
            }
        })
    }
}

/// A parsed glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    fast: Fast,
    /// Literal bytes every match starts with (a cheap rejection test).
    head: Box<[u8]>,
    /// Literal bytes every match ends with.
    tail: Box<[u8]>,
    toks: Box<[Tok]>,
    classes: Box<[[u64; 4]]>,
    /// The whole pattern is `**`: matches everything.
    all: bool,
    /// `*` and `?` stop at `/`.
    separator: bool,
}

/// Whether a pattern has no wildcard, class or escape (the compiler's notion
/// of a literal segment or directory).
pub fn is_literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', '\\'])
}

/// Capacity of the position sets used while matching.
const WORDS: usize = MAX_PATH_LEN / 64 + 1;

impl Glob {
    /// Parses a glob: `*`, `?` never match `/`, a `**` segment spans zero or
    /// more segments.
    pub fn new(pattern: &str) -> Result<Glob, GlobError> {
        Self::parse(pattern, true)
    }

    /// Parses a name glob (`literal_separator(false)`): `*` and `?` match
    /// any byte, `/` included.
    pub fn flat(pattern: &str) -> Result<Glob, GlobError> {
        Self::parse(pattern, false)
    }

    fn parse(pattern: &str, separator: bool) -> Result<Glob, GlobError> {
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(GlobError::TooLong);
        }
        let mut p = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            prev: None,
            cur: None,
            toks: Vec::new(),
            classes: Vec::new(),
        };
        p.run()?;
        let all = p.toks == [Tok::RecPrefix];
        let byte = |t: &Tok| match t {
            Tok::Byte(b) => Some(*b),
            _ => None,
        };
        let head: Vec<u8> = p.toks.iter().map_while(byte).collect();
        let mut tail: Vec<u8> = p.toks.iter().rev().map_while(byte).collect();
        tail.reverse();
        Ok(Glob {
            fast: Fast::of(&p.toks),
            head: head.into_boxed_slice(),
            tail: tail.into_boxed_slice(),
            toks: p.toks.into_boxed_slice(),
            classes: p.classes.into_boxed_slice(),
            all,
            separator,
        })
    }

    /// The pattern's tokens as parsed (classes resolved to byte sets), for
    /// translators: the compiler turns them into the regexes of its
    /// automata, so the runtime's parse is the one parse of a glob.
    pub fn tokens(&self) -> impl Iterator<Item = Token> + '_ {
        self.toks.iter().map(|t| match *t {
            Tok::Byte(b) => Token::Byte(b),
            Tok::Any => Token::Any,
            Tok::Star => Token::Star,
            Tok::Class(i) => Token::Class(self.classes.get(i as usize).copied().unwrap_or([0; 4])),
            Tok::RecPrefix => Token::RecPrefix,
            Tok::RecSuffix => Token::RecSuffix,
            Tok::RecZeroOrMore => Token::RecZeroOrMore,
        })
    }

    /// Whether `subject` matches the whole pattern. Never allocates.
    /// Subjects longer than [`MAX_PATH_LEN`] bytes never match (normalized
    /// requests are never that long).
    pub fn is_match(&self, subject: &str) -> bool {
        self.is_match_bytes(subject.as_bytes())
    }

    fn is_match_bytes(&self, s: &[u8]) -> bool {
        if self.all {
            return true;
        }
        let n = s.len();
        if n > MAX_PATH_LEN {
            return false;
        }
        if let Some(answer) = self.fast.is_match(s, self.separator) {
            return answer;
        }
        if !s.starts_with(&self.head) || !s.ends_with(&self.tail) {
            return false;
        }
        // Literal fast path.
        if self.toks.len() == n && self.toks.iter().zip(s).all(|(t, b)| *t == Tok::Byte(*b)) {
            return true;
        }
        let (h, t) = (self.head.len(), self.tail.len());
        if h == self.toks.len() || h + t > n {
            // All literal (and not equal), or too short for head and tail.
            return false;
        }
        // Head and tail are verified: match the tokens between them against
        // the bytes between them, with position sets sized to the subject.
        let toks = self.toks.get(h..self.toks.len() - t).unwrap_or(&[]);
        let mid = s.get(h..n - t).unwrap_or(&[]);
        if mid.len() < 4 * 64 {
            self.dp::<4>(toks, mid)
        } else {
            self.dp::<WORDS>(toks, mid)
        }
    }

    /// The general matcher: the set of subject positions reachable after
    /// each token, as `N` words of bits (`N * 64 > s.len()`).
    fn dp<const N: usize>(&self, toks: &[Tok], s: &[u8]) -> bool {
        let n = s.len();
        let words = n / 64 + 1;
        let mut cur = [0u64; N];
        let mut next = [0u64; N];
        cur[0] = 1;
        let sep = self.separator;
        let not_sep = |b: u8| !sep || b != b'/';
        for tok in toks {
            for w in next.iter_mut().take(words) {
                *w = 0;
            }
            match *tok {
                Tok::Byte(c) => step(&cur, &mut next, words, n, |i| s.get(i) == Some(&c)),
                Tok::Any => step(&cur, &mut next, words, n, |i| {
                    s.get(i).is_some_and(|&b| not_sep(b))
                }),
                Tok::Class(k) => {
                    let Some(set) = self.classes.get(k as usize) else {
                        return false;
                    };
                    step(&cur, &mut next, words, n, |i| {
                        s.get(i).is_some_and(|&b| set_has(set, b))
                    })
                }
                Tok::Star => {
                    let Some(first) = first_set(&cur, words, n) else {
                        return false;
                    };
                    let mut reach = false;
                    for i in first..=n {
                        let here = get(&cur, i)
                            || (reach && i > 0 && s.get(i - 1).is_some_and(|&b| not_sep(b)));
                        if here {
                            set(&mut next, i);
                        }
                        reach = here;
                    }
                }
                Tok::RecPrefix => {
                    let Some(first) = first_set(&cur, words, n) else {
                        return false;
                    };
                    next[..words].copy_from_slice(&cur[..words]);
                    for j in first..n {
                        if s.get(j) == Some(&b'/') {
                            set(&mut next, j + 1);
                        }
                    }
                }
                Tok::RecSuffix => {
                    if let Some(m) = first_slash(&cur, s) {
                        for j in m + 1..=n {
                            set(&mut next, j);
                        }
                    }
                }
                Tok::RecZeroOrMore => {
                    if let Some(m) = first_slash(&cur, s) {
                        for j in m..n {
                            if s.get(j) == Some(&b'/') {
                                set(&mut next, j + 1);
                            }
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if cur[..words].iter().all(|&w| w == 0) {
                return false;
            }
        }
        get(&cur, n)
    }
}

#[inline]
fn get(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

#[inline]
fn set(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn set_has(set: &[u64; 4], b: u8) -> bool {
    set[usize::from(b >> 6)] >> (b & 63) & 1 == 1
}

/// For every position `i` in `cur` with `i < n` and `ok(i)`, adds `i + 1`.
#[inline]
fn step(cur: &[u64], next: &mut [u64], words: usize, n: usize, ok: impl Fn(usize) -> bool) {
    for (wi, &word) in cur.iter().enumerate().take(words) {
        let mut w = word;
        while w != 0 {
            let i = wi * 64 + w.trailing_zeros() as usize;
            w &= w - 1;
            if i < n && ok(i) {
                set(next, i + 1);
            }
        }
    }
}

fn first_set(cur: &[u64], words: usize, n: usize) -> Option<usize> {
    cur.iter()
        .take(words)
        .enumerate()
        .find(|(_, &w)| w != 0)
        .map(|(wi, w)| wi * 64 + w.trailing_zeros() as usize)
        .filter(|&i| i <= n)
}

/// The smallest position in `cur` where the subject has a `/`.
fn first_slash(cur: &[u64], s: &[u8]) -> Option<usize> {
    s.iter()
        .enumerate()
        .find(|&(i, &b)| b == b'/' && get(cur, i))
        .map(|(i, _)| i)
}

/// A port of globset's parser, restricted to the runtime syntax.
struct Parser {
    chars: Vec<char>,
    pos: usize,
    prev: Option<char>,
    cur: Option<char>,
    toks: Vec<Tok>,
    classes: Vec<[u64; 4]>,
}

impl Parser {
    fn bump(&mut self) -> Option<char> {
        self.prev = self.cur;
        self.cur = self.chars.get(self.pos).copied();
        if self.cur.is_some() {
            self.pos += 1;
        }
        self.cur
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn literal(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.toks.push(Tok::Byte(b));
        }
    }

    fn run(&mut self) -> Result<(), GlobError> {
        while let Some(c) = self.bump() {
            match c {
                '?' => self.toks.push(Tok::Any),
                '*' => self.star(),
                '[' => self.class()?,
                '{' | '}' => return Err(GlobError::Braces),
                '\\' => match self.bump() {
                    None => return Err(GlobError::DanglingEscape),
                    Some(c) => self.literal(c),
                },
                c => self.literal(c),
            }
        }
        Ok(())
    }

    fn star(&mut self) {
        let prev = self.prev;
        if self.peek() != Some('*') {
            self.toks.push(Tok::Star);
            return;
        }
        self.bump();
        if self.toks.is_empty() {
            if self.peek().is_some_and(|c| c != '/') {
                self.toks.push(Tok::Star);
                self.toks.push(Tok::Star);
            } else {
                self.toks.push(Tok::RecPrefix);
                self.bump();
            }
            return;
        }
        if prev != Some('/') {
            self.toks.push(Tok::Star);
            self.toks.push(Tok::Star);
            return;
        }
        let is_suffix = match self.peek() {
            None => {
                self.bump();
                true
            }
            Some('/') => {
                self.bump();
                false
            }
            Some(_) => {
                self.toks.push(Tok::Star);
                self.toks.push(Tok::Star);
                return;
            }
        };
        let tok = match self.toks.pop() {
            Some(Tok::RecPrefix) => Tok::RecPrefix,
            Some(Tok::RecSuffix) => Tok::RecSuffix,
            _ if is_suffix => Tok::RecSuffix,
            _ => Tok::RecZeroOrMore,
        };
        self.toks.push(tok);
    }

    fn class(&mut self) -> Result<(), GlobError> {
        let mut ranges: Vec<(char, char)> = Vec::new();
        let negated = matches!(self.peek(), Some('!') | Some('^'));
        if negated {
            self.bump();
        }
        let mut first = true;
        let mut in_range = false;
        loop {
            let Some(c) = self.bump() else {
                return Err(GlobError::UnclosedClass);
            };
            match c {
                ']' if first => ranges.push((']', ']')),
                ']' => break,
                '-' if first => ranges.push(('-', '-')),
                '-' if in_range => {
                    extend_range(&mut ranges, '-')?;
                    in_range = false;
                }
                '-' => in_range = true,
                c => {
                    if in_range {
                        extend_range(&mut ranges, c)?;
                    } else {
                        ranges.push((c, c));
                    }
                    in_range = false;
                }
            }
            first = false;
        }
        if in_range {
            ranges.push(('-', '-'));
        }
        let mut set = [0u64; 4];
        for (a, b) in ranges {
            add_range_bytes(&mut set, a, b);
        }
        if negated {
            for w in set.iter_mut() {
                *w = !*w;
            }
        }
        let idx = u32::try_from(self.classes.len()).map_err(|_| GlobError::TooLong)?;
        self.classes.push(set);
        self.toks.push(Tok::Class(idx));
        Ok(())
    }
}

fn extend_range(ranges: &mut [(char, char)], end: char) -> Result<(), GlobError> {
    let Some(r) = ranges.last_mut() else {
        return Err(GlobError::InvalidRange);
    };
    r.1 = end;
    if r.1 < r.0 {
        return Err(GlobError::InvalidRange);
    }
    Ok(())
}

fn add_byte(set: &mut [u64; 4], b: u8) {
    set[usize::from(b >> 6)] |= 1 << (b & 63);
}

/// Adds the bytes globset's (byte-oriented) regex class `[a-b]` matches: for
/// non-ASCII endpoints the UTF-8 bytes are separate class items, the range
/// joining the last byte of `a` to the first byte of `b`.
fn add_range_bytes(set: &mut [u64; 4], a: char, b: char) {
    let (mut ba, mut bb) = ([0u8; 4], [0u8; 4]);
    let ea = a.encode_utf8(&mut ba).as_bytes();
    if a == b {
        for &x in ea {
            add_byte(set, x);
        }
        return;
    }
    let eb = b.encode_utf8(&mut bb).as_bytes();
    let (Some((&lo, a_head)), Some((&hi, b_tail))) = (ea.split_last(), eb.split_first()) else {
        return;
    };
    for &x in a_head.iter().chain(b_tail) {
        add_byte(set, x);
    }
    for x in lo..=hi {
        add_byte(set, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).map(|g| g.is_match(s)).unwrap_or(false)
    }

    #[test]
    fn star_stays_within_a_segment() {
        assert!(m("*.rs", "main.rs"));
        assert!(!m("*.rs", "src/main.rs"));
        assert!(m("src/*.rs", "src/main.rs"));
        assert!(m("*", ""));
        assert!(!m("*", "a/b"));
    }

    #[test]
    fn question_mark_is_one_byte_not_slash() {
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(!m("a?c", "ac"));
    }

    #[test]
    fn classes() {
        assert!(m("[abc]x", "bx"));
        assert!(m("[a-z]x", "qx"));
        assert!(!m("[a-z]x", "Qx"));
        assert!(m("[!a]x", "bx"));
        assert!(m("[^a]x", "bx"));
        assert!(!m("[!a]x", "ax"));
        assert!(m("[]]", "]"));
        assert!(m("[-a]", "-"));
        assert!(m("[a-]", "-"));
        // Like globset, a negated class can match `/`.
        assert!(m("a[!x]b", "a/b"));
        assert_eq!(Glob::new("[a"), Err(GlobError::UnclosedClass));
        assert_eq!(Glob::new("[z-a]"), Err(GlobError::InvalidRange));
    }

    #[test]
    fn escapes() {
        assert!(m(r"\*", "*"));
        assert!(!m(r"\*", "a"));
        assert!(m(r"a\[b", "a[b"));
        assert_eq!(Glob::new("a\\"), Err(GlobError::DanglingEscape));
        assert_eq!(Glob::new("{a,b}"), Err(GlobError::Braces));
    }

    #[test]
    fn double_star_spans_segments() {
        assert!(m("**", ""));
        assert!(m("**", "a/b/c"));
        assert!(m("**/x", "x"));
        assert!(m("**/x", "a/b/x"));
        assert!(!m("**/x", "ax"));
        assert!(m("a/**", "a/b"));
        assert!(m("a/**", "a/b/c"));
        assert!(!m("a/**", "a"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b"));
        assert!(!m("a/**/b", "ab"));
        assert!(m("src/**/*.rs", "src/main.rs"));
        assert!(m("src/**/*.rs", "src/a/b/main.rs"));
        assert!(!m("src/**/*.rs", "src/a/b/main.rs.bak"));
        // `**` glued to other characters is two stars.
        assert!(m("a**", "abc"));
        assert!(!m("a**", "a/c"));
    }

    #[test]
    fn flat_globs_cross_slashes() {
        let g = Glob::flat("delete_*").map_err(|e| e.to_string());
        assert!(g.as_ref().is_ok_and(|g| g.is_match("delete_a/b")));
        assert!(g.is_ok_and(|g| !g.is_match("create_a")));
    }

    #[test]
    fn many_stars_are_not_exponential() {
        let p = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let s = "a".repeat(200);
        assert!(!m(p, &s));
        let p = "**/".repeat(50) + "x";
        assert!(!m(&p, &"a/".repeat(1000)));
    }

    #[test]
    fn non_ascii_literal() {
        assert!(m("büro/*", "büro/x"));
        assert!(m("b??ro", "büro"));
    }
}
