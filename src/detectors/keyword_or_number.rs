//! One parameter type for "a keyword or a number" hyperparameters
//! (`n_bins = "auto" | 10`, `bandwidth = "scott" | 0.5`, `n_components =
//! null | 3 | 0.9`, …): a [`KeywordOr`] over a parameter's keyword set and
//! its kind of number, with one serde form, one `Display` and the shared
//! validation helper [`KeywordOr::check`].
//!
//! JSON: a keyword is its string (or `null`, for a keyword spelled that way);
//! a number is written as the number kind reads it: [`u64`] takes integers
//! (`10`), [`f64`] takes any number (`2` reads as `2.0` and is written
//! `2.0`), and [`CountOrFraction`] keeps scikit-learn's distinction between
//! an integer count (`1` = one row) and a float fraction (`1.0` = all rows).
//! A count-or-fraction parameter with no keyword at all (`subset_size = 20 |
//! 0.5`) is a `KeywordOr` over an empty keyword enum (`ALL = &[]`).

use super::ParamError;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The keywords one parameter accepts.
pub trait Keywords: Copy + PartialEq + fmt::Debug + 'static {
    /// The parameter's name, for error messages.
    const PARAM: &'static str;
    /// Every keyword with its JSON spelling: a string, or `None` for `null`.
    const ALL: &'static [(Self, Option<&'static str>)];

    /// The JSON spelling of `self`.
    fn spelling(self) -> Option<&'static str> {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .and_then(|(_, s)| *s)
    }
}

/// A number as JSON writes it: an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JsonNumber {
    Int(i128),
    Float(f64),
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonNumber::Int(i) => write!(f, "{i}"),
            JsonNumber::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// The kind of number a parameter takes besides its keywords.
pub trait Number: Copy + PartialEq + fmt::Debug + 'static {
    /// The JSON numbers accepted, for error messages ("an integer").
    const FORMS: &'static str;
    /// `None` when the JSON number is not of this kind.
    fn read(n: JsonNumber) -> Option<Self>;
    /// The JSON form written (and shown in messages).
    fn write(self) -> JsonNumber;
}

/// Integers >= 0 only (a float is refused).
impl Number for u64 {
    const FORMS: &'static str = "an integer >= 0";
    fn read(n: JsonNumber) -> Option<Self> {
        match n {
            JsonNumber::Int(i) => u64::try_from(i).ok(),
            JsonNumber::Float(_) => None,
        }
    }
    fn write(self) -> JsonNumber {
        JsonNumber::Int(self.into())
    }
}

/// Any number; an integer reads as the float of the same value.
impl Number for f64 {
    const FORMS: &'static str = "a number";
    fn read(n: JsonNumber) -> Option<Self> {
        Some(match n {
            JsonNumber::Int(i) => i as f64,
            JsonNumber::Float(x) => x,
        })
    }
    fn write(self) -> JsonNumber {
        JsonNumber::Float(self)
    }
}

/// An integer count or a float fraction, told apart by how JSON writes them
/// (as scikit-learn tells `int` from `float`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CountOrFraction {
    Count(u64),
    Fraction(f64),
}

impl Number for CountOrFraction {
    const FORMS: &'static str = "an integer >= 0 or a fraction";
    fn read(n: JsonNumber) -> Option<Self> {
        match n {
            JsonNumber::Int(i) => u64::try_from(i).ok().map(CountOrFraction::Count),
            JsonNumber::Float(x) => Some(CountOrFraction::Fraction(x)),
        }
    }
    fn write(self) -> JsonNumber {
        match self {
            CountOrFraction::Count(k) => JsonNumber::Int(k.into()),
            CountOrFraction::Fraction(x) => JsonNumber::Float(x),
        }
    }
}

/// A hyperparameter that is one of the keywords `K` or a number `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordOr<K, N> {
    Keyword(K),
    Number(N),
}

impl<K: Keywords, N: Number> KeywordOr<K, N> {
    /// Keywords always pass; a number must satisfy `ok`, otherwise the error
    /// names the parameter and `rule` (the whole allowed range, keywords
    /// included).
    pub fn check(self, rule: &'static str, ok: impl FnOnce(N) -> bool) -> Result<(), ParamError> {
        match self {
            KeywordOr::Number(n) if !ok(n) => Err(ParamError::new(K::PARAM, self, rule)),
            _ => Ok(()),
        }
    }
}

