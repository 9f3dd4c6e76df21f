//! The `.npy` header text -> its three values, by a small strict parser of our own.
//!
//! NumPy writes the header as a Python dict literal, `{'descr': '<f4', 'fortran_order': False,
//! 'shape': (3, 4), }`, padded with spaces and ended by `\n`, and reads it back with
//! `ast.literal_eval` and the checks of `numpy/lib/format.py`. This parser accepts what those accept
//! from a header NumPy could have written: exactly the keys `'descr'`, `'fortran_order'` and
//! `'shape'`, each once, in any order; strings in single or double quotes (no escapes, no prefixes);
//! `True`/`False`; a shape tuple of whole numbers (a Python 2 `L` suffix in format 1.0 and 2.0, as
//! NumPy allows); parentheses around a value, which Python ignores; any whitespace between tokens and
//! an optional trailing comma. Anything else is refused with one line saying where (a 1-based
//! character offset in the header text) and what was expected. It reads each character once and
//! never backtracks, so no header is slow.

use super::super::FormatError;

/// The deepest bracket nesting accepted, counting the dict's braces; a structured dtype with
/// sub-array fields needs 4.
pub(super) const MAX_NESTING: usize = 8;

/// The header's dtype as written: a type string such as `<f4`, or a structured dtype (a list of
/// fields), of which only the field names matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Descr {
    Plain(String),
    Fields(Vec<String>),
}

impl Descr {
    /// The dtype as messages show it: `'<f4'`, or the field names in brackets.
    pub fn shown(&self) -> String {
        match self {
            Descr::Plain(s) => format!("'{s}'"),
            Descr::Fields(names) => format!("[{}]", Descr::names(names)),
        }
    }

    /// `'w', 'b'`.
    pub fn names(names: &[String]) -> String {
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The dimensions as written, checked to be whole numbers: their values, or `None` where one does
/// not fit in u64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dims {
    pub values: Vec<Option<u64>>,
    /// Each dimension in decimal, without leading zeros, for messages.
    pub shown: Vec<String>,
}

impl Dims {
    /// `[3, 4]`, as shape messages show a shape.
    pub fn show(&self) -> String {
        format!("[{}]", self.shown.join(", "))
    }
}

/// What the header dict says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HeaderDict {
    pub descr: Descr,
    pub fortran_order: bool,
    pub shape: Dims,
}

/// A literal in the header and where it is: `start..end` are character indices into the text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Value {
    kind: Kind,
    start: usize,
    end: usize,
    /// Written inside parentheses of its own (`(5)` is the number 5 to Python, not a tuple).
    parenthesized: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Str(String),
    /// A bare word: a name (`True`) or a number (`12`, `-1`, `1e3`), judged by where it is used.
    Atom(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
}

fn bad(reason: String) -> FormatError {
    FormatError::BadHeader { reason }
}

/// Parses and checks the header text (already decoded: Latin-1 for format 1.0 and 2.0, UTF-8 for
/// 3.0, as NumPy reads it). `python2_longs` allows the `L` suffix NumPy strips from format 1.0 and
/// 2.0 headers written by Python 2.
pub(super) fn parse(text: &[char], python2_longs: bool) -> Result<HeaderDict, FormatError> {
    let entries = Parser { text, pos: 0 }.dict()?;
    let src = Source(text);
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    for (key, key_at, value) in entries {
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran_order,
            "shape" => &mut shape,
            _ => {
                return Err(bad(format!(
                    "unexpected key '{}' at character {}; a .npy header has exactly the keys \
                     'descr', 'fortran_order' and 'shape'",
                    shorten(&key),
                    key_at + 1
                )))
            }
        };
        if let Some((first_at, _)) = slot {
            return Err(bad(format!(
                "the key '{key}' appears twice, at characters {} and {}",
                *first_at + 1,
                key_at + 1
            )));
        }
        *slot = Some((key_at, value));
    }
    let missing = |key: &str| bad(format!("dict is missing key '{key}'"));
    let (_, fortran_order) = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let (_, shape) = shape.ok_or_else(|| missing("shape"))?;
    let (_, descr) = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = match &fortran_order.kind {
        Kind::Atom(a) if a == "True" => true,
        Kind::Atom(a) if a == "False" => false,
        _ => {
            return Err(bad(format!(
                "'fortran_order' must be True or False, found {}",
                src.at(&fortran_order)
            )))
        }
    };
    Ok(HeaderDict {
        shape: dims(&shape, &src, python2_longs)?,
        descr: descr_of(&descr, &src)?,
        fortran_order,
    })
}

