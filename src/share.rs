//! The view as a link: which sample, preset and scheme details, range method, groups, axis,
//! channel and theme are shown, to and from a URL query string. Pure Rust (no web types), so every rule here is tested natively.
//!
//! Parsing never fails: an unknown or malformed parameter falls back to its default and adds a
//! [`Notice`] that says what was found, what was expected, and what is shown instead.
//!
//! Adding a parameter is one entry in [`PARAMS`] (its key, how to read it, how to write it) and a
//! field in [`ViewState`]. The entries run in table order, so a parameter can depend on the ones
//! above it (the axis is checked against the sample's shape, the channel against the axis).

use crate::engine::range::RangeMethod;
use crate::engine::spec::{
    self, Convention, Granularity, QuantSpec, Rounding, MAX_BITS, MAX_GROUP_SIZE, MIN_BITS,
};
use crate::samples::{self, Sample};

/// The percentile a link without `p=` uses for the percentile method (TensorRT's default).
pub const DEFAULT_PERCENTILE: f64 = 99.99;

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
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// A bundled sample's id; `None` when the view shows the user's own file, which is never put in
    /// a link (it never leaves the browser).
    pub sample: Option<String>,
    /// The preset the details start from (a [`spec::Preset`] id).
    pub preset: &'static str,
    /// The scheme: the preset's, with any detail the link changes.
    pub spec: QuantSpec,
    pub method: RangeMethod,
    pub group_size: usize,
    /// `None`: groups along whole rows.
    pub group_axis: Option<usize>,
    /// The granularity highlighted as the one deployed.
    pub focus: Granularity,
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
    /// The presets; the first is the default.
    pub presets: &'a [spec::Preset],
}

