//! The OData `$filter` forms Microsoft Graph clients send for directory lookups, parsed with a
//! small tokenizer and recursive-descent parser (never by fixed positions, so spacing, casing and
//! `''`-escaped quotes inside values behave as they do against Graph).
//!
//! Supported: `field eq 'v'`, `startsWith(field,'v')` and `collection/any(x:x eq 'v')`. Anything
//! else (other operators, `and`/`or`, non-string literals) is [`Unsupported`].

use serde_json::Value;

/// The properties a collection lets clients filter on, with their canonical casing.
pub(crate) struct Schema {
    /// Single-valued string properties (`eq`, `startsWith`).
    pub scalars: &'static [&'static str],
    /// String-collection properties (`any(x:x eq 'v')`).
    pub collections: &'static [&'static str],
}

/// One parsed filter; field names carry the schema's casing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Eq { field: String, value: String },
    StartsWith { field: String, prefix: String },
    AnyEq { collection: String, value: String },
}

/// The filter is malformed or outside what the emulator (and this subset of Graph) supports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unsupported;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
    Slash,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// Reads a quoted literal after its opening quote; `''` stands for one quote, as OData escapes it.
fn string_body(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<String, Unsupported> {
    let mut value = String::new();
    loop {
        match chars.next() {
            None => return Err(Unsupported),
            Some('\'') if chars.peek() == Some(&'\'') => {
                chars.next();
                value.push('\'');
            }
            Some('\'') => return Ok(value),
            Some(c) => value.push(c),
        }
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, Unsupported> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let token = match c {
            '\'' => {
                chars.next();
                Token::Str(string_body(&mut chars)?)
            }
            c if is_ident_char(c) => {
                let mut ident = String::new();
                while let Some(&c) = chars.peek().filter(|c| is_ident_char(**c)) {
                    ident.push(c);
                    chars.next();
                }
                Token::Ident(ident)
            }
            _ => {
                chars.next();
                match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    ':' => Token::Colon,
                    '/' => Token::Slash,
                    _ => return Err(Unsupported),
                }
            }
        };
        tokens.push(token);
    }
    Ok(tokens)
}

/// A cursor over the tokens of one expression.
struct Parser {
    tokens: std::vec::IntoIter<Token>,
}

impl Parser {
    fn next(&mut self) -> Result<Token, Unsupported> {
        self.tokens.next().ok_or(Unsupported)
    }

    fn expect(&mut self, token: Token) -> Result<(), Unsupported> {
        (self.next()? == token).then_some(()).ok_or(Unsupported)
    }

    fn ident(&mut self) -> Result<String, Unsupported> {
        match self.next()? {
            Token::Ident(name) => Ok(name),
            _ => Err(Unsupported),
        }
    }

    /// An identifier that must be `word` (OData keywords and functions, matched case-insensitively).
    fn keyword(&mut self, word: &str) -> Result<(), Unsupported> {
        let ident = self.ident()?;
        ident
            .eq_ignore_ascii_case(word)
            .then_some(())
            .ok_or(Unsupported)
    }

    fn string(&mut self) -> Result<String, Unsupported> {
        match self.next()? {
            Token::Str(value) => Ok(value),
            _ => Err(Unsupported),
        }
    }

    fn finish(mut self) -> Result<(), Unsupported> {
        self.tokens.next().map_or(Ok(()), |_| Err(Unsupported))
    }
}

/// The schema's spelling of `name` (property names are matched case-insensitively).
fn canonical(names: &[&str], name: &str) -> Result<String, Unsupported> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .map(|n| n.to_string())
        .ok_or(Unsupported)
}

/// `startsWith(field,'prefix')`, after the function name.
fn starts_with(p: &mut Parser, schema: &Schema) -> Result<Filter, Unsupported> {
    p.expect(Token::Open)?;
    let field = canonical(schema.scalars, &p.ident()?)?;
    p.expect(Token::Comma)?;
    let prefix = p.string()?;
    p.expect(Token::Close)?;
    Ok(Filter::StartsWith { field, prefix })
}

/// `/any(x:x eq 'value')`, after the collection name; the lambda variable must be the bound one.
fn any_eq(p: &mut Parser, collection: String) -> Result<Filter, Unsupported> {
    p.expect(Token::Slash)?;
    p.keyword("any")?;
    p.expect(Token::Open)?;
    let variable = p.ident()?;
    p.expect(Token::Colon)?;
    if p.ident()? != variable {
        return Err(Unsupported);
    }
    p.keyword("eq")?;
    let value = p.string()?;
    p.expect(Token::Close)?;
    Ok(Filter::AnyEq { collection, value })
}

