//! Python values into the JSON values the core's operations take, read straight from the objects:
//! a facade call hands over its keyword arguments as they are, not as JSON text to encode and parse.
//! Results go the other way the same way: `PyBuild` makes the Python objects, from a response body read
//! straight into its shape or from a value (`to_python`).

use crate::shape::build::Build;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObject;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Keys of a facade method's `locals()` that are the facade's own business, never a command argument:
/// the group object, the JMESPath query, the streaming flag and the call's time limit.
fn facade_only(key: &str) -> bool {
    matches!(key, "self" | "query" | "stream" | "timeout")
}

/// A command's arguments: every entry of `args` but the facade's own and those set to None, as JSON
/// values. A None is an argument not given: a facade passes every one of its parameters, and the
/// operations read an absent argument as its default. A value JSON cannot carry is a TypeError naming
/// the command and the argument.
pub fn arguments(op: &str, args: &Bound<'_, PyDict>) -> PyResult<Value> {
    let mut out = Map::with_capacity(args.len());
    for (key, item) in args.iter() {
        if item.is_none() {
            continue;
        }
        let key = key
            .cast_into::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("{op}: argument names must be strings")))?;
        let key = text_of(&key)?;
        if facade_only(&key) {
            continue;
        }
        if key == "tags" {
            check_tags(&item)?;
        }
        let value = json(&item).map_err(|why| why.into_err(&format!("{op}: {key}: ")))?;
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// Most strs kept in `TEXTS`; the table starts over when full.
const TEXTS_MAX: usize = 1024;

/// A str held (so its address is not reused while it is a key) and its text.
type Text = (Py<PyString>, Box<str>);

thread_local! {
    /// The text of strs by their identity. A facade passes its command's name and its `locals()`, whose
    /// keys are its code's own str objects, the same on every call; reading a str's text costs a copy
    /// through a bytes object on the 3.9 limited API, looking it up here a hash of a pointer.
    static TEXTS: std::cell::RefCell<rustc_hash::FxHashMap<usize, Text>> =
        std::cell::RefCell::default();
}

/// A command's or an argument's name as text (see `TEXTS`).
pub fn text_of(s: &Bound<'_, PyString>) -> PyResult<String> {
    // Only exact strs are kept: a subclass could carry state of its own.
    if !s.is_exact_instance_of::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    TEXTS.with(|texts| {
        // Reading a str's text and dropping an exact str run no Python code: never re-entered.
        let mut texts = texts.borrow_mut();
        let id = s.as_ptr() as usize;
        if let Some((_, text)) = texts.get(&id) {
            return Ok(text.to_string());
        }
        let text = s.to_cow()?.into_owned();
        if texts.len() >= TEXTS_MAX {
            texts.clear();
        }
        texts.insert(id, (s.clone().unbind(), text.as_str().into()));
        Ok(text)
    })
}

/// Tags are name → string, as `--tags a=b` gives them; a dict with anything else is a TypeError before
/// sending. (A non-dict is reported by the command, naming the parameter.)
fn check_tags(tags: &Bound<'_, PyAny>) -> PyResult<()> {
    let Ok(tags) = tags.cast::<PyDict>() else {
        return Ok(());
    };
    for (k, v) in tags.iter() {
        if !(k.is_instance_of::<PyString>() && v.is_instance_of::<PyString>()) {
            return Err(PyTypeError::new_err(format!(
                "tags: each tag must map a string name to a string value, not {}: {}",
                k.repr()?,
                v.get_type().name()?
            )));
        }
    }
    Ok(())
}

/// A Python value as the JSON value `json.dumps` would write (see `json`); one it cannot carry is a
/// TypeError.
pub fn value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    json(v).map_err(|why| why.into_err(""))
}

/// Why a value cannot be passed: it has no JSON form (said as `json.dumps` says it), or Python raised.
enum Refused {
    Type(String),
    Python(PyErr),
}

impl Refused {
    /// The exception to raise: a TypeError saying why after `context` (which value it was), or what
    /// Python raised.
    fn into_err(self, context: &str) -> PyErr {
        match self {
            Refused::Type(why) => PyTypeError::new_err(format!("{context}{why}")),
            Refused::Python(e) => e,
        }
    }
}

impl From<PyErr> for Refused {
    fn from(e: PyErr) -> Self {
        Refused::Python(e)
    }
}

/// One value as `json.dumps` would encode it, except that NaN and the infinities (which it would write
/// as invalid JSON) are refused.
fn json(v: &Bound<'_, PyAny>) -> Result<Value, Refused> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is an int.
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(Refused::Type(format!(
            "integer {} is out of range",
            v.str()?
        )));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| Refused::Type(format!("{} is not a JSON number", f.value())));
    }
    if let Ok(list) = v.cast::<PyList>() {
        return list.iter().map(|x| json(&x)).collect();
    }
    if let Ok(tuple) = v.cast::<PyTuple>() {
        return tuple.iter().map(|x| json(&x)).collect();
    }
    if let Ok(dict) = v.cast::<PyDict>() {
        let mut out = Map::with_capacity(dict.len());
        for (k, x) in dict.iter() {
            out.insert(key(&k)?, json(&x)?);
        }
        return Ok(Value::Object(out));
    }
    Err(Refused::Type(format!(
        "Object of type {} is not JSON serializable",
        v.get_type().name()?
    )))
}

