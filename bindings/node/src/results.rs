//! Results that cross as plain objects through serde (`Fleet.summary()`, `H100.step()`, …).
//!
//! `serde_json` writes a NaN or infinite float as `null`, which would hide a non-finite value
//! computed by the core behind a JS `null` (issue #10). Every such result is walked first: a
//! non-finite float becomes an `Internal` error naming the field, so a core bug is reported, not
//! masked. (Typed fields of `#[napi(object)]` results cross as JS numbers and keep NaN visible.)

use serde::ser::{self, Serialize};
use serde_json::Value;

use crate::errors::{to_js, Result};

/// `v` as a JSON value, or `Internal` naming the first non-finite float inside it.
pub fn to_value<T: Serialize + ?Sized>(what: &str, v: &T) -> Result<Value> {
    let mut check = Check { path: String::new() };
    if let Err(NonFinite(msg)) = v.serialize(&mut check) {
        return Err(to_js(hcpcore::Error::new(
            hcpcore::ErrorKind::Internal,
            format!("{what}{msg} (a bug in hcp's core: please report it with the input)"),
        )));
    }
    serde_json::to_value(v)
        .map_err(|e| to_js(hcpcore::Error::new(hcpcore::ErrorKind::Internal, format!("{what}: {e}"))))
}

#[derive(Debug)]
struct NonFinite(String);

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for NonFinite {}
impl ser::Error for NonFinite {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NonFinite(format!(": {msg}"))
    }
}

struct Check {
    path: String,
}

type R = std::result::Result<(), NonFinite>;

impl Check {
    fn float(&self, x: f64) -> R {
        if x.is_finite() {
            Ok(())
        } else {
            Err(NonFinite(format!("{}: the core computed a non-finite value ({x})", self.path)))
        }
    }
    fn nested<T: Serialize + ?Sized>(&mut self, segment: std::fmt::Arguments<'_>, v: &T) -> R {
        let mark = self.path.len();
        std::fmt::Write::write_fmt(&mut self.path, segment).ok();
        v.serialize(&mut *self)?;
        self.path.truncate(mark);
        Ok(())
    }
}

macro_rules! ok {
    ($($name:ident($($t:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $t),*) -> R { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut Check {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Seq<'a>;
    type SerializeStruct = Seq<'a>;
    type SerializeStructVariant = Seq<'a>;

    ok!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    fn serialize_none(self) -> R {
        Ok(())
    }
    fn serialize_unit(self) -> R {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> R {
        self.float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> R {
        self.float(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> std::result::Result<Seq<'a>, NonFinite> {
        Ok(Seq { c: self, i: 0 })
    }
}

/// Elements and fields of a compound value, each checked under its path.
struct Seq<'a> {
    c: &'a mut Check,
    i: usize,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        let i = self.i;
        self.i += 1;
        self.c.nested(format_args!("[{i}]"), v)
    }
}

macro_rules! elements {
    ($($tr:ident :: $m:ident),*) => {
        $(impl ser::$tr for Seq<'_> {
            type Ok = ();
            type Error = NonFinite;
            fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
                self.element(v)
            }
            fn end(self) -> R {
                Ok(())
            }
        })*
    };
}
elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Seq<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, _: &T) -> R {
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(&mut self, k: &K, v: &V) -> R {
        match serde_json::to_value(k) {
            Ok(Value::String(key)) => self.c.nested(format_args!(".{key}"), v),
            _ => self.element(v),
        }
    }
    fn end(self) -> R {
        Ok(())
    }
}

macro_rules! fields {
    ($($tr:ident),*) => {
        $(impl ser::$tr for Seq<'_> {
            type Ok = ();
            type Error = NonFinite;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
                self.c.nested(format_args!(".{key}"), v)
            }
            fn end(self) -> R {
                Ok(())
            }
        })*
    };
}
fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct S {
        a: f64,
        b: Vec<Option<f64>>,
    }

    #[test]
    fn a_non_finite_float_is_named_not_nulled() {
        let mut c = Check { path: String::new() };
        assert!(S { a: 1.0, b: vec![None, Some(2.0)] }.serialize(&mut c).is_ok());
        let err = S { a: 1.0, b: vec![None, Some(f64::NAN)] }.serialize(&mut c).unwrap_err();
        assert!(err.0.starts_with(".b[1]: the core computed a non-finite value"), "{}", err.0);
    }
}