/// Parses `input` against the properties `schema` allows.
pub(crate) fn parse(input: &str, schema: &Schema) -> Result<Filter, Unsupported> {
    let tokens = tokenize(input)?;
    // The token after the leading identifier decides the form: `(` a function, `/` a lambda.
    let form = tokens.get(1).cloned();
    let mut p = Parser {
        tokens: tokens.into_iter(),
    };
    let first = p.ident()?;
    let filter = match form {
        Some(Token::Open) if first.eq_ignore_ascii_case("startsWith") => {
            starts_with(&mut p, schema)?
        }
        Some(Token::Slash) => any_eq(&mut p, canonical(schema.collections, &first)?)?,
        _ => {
            let field = canonical(schema.scalars, &first)?;
            p.keyword("eq")?;
            Filter::Eq {
                field,
                value: p.string()?,
            }
        }
    };
    p.finish()?;
    Ok(filter)
}

/// Parses text that must be exactly one quoted string literal, as in `(appId='…')` keys.
pub(crate) fn string_literal(input: &str) -> Result<String, Unsupported> {
    match tokenize(input)?.as_slice() {
        [Token::Str(value)] => Ok(value.clone()),
        _ => Err(Unsupported),
    }
}

/// Directory string comparisons ignore case (UPNs, mail and display names alike).
fn same_text(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl Filter {
    /// Whether a Graph JSON object satisfies the filter; a null or missing property never matches.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        match self {
            Filter::Eq { field, value } => {
                object[field].as_str().is_some_and(|v| same_text(v, value))
            }
            Filter::StartsWith { field, prefix } => object[field]
                .as_str()
                .is_some_and(|v| v.to_lowercase().starts_with(&prefix.to_lowercase())),
            Filter::AnyEq { collection, value } => {
                object[collection].as_array().is_some_and(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|v| same_text(v, value))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: Schema = Schema {
        scalars: &["id", "displayName", "userPrincipalName"],
        collections: &["servicePrincipalNames"],
    };

    fn eq(field: &str, value: &str) -> Filter {
        Filter::Eq {
            field: field.into(),
            value: value.into(),
        }
    }

    #[test]
    fn parses_each_form_with_free_spacing_and_casing() {
        assert_eq!(
            parse("userprincipalname eq 'a@b.com'", &SCHEMA),
            Ok(eq("userPrincipalName", "a@b.com"))
        );
        assert_eq!(
            parse("  startswith( displayName , 'Al' ) ", &SCHEMA),
            Ok(Filter::StartsWith {
                field: "displayName".into(),
                prefix: "Al".into()
            })
        );
        assert_eq!(
            parse("servicePrincipalNames/any(c:c eq 'api://x')", &SCHEMA),
            Ok(Filter::AnyEq {
                collection: "servicePrincipalNames".into(),
                value: "api://x".into()
            })
        );
    }

    #[test]
    fn doubled_quotes_are_one_quote() {
        assert_eq!(
            parse("displayName eq 'O''Brien'", &SCHEMA),
            Ok(eq("displayName", "O'Brien"))
        );
        assert_eq!(string_literal("'it''s'"), Ok("it's".into()));
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        for bad in [
            "",
            "displayName ne 'x'",
            "displayName eq 'x' and id eq 'y'",
            "displayName eq 'unterminated",
            "accountEnabled eq true",
            "mail eq 'x'",
            "endsWith(displayName,'x')",
            "servicePrincipalNames/any(c:d eq 'x')",
            "displayName/any(c:c eq 'x')",
            "startsWith(servicePrincipalNames,'x')",
            "displayName eq \"x\"",
        ] {
            assert_eq!(parse(bad, &SCHEMA), Err(Unsupported), "{bad}");
        }
    }

    #[test]
    fn matching_ignores_case_and_skips_nulls() {
        let object = json!({"displayName": "Alinne Montes", "userPrincipalName": null,
                            "servicePrincipalNames": ["A", "api://a"]});
        assert!(eq("displayName", "alinne montes").matches(&object));
        assert!(!eq("userPrincipalName", "x").matches(&object));
        assert!(parse("startsWith(displayName,'ALI')", &SCHEMA)
            .unwrap()
            .matches(&object));
        assert!(
            parse("servicePrincipalNames/any(c:c eq 'API://A')", &SCHEMA)
                .unwrap()
                .matches(&object)
        );
    }
}
