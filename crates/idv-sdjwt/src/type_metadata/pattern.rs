//! The subset of ECMA-262 regular expressions our JSON Schemas' `pattern`s use, matched in
//! time linear in the input per atom (no backtracking).
//!
//! A pattern must start with `^` (JSON Schema patterns are unanchored; we only take anchored
//! ones) and may end with `$`. Between them: literal characters, `\`-escaped punctuation,
//! `\d`, `.`, and character classes `[...]` / `[^...]` of characters and ranges; each atom
//! optionally followed by `*`, `+`, `?`, `{n}`, `{n,}` or `{n,m}`. Groups, alternation,
//! lazy quantifiers, other escapes and flags are refused when the schema is loaded, so no
//! pattern is ever silently matched with other semantics.

use std::fmt;

/// A compiled pattern.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    source: String,
    atoms: Vec<Atom>,
    anchored_end: bool,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Atom {
    class: Class,
    min: usize,
    /// `usize::MAX`: unbounded.
    max: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    Char(char),
    /// `.`: anything but a line terminator.
    Any,
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Class {
    fn matches(&self, c: char) -> bool {
        match self {
            Self::Char(x) => *x == c,
            Self::Any => !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'),
            Self::Set { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

/// Why a pattern is outside the subset.
pub(crate) type Unsupported = &'static str;

impl Pattern {
    /// Compiles `source`, refusing anything outside the subset.
    pub(crate) fn compile(source: &str) -> Result<Self, Unsupported> {
        let body = source
            .strip_prefix('^')
            .ok_or("a pattern must be anchored with ^")?;
        let (body, anchored_end) = match body.strip_suffix('$') {
            Some(rest) if !rest.ends_with('\\') => (rest, true),
            _ => (body, false),
        };
        let mut chars = body.chars().peekable();
        let mut atoms = Vec::new();
        while let Some(c) = chars.next() {
            let class = match c {
                '\\' => escape(chars.next().ok_or("a trailing \\")?)?,
                '[' => set(&mut chars)?,
                '.' => Class::Any,
                '(' | ')' | '|' | '^' | '$' => return Err("groups, alternation and inner anchors"),
                '*' | '+' | '?' | '{' | '}' | ']' => return Err("a quantifier without an atom"),
                c => Class::Char(c),
            };
            let (min, max) = match chars.peek() {
                Some('*') => (0, usize::MAX),
                Some('+') => (1, usize::MAX),
                Some('?') => (0, 1),
                Some('{') => {
                    chars.next();
                    let mut spec = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        spec.push(c);
                    }
                    let bounds = braces(&spec)?;
                    // `{` consumed already; nothing more to skip.
                    atoms.push(Atom {
                        class,
                        min: bounds.0,
                        max: bounds.1,
                    });
                    if chars.peek() == Some(&'?') {
                        return Err("lazy quantifiers");
                    }
                    continue;
                }
                _ => (1, 1),
            };
            if (min, max) != (1, 1) {
                chars.next();
                if matches!(chars.peek(), Some('?' | '*' | '+' | '{')) {
                    return Err("lazy or repeated quantifiers");
                }
            }
            atoms.push(Atom { class, min, max });
        }
        Ok(Self {
            source: source.to_owned(),
            atoms,
            anchored_end,
        })
    }

    /// Whether `text` matches (from its start; to its end when anchored with `$`).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        // Byte offsets reachable after the atoms so far, ascending.
        let mut reachable = vec![0];
        for atom in &self.atoms {
            reachable = step(atom, text, &reachable);
            if reachable.is_empty() {
                return false;
            }
        }
        !self.anchored_end || reachable.last() == Some(&text.len())
    }
}

/// The offsets reachable from `from` by `atom`. An unbounded walk stops where an earlier
/// walk already went with enough repetitions, so each atom costs O(input) plus, for bounded
/// atoms, O(starts × max).
fn step(atom: &Atom, text: &str, from: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    // The previous walk's offsets reached with at least `min` repetitions: [start, end].
    let mut covered: Option<(usize, usize)> = None;
    for &start in from {
        let mut at = start;
        let mut count = 0;
        let mut first_pushed = None;
        loop {
            if count >= atom.min {
                if atom.max == usize::MAX
                    && let Some((lo, hi)) = covered
                    && (lo..=hi).contains(&at)
                {
                    break;
                }
                first_pushed.get_or_insert(at);
                out.push(at);
            }
            if count == atom.max {
                break;
            }
            match text[at..].chars().next() {
                Some(c) if atom.class.matches(c) => {
                    at += c.len_utf8();
                    count += 1;
                }
                _ => break,
            }
        }
        if let Some(first) = first_pushed {
            covered = Some((first, at));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn escape(c: char) -> Result<Class, Unsupported> {
    match c {
        'd' => Ok(Class::Set {
            negated: false,
            ranges: vec![('0', '9')],
        }),
        c if c.is_ascii_punctuation() => Ok(Class::Char(c)),
        _ => Err("escapes other than \\d and escaped punctuation"),
    }
}

fn set(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Class, Unsupported> {
    let negated = chars.next_if_eq(&'^').is_some();
    let mut ranges = Vec::new();
    loop {
        let c = chars.next().ok_or("an unterminated class")?;
        let lo = match c {
            // ECMA-262 reads `[]` as the empty class, not as a literal `]`.
            ']' if ranges.is_empty() => return Err("an empty class"),
            ']' => break,
            '\\' => match escape(chars.next().ok_or("a trailing \\")?)? {
                Class::Char(c) => c,
                Class::Set { ranges: inner, .. } => {
                    ranges.extend(inner);
                    continue;
                }
                Class::Any => return Err("an unsupported class member"),
            },
            '[' => return Err("nested classes"),
            c => c,
        };
        // `a-z`; a `-` before `]` is literal.
        let mut lookahead = chars.clone();
        if lookahead.next() == Some('-') && !matches!(lookahead.next(), Some(']') | None) {
            chars.next();
            let hi = match chars.next().ok_or("an unterminated class")? {
                '\\' => match escape(chars.next().ok_or("a trailing \\")?)? {
                    Class::Char(c) => c,
                    _ => return Err("a class range ending in a class"),
                },
                c => c,
            };
            if hi < lo {
                return Err("a descending class range");
            }
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
    Ok(Class::Set { negated, ranges })
}

fn braces(spec: &str) -> Result<(usize, usize), Unsupported> {
    let number = |text: &str| text.parse::<usize>().map_err(|_| "a malformed {n,m}");
    let (min, max) = match spec.split_once(',') {
        None => {
            let n = number(spec)?;
            (n, n)
        }
        Some((min, "")) => (number(min)?, usize::MAX),
        Some((min, max)) => (number(min)?, number(max)?),
    };
    if max < min {
        return Err("a {n,m} with m < n");
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern).unwrap().is_match(text)
    }

    #[test]
    fn country_codes_and_profiles() {
        assert!(matches("^[A-Z]{2}$", "GB"));
        for bad in ["gb", "GBR", "G", "", "G1"] {
            assert!(!matches("^[A-Z]{2}$", bad), "{bad}");
        }
        assert!(matches("^[LMHV][0-9][A-Z]$", "M1B"));
        assert!(!matches("^[LMHV][0-9][A-Z]$", "X1B"));
        assert!(matches("^[a-z0-9_]{1,64}$", "irish_passport_card"));
        assert!(!matches("^[a-z0-9_]{1,64}$", "Passport"));
        assert!(!matches("^[a-z0-9_]{1,64}$", &"a".repeat(65)));
    }

    #[test]
    fn an_unanchored_end_matches_a_prefix() {
        assert!(matches(
            "^data:image/jpeg;base64,",
            "data:image/jpeg;base64,/9j/4AAQ"
        ));
        assert!(!matches(
            "^data:image/jpeg;base64,",
            "data:image/png;base64,iVBO"
        ));
        assert!(!matches(
            "^data:image/jpeg;base64,",
            "xdata:image/jpeg;base64,"
        ));
    }

    #[test]
    fn quantifiers_escapes_and_classes() {
        assert!(matches(r"^\d+-\d*\.[^ ]?x$", "12-.x"));
        assert!(matches(r"^\d+-\d*\.[^ ]?x$", "1-34.yx"));
        assert!(!matches(r"^\d+-\d*\.[^ ]?x$", "1-34. x"));
        assert!(matches("^a*a*a*b$", &format!("{}b", "a".repeat(1000))));
        assert!(!matches("^a*a*a*b$", &"a".repeat(1000)));
        assert!(matches("^[a-]{2,}$", "-a-"));
        assert!(matches("^.{3}$", "é€x"));
        assert!(!matches("^.$", "\n"));
        assert!(matches(r"^[+/=\d]+$", "+/=9"));
        assert!(matches(r"^\$$", "$"));
    }

    #[test]
    fn a_long_input_is_linear() {
        // 96 KiB through two unbounded atoms over the same characters.
        let text = format!("data:image/jpeg;base64,{}==", "A".repeat(96 * 1024));
        assert!(matches(
            "^data:image/jpeg;base64,[A-Za-z0-9+/]+[A-Za-z0-9+/]*={0,2}$",
            &text
        ));
    }

    #[test]
    fn everything_else_is_refused() {
        for pattern in [
            "[A-Z]{2}",
            "^(GB|IE)$",
            "^a|b$",
            "^a+?$",
            "^\\w+$",
            "^[a-z$",
            "^{2}$",
            "^a{3,2}$",
            "^a{x}$",
            "^[z-a]$",
            "^a^b$",
            "^[]a]$",
        ] {
            assert!(Pattern::compile(pattern).is_err(), "{pattern}");
        }
    }
}
