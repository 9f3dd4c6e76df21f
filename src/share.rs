//! The view as a link: which sample, scheme, axis, channel and theme are shown, to and from a URL
//! query string. Pure Rust (no web types), so every rule here is tested natively.
//!
//! Parsing never fails: an unknown or malformed parameter falls back to its default and adds a
//! [`Notice`] that says what was found, what was expected, and what is shown instead.
//!
//! Adding a parameter is one entry in [`PARAMS`] (its key, how to read it, how to write it) and a
//! field in [`ViewState`]. The entries run in table order, so a parameter can depend on the ones
//! above it (the axis is checked against the sample's shape, the channel against the axis).

use crate::samples::{self, Sample};

/// Colour theme of the page and the charts. `Auto` follows the system's `prefers-color-scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Auto, Theme::Light, Theme::Dark];

    pub fn id(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn from_id(id: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.id() == id)
    }

    /// Whether the page is dark, given whether the system prefers dark.
    pub fn is_dark(self, system_prefers_dark: bool) -> bool {
        match self {
            Theme::Auto => system_prefers_dark,
            Theme::Light => false,
            Theme::Dark => true,
        }
    }
}

/// Everything a link reproduces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    /// A bundled sample's id; `None` when the view shows the user's own file, which is never put in
    /// a link (it never leaves the browser).
    pub sample: Option<String>,
    /// A scheme id from [`Choices::schemes`].
    pub scheme: String,
    /// The channel axis, normalized (`0..rank`).
    pub axis: usize,
    /// The selected channel; `None` picks the default (a typical channel) once the tensor is shown.
    pub channel: Option<usize>,
    pub theme: Theme,
    /// Embed mode: plots and essential controls, no page chrome.
    pub embed: bool,
    /// A name the host page gives this widget, echoed in its height messages.
    pub id: Option<String>,
}

/// What the page offers, for checking values against it.
#[derive(Debug, Clone, Copy)]
pub struct Choices<'a> {
    /// Scheme ids; the first is the default.
    pub schemes: &'a [&'a str],
}

/// One parameter that was ignored, with the reason, for a visible non-blocking message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice(pub String);

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest `id` accepted (it is echoed to the host page, so it is kept short and plain).
pub const MAX_ID_LEN: usize = 64;

/// One URL parameter: its key, how to read a value into the state, how to write it back.
struct Param {
    key: &'static str,
    /// Applies `value`; on `Err(why)` the state keeps the default and `why` goes into a notice.
    /// `why` says what was expected and what is shown instead.
    read: fn(&mut ViewState, &str, &Choices) -> Result<(), String>,
    /// The value for a link, or `None` to leave the key out.
    write: fn(&ViewState) -> Option<String>,
}

/// Every parameter, in the order they are read and written.
const PARAMS: &[Param] = &[
    Param {
        key: "sample",
        read: read_sample,
        write: |s| s.sample.clone(),
    },
    Param {
        key: "scheme",
        read: read_scheme,
        write: |s| Some(s.scheme.clone()),
    },
    Param {
        key: "axis",
        read: read_axis,
        // The axis and channel of the user's own file mean nothing without the file.
        write: |s| s.sample.as_ref().map(|_| s.axis.to_string()),
    },
    Param {
        key: "ch",
        read: read_channel,
        write: |s| s.sample.as_ref().and(s.channel).map(|c| c.to_string()),
    },
    Param {
        key: "theme",
        read: |s, v, _| match Theme::from_id(v) {
            Some(t) => {
                s.theme = t;
                Ok(())
            }
            None => Err("expected light, dark or auto; using auto".to_string()),
        },
        write: |s| (s.theme != Theme::Auto).then(|| s.theme.id().to_string()),
    },
    Param {
        key: "embed",
        read: |s, v, _| match v {
            "1" | "true" | "" => {
                s.embed = true;
                Ok(())
            }
            "0" | "false" => {
                s.embed = false;
                Ok(())
            }
            _ => Err("expected 1 or 0; showing the full page".to_string()),
        },
        write: |s| s.embed.then(|| "1".to_string()),
    },
    Param {
        key: "id",
        read: read_id,
        write: |s| s.id.clone(),
    },
];