impl<K> KeywordOr<K, CountOrFraction> {
    /// An integer count.
    pub const fn count(k: u64) -> Self {
        KeywordOr::Number(CountOrFraction::Count(k))
    }

    /// A float fraction.
    pub const fn fraction(f: f64) -> Self {
        KeywordOr::Number(CountOrFraction::Fraction(f))
    }
}

/// The allowed JSON forms, from the keyword list and the number kind:
/// `"auto" or an integer >= 0`, `"scott", "silverman" or a number`; with no
/// keywords, the number kind's forms alone.
struct Forms<K, N>(std::marker::PhantomData<(K, N)>);

impl<K: Keywords, N: Number> fmt::Display for Forms<K, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |s: Option<&str>| s.map_or("null".to_string(), |s| format!("{s:?}"));
        let names: Vec<String> = K::ALL.iter().map(|(_, s)| quoted(*s)).collect();
        if names.is_empty() {
            return f.write_str(N::FORMS);
        }
        write!(f, "{} or {}", names.join(", "), N::FORMS)
    }
}

fn forms<K: Keywords, N: Number>() -> Forms<K, N> {
    Forms(std::marker::PhantomData)
}

impl<K: Keywords, N: Number> fmt::Display for KeywordOr<K, N> {
    /// As in JSON: `"auto"`, `null`, `10`, `0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KeywordOr::Keyword(k) => match k.spelling() {
                Some(s) => write!(f, "{s:?}"),
                None => f.write_str("null"),
            },
            KeywordOr::Number(n) => write!(f, "{}", n.write()),
        }
    }
}

impl<K: Keywords, N: Number> Serialize for KeywordOr<K, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            KeywordOr::Keyword(k) => match k.spelling() {
                Some(name) => s.serialize_str(name),
                None => s.serialize_none(),
            },
            KeywordOr::Number(n) => match n.write() {
                JsonNumber::Float(x) => s.serialize_f64(x),
                JsonNumber::Int(i) => match u64::try_from(i) {
                    Ok(u) => s.serialize_u64(u),
                    Err(_) => s.serialize_i128(i),
                },
            },
        }
    }
}

struct KeywordOrVisitor<K, N>(std::marker::PhantomData<(K, N)>);

impl<K: Keywords, N: Number> KeywordOrVisitor<K, N> {
    fn number<E: de::Error>(n: JsonNumber) -> Result<KeywordOr<K, N>, E> {
        N::read(n).map(KeywordOr::Number).ok_or_else(|| {
            E::custom(format!(
                "invalid {} {n}: must be {}",
                K::PARAM,
                forms::<K, N>()
            ))
        })
    }

    fn keyword(spelling: Option<&str>) -> Option<KeywordOr<K, N>> {
        K::ALL
            .iter()
            .find(|(_, s)| *s == spelling)
            .map(|(k, _)| KeywordOr::Keyword(*k))
    }
}

