//! What a shaped result is built as. The shaping rules (`cli`) read JSON once — from a response body's
//! bytes or from a value already parsed — and hand each finished node to a `Build`: `ValueBuild` makes
//! `serde_json::Value`s; the Python binding's builder makes the Python objects directly, so a result
//! crosses to Python without an intermediate tree.

use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Makes the nodes of a result. `Copy`: a builder is a handle (nothing, or the Python token).
pub trait Build: Copy {
    type Node: Clone;
    type Error: std::fmt::Display;

    fn null(self) -> Result<Self::Node, Self::Error>;
    fn bool(self, v: bool) -> Result<Self::Node, Self::Error>;
    fn i64(self, v: i64) -> Result<Self::Node, Self::Error>;
    fn u64(self, v: u64) -> Result<Self::Node, Self::Error>;
    fn f64(self, v: f64) -> Result<Self::Node, Self::Error>;
    fn str(self, v: &str) -> Result<Self::Node, Self::Error>;
    /// An owned string (a builder that keeps strings takes it without copying).
    fn string(self, v: String) -> Result<Self::Node, Self::Error> {
        self.str(&v)
    }
    fn list(self, items: Vec<Self::Node>) -> Result<Self::Node, Self::Error>;
    /// An object with these entries, in this order. A repeated key keeps its first place and its last
    /// value, as a JSON parser's map does (the shaping rules pass distinct keys except as sent).
    fn object(self, entries: Vec<(Cow<'_, str>, Self::Node)>) -> Result<Self::Node, Self::Error>;
}

/// Builds `serde_json::Value`s.
#[derive(Clone, Copy)]
pub struct ValueBuild;

impl Build for ValueBuild {
    type Node = Value;
    type Error = std::convert::Infallible;

    fn null(self) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }
    fn bool(self, v: bool) -> Result<Value, Self::Error> {
        Ok(Value::Bool(v))
    }
    fn i64(self, v: i64) -> Result<Value, Self::Error> {
        Ok(Value::from(v))
    }
    fn u64(self, v: u64) -> Result<Value, Self::Error> {
        Ok(Value::from(v))
    }
    fn f64(self, v: f64) -> Result<Value, Self::Error> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn str(self, v: &str) -> Result<Value, Self::Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn string(self, v: String) -> Result<Value, Self::Error> {
        Ok(Value::String(v))
    }
    fn list(self, items: Vec<Value>) -> Result<Value, Self::Error> {
        Ok(Value::Array(items))
    }
    fn object(self, entries: Vec<(Cow<'_, str>, Value)>) -> Result<Value, Self::Error> {
        let mut map = Map::with_capacity(entries.len());
        for (k, v) in entries {
            map.insert(k.into_owned(), v);
        }
        Ok(Value::Object(map))
    }
}
