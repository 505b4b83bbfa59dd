/// A JSON number that keeps its source spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    raw: Box<str>,
}

impl Number {
    pub fn as_f64(&self) -> f64 {
        todo!()
    }
    pub fn from_f64(v: f64) -> Number {
        let _ = v;
        todo!()
    }
    pub fn from_i64(v: i64) -> Number {
        Number { raw: v.to_string().into() }
    }
    pub fn raw(&self) -> &str {
        &self.raw
    }
}