impl Choices<'static> {
    /// The engine's presets.
    pub const ALL: Choices<'static> = Choices {
        presets: &spec::PRESETS,
    };
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
    // The preset first: the details below start from it and write only what differs.
    Param {
        key: "preset",
        read: read_preset,
        write: |s| Some(s.preset.to_string()),
    },
    Param {
        key: "bits",
        read: |s, v, _| match v.parse::<u32>() {
            Ok(b) if (MIN_BITS..=MAX_BITS).contains(&b) => {
                s.spec.bits = b;
                Ok(())
            }
            _ => Err(format!(
                "expected a bit width from {MIN_BITS} to {MAX_BITS}; using {}",
                s.spec.bits
            )),
        },
        write: |s| differs(s, |p| p.spec.bits != s.spec.bits).then(|| s.spec.bits.to_string()),
    },
    Param {
        key: "type",
        read: |s, v, _| match v {
            "int" => flag(&mut s.spec.signed, true),
            "uint" => flag(&mut s.spec.signed, false),
            _ => Err(format!(
                "expected int or uint; using {}",
                if s.spec.signed { "int" } else { "uint" }
            )),
        },
        write: |s| {
            differs(s, |p| p.spec.signed != s.spec.signed)
                .then(|| if s.spec.signed { "int" } else { "uint" }.to_string())
        },
    },
    Param {
        key: "sym",
        read: |s, v, _| read_flag(&mut s.spec.symmetric, v),
        write: |s| write_flag(s, s.spec.symmetric, |p| p.spec.symmetric),
    },
    Param {
        key: "narrow",
        read: |s, v, _| read_flag(&mut s.spec.narrow, v),
        write: |s| write_flag(s, s.spec.narrow, |p| p.spec.narrow),
    },
    Param {
        key: "rr",
        read: |s, v, _| read_flag(&mut s.spec.reduce_range, v),
        write: |s| write_flag(s, s.spec.reduce_range, |p| p.spec.reduce_range),
    },
    Param {
        key: "round",
        read: |s, v, _| match Rounding::from_id(v) {
            Some(r) => {
                s.spec.rounding = r;
                Ok(())
            }
            None => Err(format!(
                "expected even, away or up; using {}",
                s.spec.rounding.id()
            )),
        },
        write: |s| {
            differs(s, |p| p.spec.rounding != s.spec.rounding)
                .then(|| s.spec.rounding.id().to_string())
        },
    },
    Param {
        key: "arith",
        read: |s, v, _| match Convention::from_id(v) {
            Some(c) => {
                s.spec.convention = c;
                Ok(())
            }
            None => Err(format!(
                "expected one of {}; using {}",
                Convention::ALL.map(|c| c.id()).join(", "),
                s.spec.convention.id()
            )),
        },
        write: |s| {
            differs(s, |p| p.spec.convention != s.spec.convention)
                .then(|| s.spec.convention.id().to_string())
        },
    },
    Param {
        key: "method",
        read: |s, v, _| match RangeMethod::from_id(v, DEFAULT_PERCENTILE) {
            Some(m) => {
                s.method = m;
                Ok(())
            }
            None => Err(format!(
                "expected one of {}; using min-max",
                RangeMethod::all(DEFAULT_PERCENTILE)
                    .map(|m| m.id())
                    .join(", ")
            )),
        },
        write: |s| (s.method != RangeMethod::MinMax).then(|| s.method.id().to_string()),
    },
    Param {
        key: "p",
        read: |s, v, _| match (s.method, v.parse::<f64>()) {
            (RangeMethod::Percentile(_), Ok(p)) if (50.0..=100.0).contains(&p) => {
                s.method = RangeMethod::Percentile(p);
                Ok(())
            }
            (RangeMethod::Percentile(p), _) => {
                Err(format!("expected a percentile from 50 to 100; using {p}"))
            }
            _ => Err("applies only with method=percentile".to_string()),
        },
        write: |s| match s.method {
            RangeMethod::Percentile(p) => Some(p.to_string()),
            _ => None,
        },
    },
    Param {
        key: "group",
        read: |s, v, _| match v.parse::<usize>() {
            Ok(g) if (1..=MAX_GROUP_SIZE).contains(&g) => {
                s.group_size = g;
                Ok(())
            }
            _ => Err(format!(
                "expected a group size from 1 to {MAX_GROUP_SIZE}; using {}",
                s.group_size
            )),
        },
        write: |s| differs(s, |p| p.group_size != s.group_size).then(|| s.group_size.to_string()),
    },
    Param {
        key: "gran",
        read: |s, v, _| match Granularity::from_id(v) {
            Some(g) => {
                s.focus = g;
                Ok(())
            }
            None => Err(format!(
                "expected tensor, channel or group; using {}",
                s.focus.id()
            )),
        },
        write: |s| differs(s, |p| p.granularity != s.focus).then(|| s.focus.id().to_string()),
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
    // After the axis: a group axis must be another axis of the sample.
    Param {
        key: "gaxis",
        read: read_group_axis,
        write: |s| s.sample.as_ref().and(s.group_axis).map(|a| a.to_string()),
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
        let p = choices.presets.first().unwrap_or(&spec::PRESETS[0]);
        ViewState {
            sample: Some(samples::DEFAULT_SAMPLE.to_string()),
            preset: p.id,
            spec: p.spec,
            method: RangeMethod::MinMax,
            group_size: p.group_size,
            group_axis: None,
            focus: p.granularity,
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

fn read_preset(s: &mut ViewState, v: &str, c: &Choices) -> Result<(), String> {
    match c.presets.iter().find(|p| p.id == v) {
        Some(p) => {
            s.preset = p.id;
            s.spec = p.spec;
            s.group_size = p.group_size;
            s.focus = p.granularity;
            Ok(())
        }
        None => Err(format!(
            "expected one of {}; using {}",
            c.presets
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
                .join(", "),
            s.preset
        )),
    }
}

/// Whether the view differs from its preset in the way `f` checks (so links write only changes).
fn differs(s: &ViewState, f: impl Fn(&spec::Preset) -> bool) -> bool {
    spec::preset(s.preset).is_none_or(f)
}

fn flag(slot: &mut bool, v: bool) -> Result<(), String> {
    *slot = v;
    Ok(())
}

fn read_flag(slot: &mut bool, v: &str) -> Result<(), String> {
    match v {
        "1" | "true" => flag(slot, true),
        "0" | "false" => flag(slot, false),
        _ => Err(format!("expected 1 or 0; using {}", u8::from(*slot))),
    }
}

fn write_flag(s: &ViewState, value: bool, of: fn(&spec::Preset) -> bool) -> Option<String> {
    differs(s, |p| of(p) != value).then(|| u8::from(value).to_string())
}

fn read_group_axis(s: &mut ViewState, v: &str, _: &Choices) -> Result<(), String> {
    let rank = s.sample_info().map(|x| x.shape.len()).unwrap_or(0);
    match v.parse::<usize>() {
        Ok(a) if a < rank && a != s.axis => {
            s.group_axis = Some(a);
            Ok(())
        }
        _ => Err(format!(
            "expected an axis of the tensor other than the channel axis {}; groups run along whole rows",
            s.axis
        )),
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

    const CHOICES: Choices = Choices::ALL;

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
        assert_eq!(s.preset, "ort-int8");
        assert_eq!(
            s.to_query(),
            "sample=efficientnet_lite0__blocks15_depthwise_conv&preset=ort-int8&axis=0"
        );
    }

    #[test]
    fn every_field_round_trips() {
        let base = spec::preset("ort-uint8").unwrap();
        let s = ViewState {
            sample: Some("silero_vad__conv1".to_string()),
            preset: base.id,
            spec: QuantSpec {
                bits: 4,
                signed: true,
                symmetric: true,
                narrow: true,
                reduce_range: true,
                rounding: Rounding::HalfAway,
                convention: Convention::PyTorch,
            },
            method: RangeMethod::Percentile(99.9),
            group_size: 64,
            group_axis: Some(1),
            focus: Granularity::PerGroup,
            axis: 2,
            channel: Some(1),
            theme: Theme::Dark,
            embed: true,
            id: Some("w-2".to_string()),
        };
        let q = s.to_query();
        assert_eq!(
            q,
            "sample=silero_vad__conv1&preset=ort-uint8&bits=4&type=int&sym=1&narrow=1&rr=1&round=away&arith=pytorch&method=percentile&p=99.9&group=64&gran=group&axis=2&ch=1&gaxis=1&theme=dark&embed=1&id=w-2"
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
        assert_eq!(s.to_query(), "preset=ort-int8");
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
        let (s, n) = parse("sample=nope&preset=int4&theme=pink&embed=yes&id=<script>&zoom=2");
        assert_eq!(s, ViewState::default_for(&CHOICES));
        assert_eq!(n.len(), 6, "{n:?}");
        assert!(n[0].starts_with("Ignored `zoom=2`: unknown parameter (known: sample, preset"));
        assert!(n[1].starts_with("Ignored `sample=nope`: no bundled sample has this id"));
        assert!(
            n[2].starts_with("Ignored `preset=int4`: expected one of ort-int8, ort-uint8,"),
            "{}",
            n[2]
        );
        assert!(n[2].ends_with("; using ort-int8"));
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
    fn a_preset_link_writes_only_the_details_that_differ() {
        let (s, n) = parse("preset=ggml-q8_0");
        assert!(n.is_empty());
        assert_eq!(s.group_size, 32);
        assert_eq!(s.focus, Granularity::PerGroup);
        assert_eq!(s.spec.rounding, Rounding::HalfAway);
        assert!(
            s.to_query().ends_with("preset=ggml-q8_0&axis=0"),
            "{}",
            s.to_query()
        );
        let (s, n) = parse("preset=ggml-q8_0&bits=4&group=128&method=mse");
        assert!(n.is_empty());
        assert_eq!(
            (s.spec.bits, s.group_size, s.method),
            (4, 128, RangeMethod::Mse)
        );
        assert!(s
            .to_query()
            .contains("preset=ggml-q8_0&bits=4&method=mse&group=128"));
    }

    #[test]
    fn bad_scheme_details_fall_back_with_notices() {
        let (s, n) = parse("bits=1&type=float&sym=maybe&round=down&arith=onnx&method=magic&p=101&group=0&gran=row&gaxis=0");
        assert_eq!(s.spec, spec::PRESETS[0].spec);
        assert_eq!(n.len(), 10, "{n:?}");
        assert!(n[0].contains("expected a bit width from 2 to 16; using 8"));
        assert!(n[1].contains("expected int or uint"));
        assert!(n[2].contains("expected 1 or 0; using 1"));
        assert!(n[3].contains("expected even, away or up"));
        assert!(n[4].contains("expected one of ort, pytorch, tflite, tensorrt, ggml"));
        assert!(n[5].contains("using min-max"));
        assert!(n[6].contains("applies only with method=percentile"));
        assert!(n[7].contains("expected a group size"));
        assert!(n[8].contains("expected tensor, channel or group"));
        // The default sample's channel axis is 0: a group axis must be another one.
        assert!(n[9].contains("other than the channel axis 0"));
        let (s, n) = parse("method=percentile&p=99.999");
        assert!(n.is_empty());
        assert_eq!(s.method, RangeMethod::Percentile(99.999));
        let (s, n) = parse("method=percentile&p=20");
        assert_eq!(s.method, RangeMethod::Percentile(DEFAULT_PERCENTILE));
        assert!(n[0].contains("expected a percentile from 50 to 100"));
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
