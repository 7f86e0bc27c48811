//! Names, GUIDs and resource ids: parsed and validated before anything is sent, with the CLI's wording
//! where it has one. Every user-supplied path segment goes through `seg` so no input can reshape a URL.

use crate::error::{Error, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Characters that may not appear raw in one path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// Percent-encodes one path segment.
pub fn seg(s: &str) -> std::borrow::Cow<'_, str> {
    // Borrowed when nothing needs encoding (most names).
    utf8_percent_encode(s, SEGMENT).into()
}

pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A GUID-valued parameter (subscription, tenant, object id).
pub fn guid(param: &str, what: &str, value: &str) -> Result<String> {
    if is_guid(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::invalid_param(param, format!("{}: '{value}' is not a valid {what} (expected a GUID like 00000000-0000-0000-0000-000000000000).", flag(param))))
    }
}

/// The CLI flag spelling of a dest name, for messages (`gallery_name` → `--gallery-name`).
pub fn flag(param: &str) -> String {
    format!("--{}", param.replace('_', "-"))
}

fn non_empty(param: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_param(
            param,
            format!("{}: must not be empty.", flag(param)),
        ));
    }
    Ok(())
}

/// Letters/digits, single separators from `seps` between them, at most `max` characters (Azure's gallery rules).
fn separated_name(value: &str, seps: &[u8], max: usize) -> bool {
    // Only ASCII letters, digits and `seps` are allowed, so bytes are characters here.
    let b = value.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    b.len() <= max
        && alnum(first)
        && alnum(last)
        && b.iter().all(|&c| alnum(c) || seps.contains(&c))
        && b.windows(2).all(|w| alnum(w[0]) || alnum(w[1]))
}

pub fn gallery_name(value: &str) -> Result<&str> {
    if separated_name(value, b"._", 80) {
        Ok(value)
    } else {
        Err(Error::invalid_param(
            "gallery_name",
            format!("--gallery-name: '{value}' is not a valid gallery name. It may contain only English letters, numbers, underscores and periods, must start and end with a letter or number, may not have two separators in a row, and may be at most 80 characters long."),
        ))
    }
}

pub fn image_definition_name(value: &str) -> Result<&str> {
    if separated_name(value, b"._-", 80) {
        Ok(value)
    } else {
        Err(Error::invalid_param(
            "gallery_image_definition",
            format!("--gallery-image-definition: '{value}' is not a valid image definition name. It may contain only English letters, numbers, hyphens, underscores and periods, must start and end with a letter or number, and may be at most 80 characters long."),
        ))
    }
}

pub fn image_version_name(value: &str) -> Result<&str> {
    let parts: Vec<&str> = value.split('.').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 10 && p.parse::<i32>().is_ok_and(|n| n >= 0));
    if ok {
        Ok(value)
    } else {
        Err(Error::invalid_param(
            "gallery_image_version",
            format!("--gallery-image-version: '{value}' is not a valid version. Use the format MajorVersion.MinorVersion.Patch, e.g. 1.0.0."),
        ))
    }
}

pub fn resource_group(value: &str) -> Result<&str> {
    let ok = !value.is_empty()
        && value.chars().count() <= 90
        && !value.ends_with('.')
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    if ok {
        Ok(value)
    } else {
        Err(Error::invalid_param(
            "resource_group",
            format!("--resource-group: '{value}' is not a valid resource group name. It may contain letters, numbers, underscores, parentheses, hyphens and periods (not at the end), up to 90 characters."),
        ))
    }
}

/// Locations are normalised as the CLI does ("East US" → "eastus").
pub fn location(value: &str) -> Result<String> {
    let normal: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if normal.is_empty() || !normal.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid_param(
            "location",
            format!("--location: '{value}' is not a valid Azure location name (e.g. eastus)."),
        ));
    }
    Ok(normal)
}

/// Characters no ARM resource name may contain; any of them could also reshape a URL or a header.
const NAME_FORBIDDEN: &str = "/\\?#%<>*&:";