impl<'de, K: Keywords, N: Number> Visitor<'de> for KeywordOrVisitor<K, N> {
    type Value = KeywordOr<K, N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as {}", K::PARAM, forms::<K, N>())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::keyword(Some(v)).ok_or_else(|| {
            E::custom(format!(
                "invalid {} {v:?}: must be {}",
                K::PARAM,
                forms::<K, N>()
            ))
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::keyword(None).ok_or_else(|| E::invalid_type(Unexpected::Unit, &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::number(JsonNumber::Int(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::number(JsonNumber::Int(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::number(JsonNumber::Float(v))
    }
}

impl<'de, K: Keywords, N: Number> Deserialize<'de> for KeywordOr<K, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeywordOrVisitor(std::marker::PhantomData))
    }
}

/// `x` is finite and > 0 (the rule of bandwidths, kernel widths, …).
pub fn finite_positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Rule {
        Auto,
        Scale,
    }
    impl Keywords for Rule {
        const PARAM: &'static str = "width";
        const ALL: &'static [(Self, Option<&'static str>)] =
            &[(Rule::Auto, Some("auto")), (Rule::Scale, Some("scale"))];
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Null;
    impl Keywords for Null {
        const PARAM: &'static str = "size";
        const ALL: &'static [(Self, Option<&'static str>)] = &[(Null, None)];
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum NoKeyword {}
    impl Keywords for NoKeyword {
        const PARAM: &'static str = "subset";
        const ALL: &'static [(Self, Option<&'static str>)] = &[];
    }

    type Width = KeywordOr<Rule, f64>;
    type Bins = KeywordOr<Rule, u64>;
    type Size = KeywordOr<Null, CountOrFraction>;
    type Subset = KeywordOr<NoKeyword, CountOrFraction>;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug>(
        v: serde_json::Value,
        want: T,
    ) {
        let got: T = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(got, want);
        assert_eq!(serde_json::to_value(&got).unwrap(), v);
    }

    #[test]
    fn keywords_and_numbers_round_trip() {
        round_trip(json!("auto"), Width::Keyword(Rule::Auto));
        round_trip(json!("scale"), Bins::Keyword(Rule::Scale));
        round_trip(json!(0.5), Width::Number(0.5));
        round_trip(json!(7), Bins::Number(7));
        round_trip(json!(null), Size::Keyword(Null));
        round_trip(json!(3), Size::Number(CountOrFraction::Count(3)));
        round_trip(json!(1.0), Size::Number(CountOrFraction::Fraction(1.0)));
        // Any number for f64: an integer reads as (and is written back as) a float.
        let w: Width = serde_json::from_value(json!(2)).unwrap();
        assert_eq!(w, Width::Number(2.0));
        assert_eq!(serde_json::to_string(&w).unwrap(), "2.0");
        let w: Width = serde_json::from_value(json!(-3)).unwrap();
        assert_eq!(w, Width::Number(-3.0));
    }

    #[test]
    fn refusals_name_the_parameter_and_the_forms() {
        let e = serde_json::from_value::<Width>(json!("big")).unwrap_err();
        assert!(
            e.to_string()
                .contains(r#"invalid width "big": must be "auto", "scale" or a number"#),
            "{e}"
        );
        let e = serde_json::from_value::<Bins>(json!(-3)).unwrap_err();
        assert!(e.to_string().contains("invalid width -3"), "{e}");
        let e = serde_json::from_value::<Bins>(json!(2.5)).unwrap_err();
        assert!(e.to_string().contains("invalid width 2.5"), "{e}");
        let e = serde_json::from_value::<Bins>(json!(null)).unwrap_err();
        assert!(e.to_string().contains("width as"), "{e}");
        let e = serde_json::from_value::<Size>(json!("all")).unwrap_err();
        assert!(
            e.to_string()
                .contains("must be null or an integer >= 0 or a fraction"),
            "{e}"
        );
        assert!(serde_json::from_value::<Width>(json!(true)).is_err());
        assert!(serde_json::from_value::<Size>(json!(-1)).is_err());
    }

    #[test]
    fn no_keywords_means_numbers_only() {
        round_trip(json!(20), Subset::count(20));
        round_trip(json!(0.5), Subset::fraction(0.5));
        for bad in [json!("auto"), json!(null), json!(-2)] {
            let e = serde_json::from_value::<Subset>(bad).unwrap_err();
            assert!(
                e.to_string()
                    .contains("subset as an integer >= 0 or a fraction")
                    || e.to_string()
                        .contains(": must be an integer >= 0 or a fraction"),
                "{e}"
            );
        }
    }

    #[test]
    fn display_is_the_json_form() {
        assert_eq!(Width::Keyword(Rule::Auto).to_string(), "\"auto\"");
        assert_eq!(Size::Keyword(Null).to_string(), "null");
        assert_eq!(Width::Number(1.0).to_string(), "1.0");
        assert_eq!(Bins::Number(10).to_string(), "10");
        assert_eq!(
            Size::Number(CountOrFraction::Fraction(0.25)).to_string(),
            "0.25"
        );
    }

    #[test]
    fn check_passes_keywords_and_names_the_parameter() {
        let in_range = |k: u64| (2..=5).contains(&k);
        assert!(Bins::Keyword(Rule::Auto).check("r", in_range).is_ok());
        assert!(Bins::Number(3).check("r", in_range).is_ok());
        let e = Bins::Number(9)
            .check("\"auto\" or 2..5", in_range)
            .unwrap_err();
        assert_eq!((e.param, e.value.as_str()), ("width", "9"));
        assert!(e.to_string().contains("\"auto\" or 2..5"), "{e}");
        assert!(finite_positive(1e-9));
        assert!(!finite_positive(0.0) && !finite_positive(f64::INFINITY));
        assert!(!finite_positive(f64::NAN));
    }
}
