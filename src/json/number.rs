use std::borrow::Cow;
use std::fmt::Write as _;

/// A JSON number that keeps its source spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    raw: Box<str>,
}

impl Number {
    /// The correctly rounded double nearest to the lexeme (±infinity when it overflows, like
    /// `str::parse`; use [`Number::as_finite_f64`] where .NET's `GetDouble` would throw).
    pub fn as_f64(&self) -> f64 {
        // The lexeme is always valid JSON number syntax, which `f64::from_str` accepts.
        self.raw.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// `None` when the value does not fit a double (.NET's `GetDouble` throws there).
    pub fn as_finite_f64(&self) -> Option<f64> {
        Some(self.as_f64()).filter(|v| v.is_finite())
    }

    /// Formats like .NET's `Utf8JsonWriter.WriteNumberValue(double)`. JSON cannot hold NaN or
    /// infinities (.NET throws); they are written as `0` so that output always stays valid JSON.
    pub fn from_f64(v: f64) -> Number {
        let text = if v.is_finite() {
            format_dotnet(v)
        } else {
            "0".to_owned()
        };
        Number { raw: text.into() }
    }

    pub fn from_i64(v: i64) -> Number {
        Number {
            raw: v.to_string().into(),
        }
    }

    /// Accepts exactly the RFC 8259 number syntax (no surrounding whitespace).
    pub fn from_raw(s: &str) -> Option<Number> {
        (scan_number(s.as_bytes(), 0) == Some(s.len())).then(|| Number { raw: s.into() })
    }

    /// Callers guarantee `s` is valid number syntax.
    pub(crate) fn from_valid_lexeme(s: &str) -> Number {
        Number { raw: s.into() }
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// What the normalized writer emits: the .NET spelling of the double when that denotes
    /// exactly the same decimal number as the lexeme (`1.0` -> `1`, `1e21` -> `1E+21`);
    /// otherwise the lexeme itself, so normalizing never changes a value (.NET would round
    /// `12345678901234567890` or `0.10000000000000001`).
    pub fn normalized(&self) -> Cow<'_, str> {
        let Some(v) = self.as_finite_f64() else {
            return Cow::Borrowed(&self.raw);
        };
        let dotnet = format_dotnet(v);
        if dotnet == *self.raw {
            return Cow::Borrowed(&self.raw);
        }
        match (Decimal::of(&self.raw), Decimal::of(&dotnet)) {
            (Some(a), Some(b)) if a == b => Cow::Owned(dotnet),
            _ => Cow::Borrowed(&self.raw),
        }
    }
}

/// Index just past a JSON number starting at `start`, or `None` when the syntax is wrong there.
pub(crate) fn scan_number(b: &[u8], start: usize) -> Option<usize> {
    let digits_from = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits_from(i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits_from(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits_from(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// .NET Core 3.0+ `double.ToString()` / `Utf8JsonWriter`: shortest round-trip digits, laid out
/// by "G" with `max(digit count, 17)` as the digit budget, so scientific notation is used iff
/// the decimal exponent is >= 17 or <= -5.
fn format_dotnet(v: f64) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d[.ddd]e[-]x`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let count = digits.len() as i32;
    let mut out = String::with_capacity(digits.len() + 8);
    if v.is_sign_negative() {
        out.push('-');
    }
    if exp >= count.max(17) || exp <= -5 {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "E{sign}{:02}", exp.unsigned_abs());
    } else if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = (exp + 1) as usize;
        if int_len >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            let (int_part, frac_part) = digits.split_at(int_len);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac_part);
        }
    }
    out
}

/// A decimal number in canonical form, to tell whether two spellings denote the same value.
#[derive(PartialEq, Debug)]
struct Decimal {
    negative: bool,
    /// Significant digits without leading or trailing zeros; empty for zero.
    digits: String,
    /// Value = 0.digits × 10^point (meaningless for zero).
    point: i64,
}

impl Decimal {
    fn of(lexeme: &str) -> Option<Decimal> {
        let negative = lexeme.starts_with('-');
        let body = lexeme.strip_prefix('-').unwrap_or(lexeme);
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all: String = int_part.chars().chain(frac_part.chars()).collect();
        let leading = all.len() - all.trim_start_matches('0').len();
        let digits = all.trim_matches('0').to_owned();
        if digits.is_empty() {
            return Some(Decimal {
                negative,
                digits,
                point: 0,
            });
        }
        // A zero mantissa ignores the exponent, so it is only read (and may overflow) here.
        let exp = match exp {
            Some(e) => e.parse::<i64>().ok()?,
            None => 0,
        };
        let point = (int_part.len() as i64 - leading as i64).checked_add(exp)?;
        Some(Decimal {
            negative,
            digits,
            point,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(v: f64) -> String {
        Number::from_f64(v).raw().to_owned()
    }

    #[test]
    fn dotnet_double_format_vectors() {
        assert_eq!(dn(0.1), "0.1");
        assert_eq!(dn(1.0), "1");
        assert_eq!(dn(-0.0), "-0");
        assert_eq!(dn(0.0), "0");
        assert_eq!(dn(1e21), "1E+21");
        assert_eq!(dn(1e16), "10000000000000000");
        assert_eq!(dn(1e17), "1E+17");
        assert_eq!(dn(1.5e17), "1.5E+17");
        assert_eq!(dn(123456789012345680.0), "1.2345678901234568E+17");
        assert_eq!(dn(1e-5), "1E-05");
        assert_eq!(dn(1.5e-5), "1.5E-05");
        assert_eq!(dn(0.0001), "0.0001");
        assert_eq!(dn(0.00012), "0.00012");
        assert_eq!(dn(9007199254740993.0), "9007199254740992");
        assert_eq!(dn(f64::MAX), "1.7976931348623157E+308");
        assert_eq!(dn(f64::MIN_POSITIVE), "2.2250738585072014E-308");
        assert_eq!(dn(5e-324), "5E-324");
        assert_eq!(dn(-60.0), "-60");
        assert_eq!(dn(12.5), "12.5");
        assert_eq!(dn(-1234.5678), "-1234.5678");
        assert_eq!(dn(0.0640581), "0.0640581");
        assert_eq!(dn(f64::NAN), "0");
    }

    #[test]
    fn from_raw_validates_syntax() {
        for ok in [
            "0",
            "-0",
            "1.0",
            "1E+21",
            "1e-5",
            "12345678901234567890",
            "0.5e0",
        ] {
            assert_eq!(Number::from_raw(ok).unwrap().raw(), ok);
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", " 1", "1 ", "0x1", "NaN", "1.5.2",
        ] {
            assert!(Number::from_raw(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn normalized_changes_spelling_never_value() {
        let norm = |s: &str| Number::from_raw(s).unwrap().normalized().into_owned();
        assert_eq!(norm("1.0"), "1");
        assert_eq!(norm("10.0"), "10");
        assert_eq!(norm("0.0"), "0");
        assert_eq!(norm("-0.0"), "-0");
        assert_eq!(norm("-0"), "-0");
        assert_eq!(norm("12.50"), "12.5");
        assert_eq!(norm("1e21"), "1E+21");
        assert_eq!(norm("1E+21"), "1E+21");
        assert_eq!(norm("1e15"), "1000000000000000");
        assert_eq!(norm("0.00001"), "1E-05");
        assert_eq!(norm("1.5e-5"), "1.5E-05");
        assert_eq!(norm("0.0640581"), "0.0640581");
        assert_eq!(norm("12345678901234567890"), "12345678901234567890");
        assert_eq!(norm("0.10000000000000001"), "0.10000000000000001");
        assert_eq!(norm("9007199254740993"), "9007199254740993");
        assert_eq!(norm("1e400"), "1e400");
        assert_eq!(norm("0e99999999999999999999"), "0");
        assert_eq!(norm("1e-400"), "1e-400");
    }

    #[test]
    fn as_f64_is_correctly_rounded() {
        let n = Number::from_raw("98228.75271438259").unwrap();
        assert_eq!(n.as_f64(), 98228.75271438259_f64);
        assert_eq!(Number::from_raw("1E+21").unwrap().as_f64(), 1e21);
        assert!(Number::from_raw("1e400").unwrap().as_finite_f64().is_none());
    }
}