/// A segment the URL parser would resolve away (`.`/`..`, also when percent-encoded as `%2e`).
fn is_dot_segment(s: &str) -> bool {
    // Checked for every segment of every path and id, so without allocating: `.` or `..`, each dot
    // possibly written `%2e` / `%2E`.
    let b = s.as_bytes();
    let dot_at = |i: usize| -> Option<usize> {
        match b.get(i..) {
            Some([b'.', ..]) => Some(i + 1),
            Some([b'%', b'2', e, ..]) if e.eq_ignore_ascii_case(&b'e') => Some(i + 3),
            _ => None,
        }
    };
    match dot_at(0) {
        Some(end) if end == b.len() => true,
        Some(end) => dot_at(end) == Some(b.len()),
        None => false,
    }
}

/// A plain name used as one path segment (VMs, NICs, unique names): non-empty, at most 260
/// characters, none of ARM's forbidden characters, no whitespace or control characters, not `.`/`..`.
pub fn name(param: &str, value: &str) -> Result<String> {
    non_empty(param, value)?;
    let bad_char = |c: char| NAME_FORBIDDEN.contains(c) || c.is_whitespace() || c.is_control();
    if any_refused(value, &NAME_REFUSED_OR_WIDE, bad_char)
        || is_dot_segment(value)
        || value.len() > 260
    {
        return Err(Error::invalid_param(
            param,
            format!("{}: '{value}' is not a valid name.", flag(param)),
        ));
    }
    Ok(value.to_string())
}

/// A value sent inside a query (an OData filter), never as a path: only needs to be present and printable.
pub fn query_value(param: &str, value: &str) -> Result<String> {
    non_empty(param, value)?;
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_param(
            param,
            format!(
                "{}: '{}' is not a valid value.",
                flag(param),
                value.escape_debug()
            ),
        ));
    }
    Ok(value.to_string())
}

/// A tenant for a login: a GUID, a domain name (`contoso.onmicrosoft.com`), or `organizations`/`common`.
/// It becomes a path segment of the token URL, so nothing else is let through.
pub fn tenant(value: &str) -> Result<String> {
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if is_guid(value) || (value.len() <= 253 && value.split('.').all(label)) {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_param(
            "tenant",
            format!("--tenant: '{value}' is not a valid tenant. Use the tenant id (a GUID) or its domain name, e.g. contoso.onmicrosoft.com."),
        ))
    }
}

/// One segment of a resource id as given by the caller: not empty, not `.`/`..`, and nothing that
/// would end the path or escape it (`?`, `#`, `%`, `\`, whitespace or control characters).
pub fn plain_id_segment(s: &str) -> bool {
    let not_plain =
        |c: char| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control();
    !s.is_empty()
        && !is_dot_segment(s)
        // Every segment of every id in every result comes through here.
        && !any_refused(s, &NOT_PLAIN_OR_WIDE, not_plain)
}

/// A `ByteSet` from a predicate on the byte, made at compile time.
macro_rules! byte_set {
    (|$b:ident| $picks:expr) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            table[i] = $picks;
            i += 1;
        }
        table
    }};
}

/// A table of bytes: the ones it picks are `true`.
type ByteSet = [bool; 256];

/// What every table below picks: the ASCII controls, and every byte of a non-ASCII character.
const fn control_or_wide(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b >= 0x80
}

/// `plain_id_segment`'s refusals among ASCII bytes — `?`, `#`, `%`, `\`, space and the controls (which
/// include the other ASCII whitespace) — and every byte of a non-ASCII character (which the char check
/// decides).
const NOT_PLAIN_OR_WIDE: ByteSet =
    byte_set!(|b| control_or_wide(b) || matches!(b, b'?' | b'#' | b'%' | b'\\' | b' '));

