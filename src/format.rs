//! Every number a user sees is written here, so the page, the charts and the tests agree.

/// A value with five significant digits: fixed notation between 1e-3 and 1e5, scientific outside
/// (`2.6497e-6`). Zero is `0`; a non-finite value (never expected) is `—`.
pub fn number(v: f64) -> String {
    sig(v, 5)
}

/// A value with `digits` significant digits (at least 1).
pub fn sig(v: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !v.is_finite() {
        return "—".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let magnitude = a.log10().floor() as i32;
        let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
        let s = format!("{v:.decimals$}");
        // Rounding may carry into a new leading digit (9.99996 -> 10.0000): one decimal fewer then.
        let carried = s
            .parse::<f64>()
            .map(|r| r.abs() >= 10f64.powi(magnitude + 1))
            .unwrap_or(false);
        if carried && decimals > 0 {
            let d = decimals - 1;
            return format!("{v:.d$}");
        }
        s
    } else {
        format!("{v:.prec$e}", prec = digits - 1)
    }
}

/// A short axis tick label: three significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = sig(v, 3);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    }
}

/// A tick label on an axis spanning `span`: values within float noise of zero (`-1.1e-16` from
/// tick arithmetic) are written `0`.
pub fn tick_in(v: f64, span: f64) -> String {
    if v.abs() <= span.abs() * 1e-9 {
        "0".to_string()
    } else {
        tick(v)
    }
}

/// SQNR in dB, or `∞ (exact)` when the error is zero.
pub fn db(v: Option<f64>) -> String {
    match v {
        Some(d) => format!("{} dB", sig(d, 4)),
        None => "∞ (exact)".to_string(),
    }
}

/// How many times lower, e.g. `50.23×`; `—` when undefined.
pub fn times(v: Option<f64>) -> String {
    match v {
        Some(r) if r.is_finite() => format!("{}×", sig(r, 4)),
        _ => "—".to_string(),
    }
}

/// A shape as `1152×1×3×3`; a 0-d shape is `scalar (0-d)`.
pub fn shape(s: &[usize]) -> String {
    if s.is_empty() {
        return "scalar (0-d)".to_string();
    }
    s.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

/// A byte count with a binary unit.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{} {}", sig(v, 3), UNITS[u])
    }
}

/// `1 channel`, `2 channels`: a count with its noun, singular or plural.
pub fn plural(n: usize, singular: &str, plural: &str) -> String {
    format!("{} {}", count(n), if n == 1 { singular } else { plural })
}

/// An integer with thin-space thousands separators (`1 234 567`).
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_significant_digits() {
        assert_eq!(number(2.649_667_683_976_874_6e-6), "2.6497e-6");
        assert_eq!(number(0.002_248_615), "0.0022486");
        assert_eq!(number(50.230_43), "50.230");
        assert_eq!(number(-0.712_086_3), "-0.71209");
        assert_eq!(number(99_999.9), "100000");
        assert_eq!(number(9.999_996), "10.000");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "—");
        // what is shown parses back within the display precision
        for v in [1.234_567e-7, 0.004_321, 3.0, 123.456_7, 7.65e12] {
            let back: f64 = number(v).parse().unwrap();
            assert!(((back - v) / v).abs() < 1e-4, "{v} -> {}", number(v));
        }
    }

    #[test]
    fn ticks_units_and_counts() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(-0.712), "-0.712");
        assert_eq!(tick(1e-6), "1e-6");
        assert_eq!(tick(2.5e-7), "2.5e-7");
        assert_eq!(tick_in(-1.11e-16, 1.4), "0");
        assert_eq!(tick_in(-1.32e-23, 1.2e-7), "0");
        assert_eq!(tick_in(2e-8, 1.2e-7), "2e-8");
        assert_eq!(db(Some(41.2345)), "41.23 dB");
        assert_eq!(db(None), "∞ (exact)");
        assert_eq!(times(Some(50.2304)), "50.23×");
        assert_eq!(shape(&[1152, 1, 3, 3]), "1152×1×3×3");
        assert_eq!(shape(&[]), "scalar (0-d)");
        assert_eq!(bytes(41_600), "40.6 KiB");
        assert_eq!(count(1_234_567), "1\u{2009}234\u{2009}567");
        assert_eq!(plural(1, "channel", "channels"), "1 channel");
        assert_eq!(plural(3, "channel", "channels"), "3 channels");
    }
}