/// The shape: a tuple of whole numbers.
fn dims(shape: &Value, src: &Source, python2_longs: bool) -> Result<Dims, FormatError> {
    let refuse = |v: &Value, why: &str| {
        bad(format!(
            "the shape must be a tuple of whole numbers, found {}{why}",
            src.at(v)
        ))
    };
    let items = match &shape.kind {
        Kind::Tuple(items) => items,
        Kind::Atom(word) if shape.parenthesized => {
            return Err(refuse(
                shape,
                &format!(
                    " (parentheses alone do not make a tuple: one dimension is written ({},))",
                    shorten(word)
                ),
            ))
        }
        _ => return Err(refuse(shape, "")),
    };
    let mut out = Dims {
        values: Vec::with_capacity(items.len()),
        shown: Vec::with_capacity(items.len()),
    };
    for item in items {
        let Kind::Atom(word) = &item.kind else {
            return Err(refuse(item, ""));
        };
        let digits = match word.strip_suffix('L') {
            Some(d) if python2_longs => d,
            _ => word.as_str(),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            let negative = word
                .strip_prefix('-')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            return Err(refuse(
                item,
                if negative {
                    " (a dimension cannot be negative)"
                } else {
                    ""
                },
            ));
        }
        let shown = match digits.trim_start_matches('0') {
            "" => "0",
            d => d,
        };
        if shown.len() < digits.len() && shown != "0" {
            // Python (and so NumPy) refuses `012`; only zero itself may be written `00`.
            return Err(refuse(item, " (a Python integer cannot start with 0)"));
        }
        out.values.push(shown.parse::<u64>().ok());
        out.shown.push(shown.to_string());
    }
    Ok(out)
}