/// `name`'s refusals among ASCII bytes — `NAME_FORBIDDEN`, space and the controls (which include the
/// other ASCII whitespace) — and every byte of a non-ASCII character (which the char check decides).
const NAME_REFUSED_OR_WIDE: ByteSet = byte_set!(|b| control_or_wide(b)
    || matches!(
        b,
        b'/' | b'\\' | b'?' | b'#' | b'%' | b'<' | b'>' | b'*' | b'&' | b':' | b' '
    ));

/// `check_path`'s refusals among ASCII bytes — `?`, `#` and the controls — and every byte of a non-ASCII
/// character (which the char check decides).
const PATH_REFUSED_OR_WIDE: ByteSet = byte_set!(|b| control_or_wide(b) || matches!(b, b'?' | b'#'));

/// Whether any byte of `s` is one `set` picks: ids and paths are checked for every object and
/// request, a lookup per byte.
fn any_byte(s: &str, set: &ByteSet) -> bool {
    s.bytes().any(|b| set[usize::from(b)])
}

/// Whether any character of `s` is one `refused` picks, given `set`: its ASCII refusals and every
/// non-ASCII byte. Nearly all text is plain ASCII and settled by the table alone; past a byte it picks,
/// ASCII text is refused and other text is read char by char.
fn any_refused(s: &str, set: &ByteSet, refused: impl Fn(char) -> bool) -> bool {
    any_byte(s, set) && (s.is_ascii() || s.chars().any(refused))
}

/// The parts of `path` between its slashes, as `path.split('/')` gives them, found with `memchr`:
/// ids and paths are split for every result object and request, and `str::split` sets up a searcher
/// per part.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'/', r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => rest.take(),
        }
    })
}

/// A path built for a request must keep the shape it was built with: no dot segments (which the
/// URL parser would resolve), no query or fragment smuggled in. The last guard before `Url::parse`.
pub fn check_path(path: &str) -> Result<()> {
    let bad = any_refused(path, &PATH_REFUSED_OR_WIDE, |c| {
        c == '?' || c == '#' || c.is_control()
    }) || segments(path).any(is_dot_segment);
    if bad {
        return Err(Error::validation(format!(
            "Refusing to send a request to '{}': a name or id in it would change the request path.",
            path.escape_debug()
        )));
    }
    Ok(())
}

/// Parts of an ARM resource id that the client needs (subscription and resource group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    pub subscription: String,
    pub resource_group: Option<String>,
    /// `(type, name)` pairs after `providers/{namespace}`, e.g. `[("galleries","g"),("images","i")]`.
    pub provider: Option<String>,
    pub types: Vec<(String, String)>,
}

impl ResourceId {
    /// Parses `/subscriptions/{s}[/resourceGroups/{rg}[/providers/{ns}/{type}/{name}[/{type}/{name}…]]]`,
    /// case-insensitively on the fixed words, as ARM does.
    pub fn parse(id: &str) -> Option<ResourceId> {
        if !segments(id.strip_prefix('/')?).all(plain_id_segment) {
            return None;
        }
        let mut it = segments(id.strip_prefix('/')?);
        if !it.next()?.eq_ignore_ascii_case("subscriptions") {
            return None;
        }
        let subscription = it.next().filter(|s| !s.is_empty())?.to_string();
        let mut rid = ResourceId {
            subscription,
            resource_group: None,
            provider: None,
            types: vec![],
        };
        while let Some(word) = it.next() {
            let value = it.next().filter(|s| !s.is_empty())?;
            if word.eq_ignore_ascii_case("resourcegroups")
                && rid.resource_group.is_none()
                && rid.provider.is_none()
            {
                rid.resource_group = Some(value.to_string());
            } else if word.eq_ignore_ascii_case("providers") && rid.provider.is_none() {
                rid.provider = Some(value.to_string());
            } else if rid.provider.is_some() {
                rid.types.push((word.to_string(), value.to_string()));
            } else {
                return None;
            }
        }
        Some(rid)
    }