/// The keys a link may carry, for messages and documentation.
pub fn keys() -> Vec<&'static str> {
    PARAMS.iter().map(|p| p.key).collect()
}

impl ViewState {
    /// The view a page without parameters shows.
    pub fn default_for(choices: &Choices) -> ViewState {
        ViewState {
            sample: Some(samples::DEFAULT_SAMPLE.to_string()),
            scheme: choices.schemes.first().copied().unwrap_or("").to_string(),
            axis: 0,
            channel: None,
            theme: Theme::Auto,
            embed: false,
            id: None,
        }
    }

    /// Reads a query string (with or without the leading `?`). Never fails: each parameter that is
    /// unknown or malformed keeps its default and adds a notice.
    pub fn parse(query: &str, choices: &Choices) -> (ViewState, Vec<Notice>) {
        let mut state = ViewState::default_for(choices);
        let mut notices = Vec::new();
        let mut given: Vec<(String, String)> = Vec::new();
        for part in query.trim_start_matches('?').split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            if !PARAMS.iter().any(|p| p.key == k) {
                notices.push(Notice(format!(
                    "Ignored `{}`: unknown parameter (known: {})",
                    shown(&k, &v),
                    keys().join(", ")
                )));
                continue;
            }
            if let Some(i) = given.iter().position(|(gk, _)| *gk == k) {
                notices.push(Notice(format!(
                    "Ignored `{}`: `{k}` appears more than once; using the last one",
                    shown(&k, &given[i].1)
                )));
                given.remove(i);
            }
            given.push((k, v));
        }
        for p in PARAMS {
            if let Some((_, v)) = given.iter().find(|(k, _)| k == p.key) {
                if let Err(why) = (p.read)(&mut state, v, choices) {
                    notices.push(Notice(format!("Ignored `{}`: {why}", shown(p.key, v))));
                }
            }
        }
        (state, notices)
    }

    /// The query string (without `?`) that reproduces this view.
    pub fn to_query(&self) -> String {
        PARAMS
            .iter()
            .filter_map(|p| (p.write)(self).map(|v| format!("{}={}", p.key, percent_encode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same view as a full page (for "open full view" from an embedded widget).
    pub fn full_view(&self) -> ViewState {
        ViewState {
            embed: false,
            id: None,
            ..self.clone()
        }
    }

    fn sample_info(&self) -> Option<&'static Sample> {
        self.sample.as_deref().and_then(samples::find)
    }
}

fn read_sample(s: &mut ViewState, v: &str, _: &Choices) -> Result<(), String> {
    match samples::find(v) {
        Some(found) => {
            s.sample = Some(found.id.to_string());
            Ok(())
        }
        None => Err(format!(
            "no bundled sample has this id ({} samples, e.g. `{}`); showing the default sample",
            samples::SAMPLES.len(),
            samples::DEFAULT_SAMPLE
        )),
    }
}

fn read_scheme(s: &mut ViewState, v: &str, c: &Choices) -> Result<(), String> {
    if c.schemes.contains(&v) {
        s.scheme = v.to_string();
        Ok(())
    } else {
        Err(format!(
            "expected one of {}; using {}",
            c.schemes.join(", "),
            s.scheme
        ))
    }
}

fn read_axis(s: &mut ViewState, v: &str, _: &Choices) -> Result<(), String> {
    let shape = s.sample_info().map(|x| x.shape).unwrap_or(&[]);
    let rank = shape.len();
    let Ok(a) = v.parse::<i64>() else {
        return Err(format!(
            "expected a whole number (an axis of the tensor); showing axis {}",
            s.axis
        ));
    };
    // Negative axes count from the end, as in NumPy.
    let normalized = if a < 0 { a + rank as i64 } else { a };
    if rank == 0 || normalized < 0 || normalized >= rank as i64 {
        return Err(format!(
            "this tensor has {} ({}); showing axis {}",
            plural(rank, "axis", "axes"),
            match rank {
                0 => "none".to_string(),
                1 => "0".to_string(),
                r => format!("0–{}", r - 1),
            },
            s.axis
        ));
    }
    s.axis = normalized as usize;
    Ok(())
}

fn read_channel(s: &mut ViewState, v: &str, _: &Choices) -> Result<(), String> {
    let channels = s
        .sample_info()
        .and_then(|x| x.shape.get(s.axis).copied())
        .unwrap_or(0);
    match v.parse::<usize>() {
        Ok(c) if c < channels => {
            s.channel = Some(c);
            Ok(())
        }
        Ok(_) => Err(format!(
            "axis {} has {} (0–{}); showing a typical channel",
            s.axis,
            plural(channels, "channel", "channels"),
            channels.saturating_sub(1)
        )),
        Err(_) => Err(
            "expected a channel number (a whole number from 0); showing a typical channel"
                .to_string(),
        ),
    }
}

fn read_id(s: &mut ViewState, v: &str, _: &Choices) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    if !v.is_empty() && v.len() <= MAX_ID_LEN && v.chars().all(plain) {
        s.id = Some(v.to_string());
        Ok(())
    } else {
        Err(format!(
            "expected 1 to {MAX_ID_LEN} letters, digits or - _ . : ; height messages carry no id"
        ))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `key=value` as written in a notice: long or odd values are cut and control characters dropped.
fn shown(k: &str, v: &str) -> String {
    let clean = |s: &str| -> String {
        let s: String = s.chars().filter(|c| !c.is_control()).collect();
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s
        }
    };
    format!("{}={}", clean(k), clean(v))
}

/// Text for an HTML attribute value in double quotes.
pub fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sandbox an embedding iframe needs: scripts, and downloads for the export buttons. No
/// `allow-same-origin`: the widget needs no access to the host's origin, cookies or storage.
pub const IFRAME_SANDBOX: &str = "allow-scripts allow-downloads";

/// The `<iframe>` that embeds the app at `src` (an absolute URL with `embed=1`), lazily loaded,
/// titled for screen readers, sandboxed; `height` in CSS pixels (hosts can adjust it from the
/// widget's height messages, see docs/EMBEDDING.md).
pub fn iframe_snippet(src: &str, title: &str, height: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" sandbox=\"{IFRAME_SANDBOX}\" style=\"border:0;max-width:100%\"></iframe>",
        html_attr(src),
        html_attr(title)
    )
}

/// Decodes `%XX` escapes and `+` (a space, in form encoding). Malformed escapes stay as written;
/// bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters (`A-Z a-z 0-9 - _ . ~`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &byte in s.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHOICES: Choices = Choices {
        schemes: &["sym-int8", "asym-uint8"],
    };

    fn parse(q: &str) -> (ViewState, Vec<String>) {
        let (s, n) = ViewState::parse(q, &CHOICES);
        (s, n.into_iter().map(|n| n.0).collect())
    }

    #[test]
    fn empty_query_is_the_default_view() {
        let (s, n) = parse("");
        assert_eq!(s, ViewState::default_for(&CHOICES));
        assert!(n.is_empty());
        assert_eq!(parse("?").0, s);
        assert_eq!(s.scheme, "sym-int8");
        assert_eq!(
            s.to_query(),
            "sample=efficientnet_lite0__blocks15_depthwise_conv&scheme=sym-int8&axis=0"
        );
    }

    #[test]
    fn every_field_round_trips() {
        let s = ViewState {
            sample: Some("silero_vad__conv1".to_string()),
            scheme: "asym-uint8".to_string(),
            axis: 2,
            channel: Some(1),
            theme: Theme::Dark,
            embed: true,
            id: Some("w-2".to_string()),
        };
        let q = s.to_query();
        assert_eq!(
            q,
            "sample=silero_vad__conv1&scheme=asym-uint8&axis=2&ch=1&theme=dark&embed=1&id=w-2"
        );
        let (back, n) = parse(&format!("?{q}"));
        assert_eq!(back, s);
        assert!(n.is_empty(), "{n:?}");
        let full = s.full_view().to_query();
        assert!(!full.contains("embed") && !full.contains("id="), "{full}");
        assert!(full.contains("theme=dark&") || full.ends_with("theme=dark"));
    }

    #[test]
    fn an_uploaded_file_is_never_in_the_link() {
        let s = ViewState {
            sample: None,
            channel: Some(3),
            axis: 1,
            ..ViewState::default_for(&CHOICES)
        };
        assert_eq!(s.to_query(), "scheme=sym-int8");
    }

    #[test]
    fn bad_axis_falls_back_with_the_rank_in_the_notice() {
        // The default sample is [1152, 1, 3, 3].
        let (s, n) = parse("axis=9");
        assert_eq!(s.axis, 0);
        assert_eq!(
            n,
            ["Ignored `axis=9`: this tensor has 4 axes (0–3); showing axis 0"]
        );
        let (s, n) = parse("sample=silero_vad__conv1&axis=-1");
        assert_eq!((s.axis, n.len()), (2, 0));
        let (_, n) = parse("axis=x");
        assert_eq!(
            n,
            ["Ignored `axis=x`: expected a whole number (an axis of the tensor); showing axis 0"]
        );
        let (_, n) = parse("axis=99999999999999999999999");
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn bad_channel_is_checked_against_the_axis() {
        let (s, n) = parse("sample=silero_vad__conv1&axis=1&ch=128");
        assert_eq!((s.axis, s.channel), (1, Some(128)));
        assert!(n.is_empty());
        let (s, n) = parse("sample=silero_vad__conv1&axis=2&ch=3");
        assert_eq!(s.channel, None);
        assert_eq!(
            n,
            ["Ignored `ch=3`: axis 2 has 3 channels (0–2); showing a typical channel"]
        );
        let (_, n) = parse("ch=-1");
        assert!(n[0].starts_with("Ignored `ch=-1`: expected a channel number"));
    }

    #[test]
    fn unknown_and_malformed_parameters_each_get_a_notice() {
        let (s, n) = parse("sample=nope&scheme=int4&theme=pink&embed=yes&id=<script>&zoom=2");
        assert_eq!(s, ViewState::default_for(&CHOICES));
        assert_eq!(n.len(), 6, "{n:?}");
        assert!(n[0].starts_with("Ignored `zoom=2`: unknown parameter (known: sample, scheme"));
        assert!(n[1].starts_with("Ignored `sample=nope`: no bundled sample has this id"));
        assert_eq!(
            n[2],
            "Ignored `scheme=int4`: expected one of sym-int8, asym-uint8; using sym-int8"
        );
        assert!(n[3].contains("expected light, dark or auto"));
        assert!(n[4].contains("expected 1 or 0"));
        assert!(n[5].starts_with("Ignored `id=<script>`"));
    }

    #[test]
    fn a_bad_sample_does_not_spoil_the_axis_check() {
        // The axis is checked against the default sample that is shown instead.
        let (s, n) = parse("sample=nope&axis=3&ch=2");
        assert_eq!((s.axis, s.channel), (3, Some(2)));
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn repeated_keys_keep_the_last() {
        let (s, n) = parse("theme=dark&theme=light");
        assert_eq!(s.theme, Theme::Light);
        assert_eq!(
            n,
            ["Ignored `theme=dark`: `theme` appears more than once; using the last one"]
        );
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        let (s, _) = parse("id=a%2Db&embed");
        assert_eq!((s.id.as_deref(), s.embed), (Some("a-b"), true));
        // Odd input never panics and never leaks control characters into a notice.
        let (_, n) = parse("%00%0a=%E2%82&&=&a==b&%%%");
        assert!(n.iter().all(|n| !n.chars().any(|c| c.is_control())));
    }

    #[test]
    fn long_values_are_cut_in_notices() {
        let long = "x".repeat(500);
        let (_, n) = parse(&format!("sample={long}"));
        assert!(n[0].len() < 200, "{}", n[0]);
    }

    #[test]
    fn iframe_snippet_is_escaped_and_sandboxed() {
        let s = iframe_snippet(
            "https://x.org/q/index.html?sample=a&embed=1",
            "quantlens: \"A\" <b>",
            1400,
        );
        assert_eq!(
            s,
            "<iframe src=\"https://x.org/q/index.html?sample=a&amp;embed=1\" title=\"quantlens: &quot;A&quot; &lt;b&gt;\" width=\"100%\" height=\"1400\" loading=\"lazy\" sandbox=\"allow-scripts allow-downloads\" style=\"border:0;max-width:100%\"></iframe>"
        );
    }

    #[test]
    fn theme_resolution() {
        assert!(Theme::Auto.is_dark(true) && !Theme::Auto.is_dark(false));
        assert!(Theme::Dark.is_dark(false) && !Theme::Light.is_dark(true));
    }
}