/// The dtype: a type string, or a list of `(name, dtype)` or `(name, dtype, shape)` fields.
fn descr_of(descr: &Value, src: &Source) -> Result<Descr, FormatError> {
    let items = match &descr.kind {
        Kind::Str(s) => return Ok(Descr::Plain(s.clone())),
        Kind::List(items) => items,
        _ => {
            return Err(bad(format!(
                "'descr' must be a dtype string such as '<f4', found {}",
                src.at(descr)
            )))
        }
    };
    let field_name = |item: &Value| match &item.kind {
        Kind::Tuple(parts) | Kind::List(parts) if (2..=3).contains(&parts.len()) => {
            match (&parts[0].kind, &parts[1].kind) {
                (Kind::Str(name), Kind::Str(_) | Kind::List(_)) => Some(name.clone()),
                _ => None,
            }
        }
        _ => None,
    };
    items
        .iter()
        .map(|item| {
            field_name(item).ok_or_else(|| {
                bad(format!(
                    "a structured 'descr' must list (name, dtype) fields, found {}",
                    src.at(item)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Descr::Fields)
}

/// The header text, for quoting a value in a message.
struct Source<'a>(&'a [char]);

impl Source<'_> {
    /// `(5) at character 52`: the value as written (on one line, shortened) and where it starts.
    fn at(&self, v: &Value) -> String {
        let text: String = self
            .0
            .get(v.start..v.end)
            .unwrap_or_default()
            .iter()
            .map(|&c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        format!("{} at character {}", shorten(&text), v.start + 1)
    }
}

/// At most 40 characters of `s`, with `…` when cut.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// How a character is named in a message.
fn describe(c: Option<char>) -> String {
    match c {
        None => "the end of the header".to_string(),
        Some('\'') => "\"'\"".to_string(),
        Some('"') => "'\"'".to_string(),
        Some(c) => format!("'{}'", c.escape_debug()),
    }
}

struct Parser<'a> {
    text: &'a [char],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | '\x0c')) {
            self.pos += 1;
        }
    }

    /// A syntax error at character index `at`.
    fn syntax(&self, at: usize, what: &str) -> FormatError {
        bad(format!(
            "the header is not a Python dict literal at character {} ({what})",
            at + 1
        ))
    }

    /// The character here is not what `expected` says: a syntax error naming it (a backslash,
    /// which NumPy never writes, gets its own message).
    fn unexpected(&self, expected: &str) -> FormatError {
        if self.peek() == Some('\\') {
            return self.backslash();
        }
        self.syntax(
            self.pos,
            &format!("expected {expected}, found {}", describe(self.peek())),
        )
    }

    /// A `{` here, inside the dict or after it.
    fn nested_brace(&self) -> FormatError {
        bad(format!(
            "expected one dict literal {{...}}, found a nested or second '{{' at character {}",
            self.pos + 1
        ))
    }

    fn backslash(&self) -> FormatError {
        bad(format!(
            "unexpected backslash at character {} of the header; NumPy headers hold no escapes",
            self.pos + 1
        ))
    }

    /// The whole header: one dict, then only whitespace. Returns its entries in order, each with
    /// where its key starts.
    fn dict(&mut self) -> Result<Vec<(String, usize, Value)>, FormatError> {
        self.skip_whitespace();
        if self.peek() != Some('{') {
            return Err(self.unexpected("'{'"));
        }
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_whitespace();
            let key_at = self.pos;
            let key = match self.peek() {
                Some('}') => break,
                Some('\'' | '"') => self.string()?,
                _ => {
                    return Err(self
                        .unexpected("a quoted key ('descr', 'fortran_order' or 'shape') or '}'"))
                }
            };
            self.skip_whitespace();
            if self.peek() != Some(':') {
                return Err(self.unexpected(&format!("':' after the key '{}'", shorten(&key))));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(1)?;
            self.skip_whitespace();
            let last = match self.peek() {
                Some(',') => false,
                Some('}') => true,
                _ => {
                    return Err(self.unexpected(&format!(
                        "',' or '}}' after the value of '{}'",
                        shorten(&key)
                    )))
                }
            };
            entries.push((key, key_at, value));
            if last {
                break;
            }
            self.pos += 1;
        }
        self.pos += 1; // the closing brace
        self.skip_whitespace();
        match self.peek() {
            None => Ok(entries),
            Some('{') => Err(self.nested_brace()),
            Some('\\') => Err(self.backslash()),
            Some(_) => Err(self.syntax(self.pos, "nothing may follow the closing brace")),
        }
    }

    /// A value inside brackets nested `depth` deep (the dict's braces are depth 1).
    fn value(&mut self, depth: usize) -> Result<Value, FormatError> {
        let start = self.pos;
        let kind = match self.peek() {
            Some('\'' | '"') => Kind::Str(self.string()?),
            Some(open @ ('(' | '[')) => {
                if depth + 1 > MAX_NESTING {
                    return Err(bad(format!(
                        "brackets nested deeper than {MAX_NESTING} levels at character {}",
                        self.pos + 1
                    )));
                }
                return self.sequence(open, depth + 1);
            }
            Some('{') => return Err(self.nested_brace()),
            Some(c) if is_atom_char(c) => {
                while self.peek().is_some_and(is_atom_char) {
                    self.pos += 1;
                }
                Kind::Atom(
                    self.text
                        .get(start..self.pos)
                        .unwrap_or_default()
                        .iter()
                        .collect(),
                )
            }
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Value {
            kind,
            start,
            end: self.pos,
            parenthesized: false,
        })
    }

    /// `( … )` or `[ … ]` at depth `depth`: a tuple, a list, or a value in parentheses.
    fn sequence(&mut self, open: char, depth: usize) -> Result<Value, FormatError> {
        let start = self.pos;
        let close = if open == '(' { ')' } else { ']' };
        self.pos += 1;
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_whitespace();
            if self.peek() == Some(close) {
                break;
            }
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(',') => {
                    comma = true;
                    self.pos += 1;
                }
                Some(c) if c == close => break,
                _ => return Err(self.unexpected(&format!("',' or '{close}'"))),
            }
        }
        self.pos += 1; // the closing bracket
        let end = self.pos;
        if open == '(' && items.len() == 1 && !comma {
            if let Some(mut inner) = items.pop() {
                (inner.start, inner.end, inner.parenthesized) = (start, end, true);
                return Ok(inner);
            }
        }
        let kind = if open == '(' {
            Kind::Tuple(items)
        } else {
            Kind::List(items)
        };
        Ok(Value {
            kind,
            start,
            end,
            parenthesized: false,
        })
    }

    /// A string in single or double quotes, on one line, without escapes.
    fn string(&mut self) -> Result<String, FormatError> {
        let start = self.pos;
        let quote = self.peek();
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => return Err(self.syntax(start, "the string that starts here never ends")),
                Some('\n' | '\r') => {
                    return Err(self.syntax(
                        start,
                        "the string that starts here does not end on its line",
                    ))
                }
                Some('\\') => return Err(self.backslash()),
                c if c == quote => break,
                Some(c) if c.is_control() && c != '\t' => {
                    return Err(self.syntax(
                        self.pos,
                        &format!("unexpected {} inside a string", describe(Some(c))),
                    ))
                }
                Some(c) => s.push(c),
            }
            self.pos += 1;
        }
        self.pos += 1; // the closing quote
        Ok(s)
    }
}

/// The characters of a bare word: names, numbers and signs (`True`, `12`, `-1`, `1e3`, `3L`),
/// taken as one word so that a message can show what stands where a number should.
fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')
}