    /// The resource group named in an id, which the CLI adds to its output as `resourceGroup`.
    /// Called for every object with an id in every result, so it checks the id as `parse` does
    /// without building one: `/subscriptions/{s}/resourceGroups/{rg}[/providers/{ns}/{type}/{name}…]`.
    pub fn resource_group_of(id: &str) -> Option<String> {
        let rest = id.strip_prefix('/')?;
        // Nearly every id is plain ASCII: its bytes are checked against the table in one pass (a slash
        // is not refused), then each segment for being empty or a dot segment. An id with a byte the
        // table picks goes segment by segment, char by char.
        let plain: fn(&str) -> bool = if any_byte(rest, &NOT_PLAIN_OR_WIDE) {
            plain_id_segment
        } else {
            |s| !s.is_empty() && !is_dot_segment(s)
        };
        // `subscriptions/{s}/resourceGroups/{rg}`, then nothing or `providers/{ns}` and (type, name)
        // pairs — so an even count, every segment plain.
        let mut rg = None;
        let mut count = 0;
        for (i, s) in segments(rest).enumerate() {
            if !(plain(s) && rg_id_word(i, s)) {
                return None;
            }
            if i == 3 {
                rg = Some(s);
            }
            count = i + 1;
        }
        if count % 2 != 0 {
            return None;
        }
        rg.map(str::to_string)
    }
}

/// Whether segment `i` of an id fits `subscriptions/{s}/resourceGroups/{rg}`, then nothing or
/// `providers/{ns}` and (type, name) pairs (the count is checked at the end: even).
fn rg_id_word(i: usize, s: &str) -> bool {
    match i {
        0 => s.eq_ignore_ascii_case("subscriptions"),
        2 => s.eq_ignore_ascii_case("resourcegroups"),
        4 => s.eq_ignore_ascii_case("providers"),
        _ => true,
    }
}