/// A dict key as `json.dumps` writes it: strings as they are, ints as their digits.
fn key(k: &Bound<'_, PyAny>) -> Result<String, Refused> {
    if let Ok(s) = k.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if k.is_instance_of::<PyInt>() && !k.is_instance_of::<PyBool>() {
        return Ok(k.str()?.to_cow()?.into_owned());
    }
    Err(Refused::Type(format!(
        "keys must be str or int, not {}",
        k.get_type().name()?
    )))
}

/// A JSON value as the Python objects `json.loads` gives (dict, list, str, int, float, bool, None),
/// built by `PyBuild` as a response body is: no JSON text in between.
pub fn to_python<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    crate::shape::cli::from_value(v, crate::shape::cli::Layout::AsSent, PyBuild(py))
        .map_err(|e| PyTypeError::new_err(e.to_string()))
}

/// Builds a shaped result as the Python objects `json.loads` gives, each object once (see
/// `shape::cli`): no JSON tree in between.
#[derive(Clone, Copy)]
pub struct PyBuild<'py>(pub Python<'py>);

impl<'py> Build for PyBuild<'py> {
    type Node = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(self) -> PyResult<Self::Node> {
        Ok(self.0.None().into_bound(self.0))
    }
    fn bool(self, v: bool) -> PyResult<Self::Node> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }
    fn i64(self, v: i64) -> PyResult<Self::Node> {
        Ok(v.into_pyobject(self.0)?.into_any())
    }
    fn u64(self, v: u64) -> PyResult<Self::Node> {
        Ok(v.into_pyobject(self.0)?.into_any())
    }
    fn f64(self, v: f64) -> PyResult<Self::Node> {
        Ok(PyFloat::new(self.0, v).into_any())
    }
    fn str(self, v: &str) -> PyResult<Self::Node> {
        Ok(PyString::new(self.0, v).into_any())
    }
    fn list(self, items: Vec<Self::Node>) -> PyResult<Self::Node> {
        Ok(PyList::new(self.0, items)?.into_any())
    }
    fn object(self, entries: Vec<(Cow<'_, str>, Self::Node)>) -> PyResult<Self::Node> {
        let dict = PyDict::new(self.0);
        for (k, v) in entries {
            dict.set_item(key_string(self.0, &k), v)?;
        }
        Ok(dict.into_any())
    }
}

/// Test hook: `text` read into `layout` ("cli", "sorted" or "as_sent") twice — as Python objects in one
/// pass, and as JSON text through `serde_json::Value` — so a test can hold the two to the same result,
/// key order included.
#[pyfunction]
pub fn _shape_for_test<'py>(
    py: Python<'py>,
    layout: &str,
    text: &str,
) -> PyResult<(Bound<'py, PyAny>, String)> {
    use crate::shape::build::ValueBuild;
    use crate::shape::cli::{from_slice, Layout};
    let layout = match layout {
        "cli" => Layout::Cli,
        "sorted" => Layout::Sorted,
        "as_sent" => Layout::AsSent,
        _ => {
            return Err(PyTypeError::new_err(
                "layout must be 'cli', 'sorted' or 'as_sent'",
            ))
        }
    };
    let unreadable =
        |e: serde_json::Error| super::errors::to_py(crate::pipeline::unreadable_json(e));
    let objects = from_slice(text.as_bytes(), layout, PyBuild(py)).map_err(unreadable)?;
    let value = from_slice(text.as_bytes(), layout, ValueBuild).map_err(unreadable)?;
    Ok((objects, value.to_string()))
}

/// Longest key kept in `KEYS`; longer ones are made each time.
const KEY_MAX_LEN: usize = 48;
/// Most keys kept per thread; the table starts over when full, so user data (tag names) cannot grow it.
const KEYS_MAX: usize = 2048;

thread_local! {
    /// Result keys already made on this thread: ARM objects repeat the same few dozen keys (`id`,
    /// `name`, `properties`…), and reusing the string (its hash computed once) is cheaper than a new
    /// one per key, as `json.loads` does with its own per-call memo.
    static KEYS: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Py<PyString>>> =
        std::cell::RefCell::default();
}

fn key_string<'py>(py: Python<'py>, k: &str) -> Bound<'py, PyString> {
    if k.len() > KEY_MAX_LEN {
        return PyString::new(py, k);
    }
    KEYS.with(|keys| {
        // No Python code runs while it is borrowed (making a str calls none), so it is never re-entered.
        let mut keys = keys.borrow_mut();
        if let Some(s) = keys.get(k) {
            return s.bind(py).clone();
        }
        if keys.len() >= KEYS_MAX {
            keys.clear();
        }
        let s = PyString::new(py, k);
        keys.insert(k.into(), s.clone().unbind());
        s
    })
}