/// A scope for role assignments: `/`, a subscription, a resource group or a resource id.
pub fn scope(value: &str) -> Result<String> {
    let ok = value == "/" || ResourceId::parse(value).is_some_and(|r| is_guid(&r.subscription));
    if ok {
        Ok(value.trim_end_matches('/').to_string())
    } else {
        Err(Error::invalid_param("scope", format!("--scope: '{value}' is not a valid scope. Use a resource id such as /subscriptions/{{id}}/resourceGroups/{{rg}}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_as_str_split_does() {
        for p in [
            "",
            "/",
            "a",
            "/a/b",
            "a//b/",
            "//",
            "/subscriptions/s/resourceGroups/é/x",
        ] {
            assert_eq!(
                segments(p).collect::<Vec<_>>(),
                p.split('/').collect::<Vec<_>>(),
                "{p:?}"
            );
        }
    }

    #[test]
    fn dot_segments_in_every_spelling() {
        for s in [".", "..", "%2e", "%2E", "%2e%2e", ".%2E", "%2e."] {
            assert!(is_dot_segment(s), "{s}");
        }
        for s in [
            "",
            "...",
            "a",
            ".a",
            "a.",
            "%2",
            "%2f",
            "%2e%2",
            "%2e%2e%2e",
            "%2e.%2e",
            "x..",
            "%2ex",
        ] {
            assert!(!is_dot_segment(s), "{s}");
        }
    }

    #[test]
    fn resource_group_of_agrees_with_parse() {
        for id in [
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/galleries/g",
            "/subscriptions/s/resourcegroups/rg",
            "/subscriptions/s/resourceGroups/rg/",
            "/subscriptions/s/resourceGroups/rg/providers/ns/type",
            "/subscriptions/s/resourceGroups/rg/other/x",
            "/subscriptions/s/resourceGroups/rg/providers/ns/t/n/resourceGroups/x",
            "/subscriptions/s/resourceGroups/../providers/ns/t/n",
            "/subscriptions/s/resourceGroups/r%2e/x",
            "/subscriptions/s/providers/Microsoft.Compute/galleries/g",
            "/subscriptions//resourceGroups/rg",
            "/SharedGalleries/u/Images/i",
            "subscriptions/s/resourceGroups/rg",
            "",
        ] {
            assert_eq!(
                ResourceId::resource_group_of(id),
                ResourceId::parse(id).and_then(|r| r.resource_group),
                "{id}"
            );
        }
    }

    #[test]
    fn gallery_names_follow_azure_pattern() {
        for ok in ["myGallery", "my.gallery_1", "a", "A1"] {
            assert!(gallery_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "my-gallery",
            ".g",
            "g.",
            "a..b",
            "a._b",
            "g/x",
            "gü",
            "ü",
            &"a".repeat(81),
        ] {
            assert!(gallery_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_three_int32_parts() {
        assert!(image_version_name("1.0.0").is_ok());
        assert!(image_version_name("1.0").is_err());
        assert!(image_version_name("1.0.x").is_err());
        assert!(image_version_name("1.0.99999999999").is_err());
    }

    #[test]
    fn guids_and_segments() {
        assert!(is_guid("0b1f6471-1bf0-4dda-aec3-cb9272f09590"));
        assert!(!is_guid("0b1f6471-1bf0-4dda-aec3-cb9272f0959"));
        assert_eq!(seg("a/b?c#d"), "a%2Fb%3Fc%23d");
    }

    #[test]
    fn names_by_bytes_agree_with_the_unicode_rules() {
        let by_chars = |s: &str| {
            !s.chars()
                .any(|c| NAME_FORBIDDEN.contains(c) || c.is_whitespace() || c.is_control())
                && !is_dot_segment(s)
        };
        for b in 0..128u8 {
            let s = format!("a{}b", char::from(b));
            assert_eq!(name("n", &s).is_ok(), by_chars(&s), "byte {b:#x}");
        }
        for s in [
            "ü",
            "a\u{85}b",
            "a\u{3000}b",
            "ü?",
            "ü b",
            "Ünïcödé-ok",
            "..",
            "%2e",
        ] {
            assert_eq!(name("n", s).is_ok(), by_chars(s), "{s:?}");
        }
    }

    #[test]
    fn plain_segments_by_bytes_agree_with_the_unicode_rules() {
        let by_chars = |s: &str| {
            !s.is_empty()
                && !is_dot_segment(s)
                && !s
                    .chars()
                    .any(|c| "?#%\\".contains(c) || c.is_whitespace() || c.is_control())
        };
        for b in 0..128u8 {
            let s = format!("a{}b", char::from(b));
            assert_eq!(plain_id_segment(&s), by_chars(&s), "byte {b:#x}");
        }
        for s in [
            "rg",
            "",
            ".",
            "%2E",
            "a b",
            "a\tb",
            "a\x0bb",
            "a\x7fb",
            "a%20",
            "a?b",
            "a#b",
            "a\\b",
            "ü",
            "a\u{85}b",
            "a\u{3000}b",
            "a\u{a0}b",
            "Ünïcödé-ok",
            "a\u{200b}b",
        ] {
            assert_eq!(plain_id_segment(s), by_chars(s), "{s:?}");
        }
        for p in [
            "/a/b",
            "/a?b",
            "/a#b",
            "/a\x01",
            "/ü\u{85}",
            "/ü/x",
            "/a/./b",
        ] {
            let by_chars = p.contains(['?', '#'])
                || p.chars().any(char::is_control)
                || p.split('/').any(is_dot_segment);
            assert_eq!(check_path(p).is_err(), by_chars, "{p:?}");
        }
    }

    #[test]
    fn resource_ids_parse_case_insensitively() {
        let r = ResourceId::parse(
            "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/galleries/g/images/i",
        )
        .unwrap();
        assert_eq!(r.resource_group.as_deref(), Some("rg"));
        assert_eq!(
            r.types,
            vec![
                ("galleries".into(), "g".into()),
                ("images".into(), "i".into())
            ]
        );
        assert!(ResourceId::parse("/SharedGalleries/x").is_none());
        assert!(ResourceId::parse("/subscriptions/s/bogus/x").is_none());
        assert_eq!(location("East US").unwrap(), "eastus");
    }
}
